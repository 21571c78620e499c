"""
Tests for the warning about a users file (C{--auth users:PATH}) or a
password file (C{--auth file:PATH}) that every local user may change
(L{ftpkit.auth.reloadingfile.exposure}).

Such a file was read without a word: any local user could write
themselves an account (in a users file, one whose C{home} is C{/}, with
every right) and log in as the server's account, or replace the file
through a directory every user may write; and a password file, which
keeps its passwords in clear, was read as readily when every local user
could read it (C{0644}, what an editor makes under the usual umask),
though the docs say to keep it readable by the server's account only.
The server now says so in one line at start and at each reload.
"""

import os
import stat

from twisted.trial import unittest

from ftpkit.auth.passwordfile import PasswordFileChecker
from ftpkit.auth.reloadingfile import exposure
from ftpkit.auth.users import UsersDatabase
from tests.loglines import LoggedLines

USERS = b'[users.alice]\nhome = "alice"\n'


class ExposureTests(unittest.TestCase):
    """
    L{exposure}: what a file's mode and its directory's let every local
    user do.
    """

    def test_private(self):
        """
        A file only its owner (and group) may change, in a directory
        only its owner may write: nothing to say.
        """
        self.assertIsNone(exposure(0o100640, 0o40755))
        self.assertIsNone(exposure(0o100600, 0o40700))

    def test_fileWritable(self):
        """
        A file every user may write.
        """
        self.assertEqual(exposure(0o100666, 0o40755),
                         "every local user may write it (mode 0666)")

    def test_clearTextReadable(self):
        """
        A file keeping a secret (passwords in clear, C{--auth file:PATH};
        hashes, C{--auth users:PATH}; a key) that every user may read; a
        file holding none readable is not said.
        """
        self.assertEqual(exposure(0o100644, 0o40755, secret=True),
                         "every local user may read it (mode 0644)")
        self.assertEqual(exposure(0o100666, 0o40755, secret=True),
                         "every local user may write it (mode 0666)")
        self.assertIsNone(exposure(0o100640, 0o40755, secret=True))
        self.assertIsNone(exposure(0o100644, 0o40755))

    def test_directoryWritable(self):
        """
        A directory every user may write, unless it is sticky (C{/tmp}:
        nobody may rename or remove another's file there).
        """
        self.assertEqual(
            exposure(0o100600, 0o40777),
            "every local user may replace it (its directory's mode is 0777)")
        self.assertIsNone(exposure(0o100600, 0o41777))


class WarnedTests(LoggedLines, unittest.TestCase):
    """
    The one line logged for a users or password file every local user
    may change, at start and at each reload.
    """

    def setUp(self):
        self.directory = os.path.abspath(self.mktemp())
        os.mkdir(self.directory, 0o755)
        self.path = os.path.join(self.directory, "users.toml")
        with open(self.path, "wb") as f:
            f.write(USERS)
        os.chmod(self.path, 0o600)
        self.captureLog()

    def warnings(self):
        """
        @return: the lines about the file's mode.
        """
        return [line for line in self.lines() if "local user" in line]

    def test_privateFile(self):
        """
        A file of mode C{0600} in a directory of C{0755}: no line.
        """
        UsersDatabase(self.path)
        self.assertEqual(self.warnings(), [])

    def test_writableUsersFile(self):
        """
        A users file of mode C{0666}: one line at start naming it.
        """
        os.chmod(self.path, 0o666)
        UsersDatabase(self.path)
        self.assertEqual(self.warnings(), [
            f"users file {self.path}: every local user may write it (mode "
            "0666), and so give themselves an account: make it writable "
            "by its owner only"])

    def test_writableDirectory(self):
        """
        A users file in a directory every user may write (not sticky).
        """
        os.chmod(self.directory, 0o777)
        self.addCleanup(os.chmod, self.directory, 0o755)
        UsersDatabase(self.path)
        self.assertEqual(self.warnings(), [
            f"users file {self.path}: every local user may replace it (its "
            "directory's mode is 0777), and so give themselves an account:"
            " make it writable by its owner only"])

    def test_reload(self):
        """
        A file made writable by every user after start: one line at the
        reload, with the reload's own.
        """
        database = UsersDatabase(self.path)
        os.chmod(self.path, 0o646)
        self.assertTrue(database.reload())
        self.assertEqual(self.lines(), [
            f"reloaded 1 user from {self.path}",
            f"users file {self.path}: every local user may write it (mode "
            "0646), and so give themselves an account: make it writable "
            "by its owner only"])

    def test_readablePasswordFile(self):
        """
        A password file every local user may read: one line at start,
        saying they may read its passwords.
        """
        with open(self.path, "wb") as f:
            f.write(b"alice:secret\n")
        os.chmod(self.path, 0o644)
        PasswordFileChecker(self.path)
        self.assertEqual(self.warnings(), [
            f"users file {self.path}: every local user may read it (mode "
            "0644), and so the passwords it keeps in clear: make it "
            "readable by its owner (and the server's group) only"])

    def test_passwordFile(self):
        """
        A password file (C{--auth file:PATH}) likewise.
        """
        with open(self.path, "wb") as f:
            f.write(b"alice:secret\n")
        os.chmod(self.path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IWOTH
                 | stat.S_IROTH)
        PasswordFileChecker(self.path)
        self.assertEqual(self.warnings(), [
            f"users file {self.path}: every local user may write it (mode "
            "0606), and so give themselves an account: make it writable "
            "by its owner only"])
