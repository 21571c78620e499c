"""
Tests for L{ftpkit.auth.dirprobe}: L{isDirectory} answers as
C{os.path.isdir} does.
"""

import os
import pathlib

from twisted.trial import unittest

from ftpkit.auth.dirprobe import isDirectory
from tests.scratch import scratchDirectory


class IsDirectoryTests(unittest.TestCase):
    """
    L{isDirectory} against C{os.path.isdir}, path by path.
    """

    def setUp(self):
        self.top = scratchDirectory(self)
        self.directory = os.path.join(self.top, "d")
        os.mkdir(self.directory)
        self.file = os.path.join(self.top, "f")
        with open(self.file, "w"):
            pass
        os.symlink(self.directory, os.path.join(self.top, "toDirectory"))
        os.symlink(self.file, os.path.join(self.top, "toFile"))
        os.symlink(os.path.join(self.top, "gone"),
                   os.path.join(self.top, "dangling"))

    def assertAsIsdir(self, path, expected):
        """
        @param path: a path.
        @param expected: what both must answer for it.
        """
        self.assertEqual((isDirectory(path), os.path.isdir(path)),
                         (expected, expected))

    def test_directory(self):
        """
        A directory, directly or through a symbolic link, is one.
        """
        self.assertAsIsdir(self.directory, True)
        self.assertAsIsdir(os.path.join(self.top, "toDirectory"), True)
        self.assertAsIsdir("/", True)

    def test_bytesAndPathLike(self):
        """
        A path given as C{bytes} or as a path-like object (a realm's root
        may be either: C{FilesystemRealm(b"/srv")}) is answered as a
        text one: it raised C{TypeError}, and every login failed.
        """
        for path in (self.directory.encode(), pathlib.Path(self.directory)):
            self.assertAsIsdir(path, True)
        for path in (os.path.join(self.top, "f").encode(),
                     pathlib.Path(self.top, "missing")):
            self.assertAsIsdir(path, False)

    def test_notDirectory(self):
        """
        A file, a link to one, a dangling link, a missing path, a path
        through a file and one holding a NUL are not directories.
        """
        for name in ("f", "toFile", "dangling", "missing", "f/d", "d\0"):
            self.assertAsIsdir(os.path.join(self.top, name), False)

    def test_effectiveUser(self):
        """
        A directory the effective user cannot reach (a parent without
        search permission) is no directory to it, whatever the real
        user could reach (C{twistd --euid}).
        """
        if os.getuid() != 0:
            raise unittest.SkipTest("needs root, to change the effective id")
        os.chmod(self.top, 0o700)
        self.addCleanup(os.chmod, self.top, 0o755)
        os.seteuid(65534)
        try:
            found = isDirectory(self.directory), os.path.isdir(self.directory)
        finally:
            os.seteuid(0)
        self.assertEqual(found, (False, False))
