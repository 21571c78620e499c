"""
An upload that opens its target's directory without walking the path
(L{ftpkit.shells.diskpaths.Jail.openParent}) ends as one that walks it,
whatever stops it (a directory of that name, a name too long, the disk
full, a C{RMD} running, a link), and leaves no descriptor open.
"""

import errno
import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.errors import IsDirectory
from ftpkit.shells import anonymousfiles
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.uploadlocks import mayRemoveDirectory
from tests.openparent import DIRECTORY, openDescriptors, parentRoot
from tests.scratch import writeLocal


class EndsAsWalkTests(unittest.TestCase):
    """
    Each way an upload of C{a/b/NAME} may end, with the directory opened
    (L{Jail.openParent}) and with the path walked: the same outcome, and
    the same descriptors open after.
    """

    def setUp(self):
        self.root, self.directory = parentRoot(self)
        os.mkdir(os.path.join(self.directory, b"sub"))
        writeLocal(os.path.join(self.directory, b"old.txt"), b"old")
        writeLocal(os.path.join(self.root, b"a", b"file"), b"file")
        os.symlink(b"old.txt", os.path.join(self.directory, b"link"))
        # A process's first upload opens what it keeps for good (the
        # mount table it polls: shortcalls.MountChanges); made here, it is
        # not counted against the upload a test looks at.
        return self.outcome(("a", "b", "first.txt"), False)

    @inlineCallbacks
    def outcome(self, path, walked):
        """
        Open an upload of C{path} and close it at once.

        @param path: the target's segments.
        @param walked: whether the path is walked (no L{Jail.openParent}).
        @return: a Deferred of the class of the error it ended with (or
            C{None}), and of how many more descriptors are open after.
        """
        shell = FilesystemShell(self.root)
        if walked:
            self.patch(shell._jail, "openParent",
                       lambda path, local=False: None)
        before = openDescriptors(collect=True)
        try:
            writer = yield shell.openForWriting(path)
        except Exception as e:
            error = type(e)
        else:
            error = None
            yield writer.close()
        return error, openDescriptors(collect=True) - before

    @inlineCallbacks
    def assertAsWalked(self, name, error):
        """
        An upload of C{a/b/NAME} ends with C{error} both ways, and leaves
        no descriptor open.

        @param name: the last segment.
        @param error: the class of the error expected, or C{None}.
        """
        opened = yield self.outcome(("a", "b", name), False)
        walked = yield self.outcome(("a", "b", name), True)
        self.assertEqual(opened, walked)
        self.assertEqual(opened, (error, 0))

    def test_newName(self):
        """
        A new name is stored.
        """
        return self.assertAsWalked("new.txt", None)

    def test_existing(self):
        """
        A file is replaced.
        """
        return self.assertAsWalked("old.txt", None)

    def test_link(self):
        """
        A link to a file is left to the walk.
        """
        return self.assertAsWalked("link", None)

    def test_directory(self):
        """
        A directory of that name is refused.
        """
        return self.assertAsWalked("sub", IsDirectory)

    @inlineCallbacks
    def test_nameTooLong(self):
        """
        A name longer than the file system takes.
        """
        opened = yield self.outcome(("a", "b", "n" * 300), False)
        walked = yield self.outcome(("a", "b", "n" * 300), True)
        self.assertEqual(opened, walked)
        self.assertNotEqual(opened[0], None)
        self.assertEqual(opened[1], 0)

    @inlineCallbacks
    def test_parentIsFile(self):
        """
        A file where the directory should be.
        """
        opened = yield self.outcome(("a", "file", "x"), False)
        walked = yield self.outcome(("a", "file", "x"), True)
        self.assertEqual(opened, walked)
        self.assertNotEqual(opened[0], None)
        self.assertEqual(opened[1], 0)

    @inlineCallbacks
    def test_diskFull(self):
        """
        The file with no name cannot be made: the disk is full.
        """
        def full(directory, mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.patch(anonymousfiles, "_openNoName", full)
        opened = yield self.outcome(("a", "b", "new.txt"), False)
        walked = yield self.outcome(("a", "b", "new.txt"), True)
        self.assertEqual(opened, walked)
        self.assertNotEqual(opened[0], None)
        self.assertEqual(opened[1], 0)

    @inlineCallbacks
    def test_removing(self):
        """
        While a C{RMD} of the directory runs, the upload of a new name
        makes a file with a name (which that C{RMD} sees).
        """
        held = os.open(self.directory, DIRECTORY)
        self.addCleanup(os.close, held)
        self.assertTrue(mayRemoveDirectory(held))
        yield self.assertAsWalked("new.txt", None)

    def test_noAnonymousFiles(self):
        """
        Where files with no name cannot be made, a temporary file is.
        """
        self.patch(anonymousfiles, "_anonymousWorks", False)
        return self.assertAsWalked("new.txt", None)
