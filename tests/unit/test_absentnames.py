"""
Tests for L{ftpkit.shells.absentnames}: a missing name told without an
exception, and nothing else taken for one.
"""

import ctypes
import errno
import os
import shutil
import tempfile

from twisted.trial import unittest

from ftpkit.shells import absentnames
from tests.scratch import asNobody, writeLocal


def _failing(code):
    """
    @param code: an C{errno}.
    @return: a stand-in for libc's C{faccessat} that fails with it.
    """
    def faccessat(*args):
        ctypes.set_errno(code)
        return -1
    return faccessat


class IsAbsentTests(unittest.TestCase):
    """
    L{absentnames.isAbsent} answers C{True} only where C{os.lstat} would
    raise C{FileNotFoundError}.
    """

    def setUp(self):
        if absentnames._faccessat is None:
            raise unittest.SkipTest("no faccessat here")
        # Searchable by nobody (asNobody), unlike mkdtemp's 0700.
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.chmod(root, 0o755)
        self.root = os.fsencode(root)
        writeLocal(self.path(b"f"), b"x")
        os.mkdir(self.path(b"closed"))
        os.chmod(self.path(b"closed"), 0o000)
        self.addCleanup(os.chmod, self.path(b"closed"), 0o755)

    def path(self, *segments):
        """
        @return: the local path of C{segments} in the scratch root.
        """
        return os.path.join(self.root, *segments)

    def test_missing(self):
        """
        A missing name is absent.
        """
        self.assertIs(absentnames.isAbsent(self.path(b"new")), True)

    def test_there(self):
        """
        A file, a directory and a symbolic link leading nowhere (the
        link is not followed) are there.
        """
        os.symlink(b"nowhere", self.path(b"dangling"))
        self.assertEqual(
            [absentnames.isAbsent(self.path(name))
             for name in (b"f", b"closed", b"dangling")],
            [False, False, False])

    def test_underFile(self):
        """
        A name under a file (C{ENOTDIR}) is not taken for a missing one:
        the caller's C{lstat} tells.
        """
        self.assertIsNone(absentnames.isAbsent(self.path(b"f", b"new")))

    def test_unsearchable(self):
        """
        A name in a directory the server may not search is not taken for a
        missing one, with the server's effective user ID (as root, that of
        C{nobody}, whose real user ID stays root's, which could search it):
        C{lstat} fails with C{EACCES} there, not C{ENOENT}.
        """
        self.assertEqual(
            asNobody(lambda: [absentnames.isAbsent(self.path(*segments))
                              for segments in ((b"closed", b"new"),
                                               (b"new",))]),
            [None, True])

    def test_notBytes(self):
        """
        A C{str} path is refused, not passed as a C{wchar_t *}.
        """
        self.assertRaises(TypeError, absentnames.isAbsent,
                          os.fsdecode(self.path(b"new")))

    def test_givesUp(self):
        """
        Where the call is refused as such (a sandbox's filter: C{EPERM}),
        it answers C{None} and is not tried again.
        """
        self.patch(absentnames, "_faccessat", _failing(errno.EPERM))
        self.assertIsNone(absentnames.isAbsent(self.path(b"new")))
        self.assertIsNone(absentnames._faccessat)
        self.assertIsNone(absentnames.isAbsent(self.path(b"new")))

    def test_otherFailureKept(self):
        """
        Another failure (here C{EIO}) answers C{None} and the call is kept
        for the next name.
        """
        failing = _failing(errno.EIO)
        self.patch(absentnames, "_faccessat", failing)
        self.assertIsNone(absentnames.isAbsent(self.path(b"new")))
        self.assertIs(absentnames._faccessat, failing)
