"""
Per-directory permissions (L{ftpkit.shells.permissions}) against symbolic
links in a user's home on the disk realm: a link in a directory where the
user may do something, leading to one where it may not, does not lend
the permission.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import PermissionDenied
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from ftpkit.testing import readFile, writeFile
from tests.scratch import scratchDirectory


class LinkedDirectoryTests(unittest.TestCase):
    """
    C{/docs} is read-only and C{/private} unreadable; C{/incoming} is
    writable and holds C{docs -> ../docs} and C{private -> ../private}.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("incoming", "docs", "private"):
            os.mkdir(os.path.join(self.root, name))
        with open(os.path.join(self.root, "docs", "manual"), "wb") as f:
            f.write(b"manual")
        with open(os.path.join(self.root, "private", "key"), "wb") as f:
            f.write(b"key")
        os.symlink("../docs", os.path.join(self.root, "incoming", "docs"))
        os.symlink("../private",
                   os.path.join(self.root, "incoming", "private"))
        table = PermissionTable(
            ["list", "read"],
            {("incoming",): ["list", "read", "write", "delete", "rename",
                             "mkdir", "set-time"],
             ("private",): []})
        self.shell = PermissionShell(FilesystemShell(self.root), table)

    @defer.inlineCallbacks
    def test_noWriteThroughLink(self):
        """
        Nothing is made, removed, renamed or changed in C{/docs} through
        the link; C{/incoming} itself stays writable.
        """
        attempts = [
            writeFile(self.shell, ("incoming", "docs", "planted"), b"x"),
            self.shell.makeDirectory(("incoming", "docs", "made")),
            self.shell.removeFile(("incoming", "docs", "manual")),
            self.shell.rename(("incoming", "docs", "manual"),
                              ("incoming", "stolen")),
            self.shell.setModificationTime(("incoming", "docs", "manual"), 0),
        ]
        for attempt in attempts:
            yield self.assertFailure(attempt, PermissionDenied)
        self.assertEqual(os.listdir(os.path.join(self.root, "docs")),
                         ["manual"])
        yield writeFile(self.shell, ("incoming", "mine"), b"mine")

    @defer.inlineCallbacks
    def test_noReadThroughLink(self):
        """
        What C{/private} holds is neither listed, looked at nor read
        through the link.
        """
        for attempt in (self.shell.list(("incoming", "private")),
                        self.shell.stat(("incoming", "private", "key")),
                        readFile(self.shell, ("incoming", "private", "key"))):
            yield self.assertFailure(attempt, PermissionDenied)
        self.assertEqual(
            (yield readFile(self.shell, ("incoming", "docs", "manual"))),
            b"manual")
