"""
Tests for the warning about a TLS private key, or a users file of
hashed passwords, that every local user may read
(L{ftpkit.auth.exposedfiles}).

A users file every local user could write, and a password file (clear
text) every local user could read, were warned about at start and at each
reload; a key file of mode C{0644} (what an editor, C{openssl genpkey}
under the usual umask, or a copy makes) was read without a word, though
any local user could then read the server's private key, and so was a
users file whose password hashes any local user could take away and
guess offline. Both are now one warning line at start and at each reload;
under C{--workers}, the acceptor says it at each C{SIGHUP}, once for all
its workers.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.exposedfiles import KEY, USERS, exposure, warning
from ftpkit.auth.users import UsersDatabase
from ftpkit.control.tls import makeContextFactory
from ftpkit.deploy import keptfiles
from tests.loglines import LoggedLines
from tests.tlssupport import makeCertificate

USERS_FILE = b'[users.alice]\nhome = "alice"\n'


class WarningTests(unittest.TestCase):
    """
    L{warning}: the line of each kind of file.
    """

    def test_hashesRead(self):
        """
        A users file others may read gives its hashes away.
        """
        what = exposure(0o100644, 0o40755, secret=True)
        self.assertEqual(
            warning(USERS, what).format(path="/u", what=what),
            "users file /u: every local user may read it (mode 0644), and "
            "so the password hashes it keeps, to guess passwords against "
            "offline: make it readable by its owner (and the server's "
            "group) only")

    def test_keyRead(self):
        """
        A key file others may read gives the server's key away.
        """
        what = exposure(0o100604, 0o40755, secret=True)
        self.assertEqual(
            warning(KEY, what).format(path="/k", what=what),
            "TLS key /k: every local user may read it (mode 0604), and so "
            "the server's private key: make it readable by its owner (and "
            "the server's group) only")

    def test_keyWritten(self):
        """
        A key file others may write.
        """
        what = exposure(0o100662, 0o40755, secret=True)
        self.assertEqual(
            warning(KEY, what).format(path="/k", what=what),
            "TLS key /k: every local user may write it (mode 0662), and so "
            "put a key of their own in it: make it writable by its owner "
            "only")


class StartAndReloadTests(LoggedLines, unittest.TestCase):
    """
    The line, at start and at each reload, for the files a server reads.
    """

    def setUp(self):
        self.directory = os.path.abspath(self.mktemp())
        os.mkdir(self.directory, 0o755)
        self.cert, self.key, self.both = makeCertificate(self.directory)
        self.users = os.path.join(self.directory, "users.toml")
        with open(self.users, "wb") as f:
            f.write(USERS_FILE)
        os.chmod(self.users, 0o600)
        self.captureLog()

    def warnings(self):
        """
        @return: the lines about the mode of a file of this test's (other
            tests' sources may still be registered in L{keptfiles}).
        """
        return [line for line in self.lines()
                if "local user" in line and self.directory in line]

    def keyLine(self, path, mode):
        """
        @return: the warning of a key file C{path} of mode C{mode}.
        """
        return (f"TLS key {path}: every local user may read it (mode "
                f"{mode:04o}), and so the server's private key: make it "
                f"readable by its owner (and the server's group) only")

    def test_fixtureKeysPrivate(self):
        """
        The tests' certificates keep their keys as an operator does: no
        line for them.
        """
        makeContextFactory(self.cert, self.key)
        makeContextFactory(self.both)
        self.assertEqual(self.warnings(), [])

    def test_readableKey(self):
        """
        A key file of mode C{0644}: one line at start, naming it.
        """
        os.chmod(self.key, 0o644)
        makeContextFactory(self.cert, self.key)
        self.assertEqual(self.warnings(), [self.keyLine(self.key, 0o644)])

    def test_readableCertificateHoldingKey(self):
        """
        A C{--tls-cert} file holding the key too is the key file.
        """
        os.chmod(self.both, 0o644)
        os.chmod(self.cert, 0o644)
        makeContextFactory(self.both)
        self.assertEqual(self.warnings(), [self.keyLine(self.both, 0o644)])

    def test_readableCertificateAlone(self):
        """
        A certificate file without the key may be read by anyone.
        """
        os.chmod(self.cert, 0o644)
        makeContextFactory(self.cert, self.key)
        self.assertEqual(self.warnings(), [])

    def test_keyReload(self):
        """
        A key made readable by every user after start: one line at the
        reload.
        """
        factory = makeContextFactory(self.cert, self.key)
        os.chmod(self.key, 0o640 | 0o004)
        self.assertTrue(factory.reload())
        self.assertEqual(self.warnings(), [self.keyLine(self.key, 0o644)])

    def test_readableUsersFile(self):
        """
        A users file of hashed passwords every local user may read: one
        line at start.
        """
        os.chmod(self.users, 0o644)
        UsersDatabase(self.users)
        self.assertEqual(self.warnings(), [
            f"users file {self.users}: every local user may read it (mode "
            "0644), and so the password hashes it keeps, to guess "
            "passwords against offline: make it readable by its owner "
            "(and the server's group) only"])

    def test_worker(self):
        """
        A worker of C{--workers} says nothing, at start or at a reload:
        its acceptor does (L{keptfiles.warnExposedAll}), once for them
        all, at each C{SIGHUP}.
        """
        os.chmod(self.key, 0o644)
        os.chmod(self.users, 0o644)
        keptfiles._received[:] = [True]
        self.addCleanup(keptfiles._received.clear)
        factory = makeContextFactory(self.cert, self.key)
        database = UsersDatabase(self.users)
        self.assertTrue(factory.reload())
        self.assertTrue(database.reload())
        self.assertEqual(self.warnings(), [])
        keptfiles._received.clear()
        keptfiles.warnExposedAll()
        self.assertEqual(sorted(self.warnings()), sorted([
            self.keyLine(self.key, 0o644),
            f"users file {self.users}: every local user may read it (mode "
            "0644), and so the password hashes it keeps, to guess "
            "passwords against offline: make it readable by its owner "
            "(and the server's group) only"]))
