"""
C{CWD} into a directory the server may not search (its C{x} permission),
on the disk realm's shell and on fsspec's C{file://}, on
L{StringTransport}. As root, who may search any directory, the commands
run with the effective user ID of C{nobody}.
"""

import os
import shutil
import tempfile

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.shells.filesystem import FilesystemShell
from tests.memorysessions import loggedIn, repliesTo
from tests.scratch import asNobody

try:
    from fsspec.implementations.local import LocalFileSystem
except ImportError:
    LocalFileSystem = None
else:
    from ftpkit.shells.fsspecshell import FsspecShell
    from tests.integration.test_shell_fsspec import _CallNow


AS_ROOT = os.geteuid() == 0


class UnsearchableMixin:
    """
    A root with directories holding a file C{f}: C{open} (C{0755}),
    C{partly} (searchable by the server, not by everyone: C{0611} for
    C{nobody} as root, C{0300} for the owner otherwise), C{closed}
    (C{0000}) and C{private} (C{0700}: root's, as root).
    """

    def setUp(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.chmod(root, 0o755)
        for name, mode in [("open", 0o755),
                           ("partly", 0o611 if AS_ROOT else 0o300),
                           ("closed", 0o000), ("private", 0o700)]:
            os.mkdir(os.path.join(root, name))
            with open(os.path.join(root, name, "f"), "wb") as f:
                f.write(b"x")
            os.chmod(os.path.join(root, name), mode)
            self.addCleanup(os.chmod, os.path.join(root, name), 0o755)
        self.protocol, self.transport = loggedIn(self.makeShell(root))

    def commands(self, *commands):
        """
        @return: the replies to C{commands}, sent with the effective user
            ID of C{nobody} when run as root.
        """
        return asNobody(repliesTo, self.protocol, self.transport, *commands)

    def test_unsearchable(self):
        """
        C{CWD} into a directory the server may not search is 550 naming
        it, and the current directory stays (it was 250, and then every
        command there failed).
        """
        closed, pwdReply = self.commands(b"CWD closed", b"PWD")
        self.assertEqual(
            closed, b"550 Cannot enter /closed: permission denied\r\n")
        self.assertEqual(pwdReply, b'257 "/" is the current directory\r\n')

    def test_othersDirectory(self):
        """
        So is C{CWD} into another account's C{0700} directory.
        """
        if not AS_ROOT:
            raise unittest.SkipTest("needs root, to act as nobody")
        self.assertEqual(
            self.commands(b"CWD /private"),
            [b"550 Cannot enter /private: permission denied\r\n"])

    def test_searchable(self):
        """
        A directory the server may search is entered, whether everyone
        may (C{0755}) or not (C{partly}, which it may not list either).
        """
        _, opened, size, partly, size2 = self.commands(
            b"TYPE I", b"CWD open", b"SIZE f", b"CWD /partly", b"SIZE f")
        self.assertEqual(opened, b"250 Directory changed to /open\r\n")
        self.assertEqual(size, b"213 1\r\n")
        self.assertEqual(partly, b"250 Directory changed to /partly\r\n")
        self.assertEqual(size2, b"213 1\r\n")


class DiskTests(UnsearchableMixin, unittest.TestCase):
    """
    The disk realm's L{FilesystemShell}.
    """

    def makeShell(self, root):
        return FilesystemShell(os.fsencode(root), runner=maybeDeferred)


class LocalFsspecTests(UnsearchableMixin, unittest.TestCase):
    """
    L{FsspecShell} on C{file://}.
    """

    if LocalFileSystem is None:
        skip = "fsspec is not installed"

    def makeShell(self, root):
        return FsspecShell(LocalFileSystem(skip_instance_cache=True), root,
                           pool=_CallNow())
