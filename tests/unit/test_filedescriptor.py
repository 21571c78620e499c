"""
Tests for L{ftpkit.fileinfo.FileDescriptor}'s own C{__init__}: it is the
frozen dataclass its fields make, with every field set as the generated
C{__init__} set it.
"""

import dataclasses
import inspect

from twisted.trial import unittest

from ftpkit.fileinfo import FileDescriptor


class FileDescriptorTests(unittest.TestCase):
    """
    L{FileDescriptor} takes its fields in their order, with their
    defaults, and stays frozen, comparable and hashable.
    """

    def test_signature(self):
        """
        C{__init__} takes every field, in order, with the field's default:
        a field added to the class and not to C{__init__} fails here.
        """
        parameters = list(
            inspect.signature(FileDescriptor.__init__).parameters.values())[1:]
        fields = dataclasses.fields(FileDescriptor)
        self.assertEqual([p.name for p in parameters],
                         [f.name for f in fields])
        self.assertEqual(
            [p.default for p in parameters],
            [inspect.Parameter.empty if f.default is dataclasses.MISSING
             else f.default for f in fields])

    def test_everyFieldSet(self):
        """
        Each argument, positional or by name, is its field's value.
        """
        names = [f.name for f in dataclasses.fields(FileDescriptor)]
        values = list(range(100, 100 + len(names)))
        for made in (FileDescriptor(*values),
                     FileDescriptor(**dict(zip(names, values)))):
            self.assertEqual([getattr(made, name) for name in names], values)
            self.assertEqual(dataclasses.astuple(made), tuple(values))

    def test_defaults(self):
        """
        Fields not given are C{None}.
        """
        made = FileDescriptor(3, 10)
        self.assertEqual(dataclasses.astuple(made),
                         (3, 10, None, None, None, None, None, None, None))

    def test_frozen(self):
        """
        No field can be set or removed.
        """
        made = FileDescriptor(3, 0, 5)
        self.assertRaises(dataclasses.FrozenInstanceError,
                          setattr, made, "size", 6)
        self.assertRaises(dataclasses.FrozenInstanceError,
                          delattr, made, "fd")

    def test_valueSemantics(self):
        """
        Equal fields make equal, equally hashed descriptors, and
        C{dataclasses.replace} changes one field.
        """
        one = FileDescriptor(3, 0, 5, device=7)
        self.assertEqual(one, FileDescriptor(3, 0, 5, device=7))
        self.assertEqual(hash(one), hash(FileDescriptor(3, 0, 5, device=7)))
        self.assertNotEqual(one, FileDescriptor(3, 0, 6, device=7))
        self.assertEqual(dataclasses.replace(one, size=6),
                         FileDescriptor(3, 0, 6, device=7))
        self.assertEqual(
            repr(one), "FileDescriptor(fd=3, offset=0, size=5, run=None,"
            " commit=None, room=None, runShort=None, device=7,"
            " makeRoom=None)")
