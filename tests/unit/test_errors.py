"""
Tests for L{ftpkit.errors}.
"""

import errno

from twisted.trial import unittest

from ftpkit.errors import (
    InvalidPath,
    LocalError,
    LocalOutOfDescriptors,
    NoSuchFile,
    OutOfDescriptors,
    PermissionDenied,
    fromOSError,
    isOutOfDescriptors,
)


class OutOfDescriptorsTests(unittest.TestCase):
    """
    A shell's open failing for want of descriptors is said as such.
    """

    def test_fromOSError(self):
        """
        C{EMFILE} and C{ENFILE} from a filesystem call become
        L{LocalOutOfDescriptors}: a local error (451) saying the cause
        (try again later), still an L{OutOfDescriptors}. They were
        L{LocalError}, which said nothing of the cause, then
        L{OutOfDescriptors} itself, whose 425 says a data connection
        failed.
        """
        for number in [errno.EMFILE, errno.ENFILE]:
            error = fromOSError(OSError(number, ""))
            self.assertIsInstance(error, LocalOutOfDescriptors)
            self.assertIsInstance(error, OutOfDescriptors)
            self.assertEqual(
                (error.code, error.message),
                (451, "Too many open files on the server; try again later"))
        self.assertEqual(OutOfDescriptors().code, 425)
        self.assertIsInstance(fromOSError(OSError(errno.EIO, "")),
                              LocalError)

    def test_isOutOfDescriptors(self):
        """
        L{isOutOfDescriptors} is true of L{OutOfDescriptors} and of a raw
        C{OSError} with C{EMFILE} or C{ENFILE}, not of other errors.
        """
        self.assertTrue(isOutOfDescriptors(OutOfDescriptors()))
        self.assertTrue(isOutOfDescriptors(OSError(errno.EMFILE, "")))
        self.assertTrue(isOutOfDescriptors(OSError(errno.ENFILE, "")))
        self.assertFalse(isOutOfDescriptors(OSError(errno.EIO, "")))
        self.assertFalse(isOutOfDescriptors(LocalError()))
        self.assertFalse(isOutOfDescriptors(ValueError()))


class ReadOnlyTests(unittest.TestCase):
    """
    C{EROFS} is refused as a permission is, saying why.
    """

    def test_fromOSError(self):
        """
        C{EROFS} becomes L{PermissionDenied} (550) with the text "Read-only
        file system"; C{EACCES} keeps the generic text.
        """
        refusal = fromOSError(OSError(errno.EROFS, ""))
        self.assertIsInstance(refusal, PermissionDenied)
        self.assertEqual(refusal.message, "Read-only file system")
        self.assertEqual(fromOSError(OSError(errno.EACCES, "")).message,
                         PermissionDenied().message)


class NameTooLongTests(unittest.TestCase):
    """
    C{ENAMETOOLONG} says the name is too long.
    """

    def test_fromOSError(self):
        """
        C{ENAMETOOLONG} becomes L{InvalidPath} (553) with the text "File
        name too long" (it said "File name not allowed", as for a name
        with something forbidden in it); C{EINVAL} keeps the generic text.
        """
        refusal = fromOSError(OSError(errno.ENAMETOOLONG, ""))
        self.assertIsInstance(refusal, InvalidPath)
        self.assertEqual(refusal.message, "File name too long")
        self.assertEqual(fromOSError(OSError(errno.EINVAL, "")).message,
                         InvalidPath().message)


class MessageTests(unittest.TestCase):
    """
    An L{FTPError}'s message is text whatever a plugin gave.
    """

    def test_madeText(self):
        """
        C{bytes} are decoded, anything else made C{str} (a path's tuple,
        a number, an exception); text and the default stay as they are.
        """
        self.assertEqual(NoSuchFile(b"gone \xff").message, "gone \ufffd")
        self.assertEqual(NoSuchFile(("a", "b")).message, "('a', 'b')")
        self.assertEqual(PermissionDenied(13).message, "13")
        self.assertEqual(NoSuchFile(KeyError("k")).message, "'k'")
        self.assertEqual(NoSuchFile("text").message, "text")
        self.assertEqual(NoSuchFile().message, NoSuchFile.defaultMessage)
