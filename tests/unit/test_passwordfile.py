"""
The password file of C{--auth file:PATH} (L{ftpkit.auth.passwordfile}):
its lines checked at start, reloads that keep the old users when the file
went bad.
"""

import os

from twisted.cred import credentials, error
from twisted.internet import defer
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.passwordfile import (
    PasswordFileChecker,
    PasswordFileError,
    parsePasswordFile,
)
from tests.loglines import LoggedLines
from tests.tapoptions import parse


class ParseTests(unittest.TestCase):
    """
    L{parsePasswordFile} names the first line it cannot use.
    """

    def assertLineRefused(self, data, number, why):
        """
        @param data: a file's content.
        @param number: the line named.
        @param why: what the message says of it.
        """
        e = self.assertRaises(PasswordFileError, parsePasswordFile, data, "F")
        self.assertEqual(str(e), f"F, line {number}: {why}")

    def test_usable(self):
        """
        C{USER:PASSWORD} lines give the users; blank lines, comments and
        trailing spaces (a CRLF file's CR among them) are not part of any.
        """
        self.assertEqual(
            parsePasswordFile(b"# users\nalice:secret\n\n  \r\nbob:pw \r\n"
                              b"zo\xc3\xab:\xffx\n"),
            {b"alice": b"secret", b"bob": b"pw", b"zo\xc3\xab": b"\xffx"})

    def test_noColon(self):
        """
        A line without a colon (Twisted's checker skipped it at each
        login, without a word).
        """
        self.assertLineRefused(b"alice:pw\nbob\n", 2,
                               "no ':' between user name and password")

    def test_emptyName(self):
        """
        An empty user name.
        """
        self.assertLineRefused(b":pw\n", 1, "empty user name")

    def test_unusableName(self):
        """
        A name no user could log in with, or that could not be a home
        directory's name: not UTF-8, starting with a dot, holding a slash.
        """
        self.assertLineRefused(b"\xff:pw\n", 1, "user name is not UTF-8")
        self.assertLineRefused(b"../x:pw\n", 1,
                               "'../x' is not a usable user name")
        self.assertLineRefused(b"a/b:pw\n", 1,
                               "'a/b' is not a usable user name")

    def test_emptyPassword(self):
        """
        An empty password (anyone sending an empty C{PASS} logged in).
        """
        self.assertLineRefused(b"alice:\n", 1, "empty password for 'alice'")

    def test_secondColon(self):
        """
        A password holding a colon: Twisted's checker took the text before
        it as the password.
        """
        self.assertLineRefused(
            b"alice:pa:ss\n", 1,
            "more than one ':' in the line of 'alice' (a password cannot "
            "hold ':')")

    def test_repeated(self):
        """
        A user named twice: the second line was skipped.
        """
        self.assertLineRefused(b"alice:a\nbob:b\nalice:c\n", 3,
                               "'alice' again (first on line 1)")


class OptionsTests(unittest.TestCase):
    """
    C{--auth file:PATH} on the command line.
    """

    def test_malformedLine(self):
        """
        A line the checker cannot use is a usage error naming the option,
        the file and the line: the server started with it, and the user of
        that line could not log in.
        """
        path = os.path.abspath(self.mktemp())
        with open(path, "wb") as f:
            f.write(b"alice:pw\nbob\n")
        e = self.assertRaises(usage.UsageError, parse, "--auth",
                              "file:" + path)
        self.assertEqual(
            str(e), f"--auth: {path}, line 2: no ':' between user name and "
            "password")

    def test_checker(self):
        """
        The checker is ftpkit's, which reloads on C{SIGHUP}.
        """
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(b"alice:pw\n")
        [checker] = parse("--auth", "file:" + path)["credCheckers"]
        self.assertIsInstance(checker.checker, PasswordFileChecker)


class CheckerTests(LoggedLines, unittest.TestCase):
    """
    L{PasswordFileChecker}.
    """

    def setUp(self):
        self.path = os.path.abspath(self.mktemp())
        self.write(b"alice:secret\n")
        self.checker = PasswordFileChecker(self.path)
        self.captureLog()

    def write(self, data):
        """
        Replace the file with C{data} (a new inode: a change always seen),
        readable by its owner only, as the docs say to keep it (one every
        local user may read is warned about).
        """
        with open(self.path + ".new", "wb") as f:
            f.write(data)
        os.chmod(self.path + ".new", 0o600)
        os.replace(self.path + ".new", self.path)

    def login(self, name, password):
        """
        @return: the checker's Deferred for C{name} and C{password}.
        """
        return self.checker.requestAvatarId(
            credentials.UsernamePassword(name, password))

    def test_login(self):
        """
        The right password gives the user name; a wrong one, or an unknown
        user, fails.
        """
        self.assertEqual(self.successResultOf(self.login(b"alice", b"secret")),
                         b"alice")
        self.failureResultOf(self.login(b"alice", b"nope"),
                             error.UnauthorizedLogin)
        self.failureResultOf(self.login(b"bob", b"secret"),
                             error.UnauthorizedLogin)

    @defer.inlineCallbacks
    def test_changedFile(self):
        """
        A login finding the file changed reads it again (in a thread), as
        Twisted's checker, which read it at each login, did.
        """
        self.write(b"bob:pw\n")
        self.assertEqual((yield self.login(b"bob", b"pw")), b"bob")
        self.failureResultOf(self.login(b"alice", b"secret"),
                             error.UnauthorizedLogin)

    def test_reloadMalformed(self):
        """
        A reload of a file holding a line it cannot use keeps the old
        users, with one error line naming the file and the line.
        """
        self.write(b"alice:secret\nbob\n")
        self.assertFalse(self.checker.reload())
        self.assertEqual(self.successResultOf(self.login(b"alice", b"secret")),
                         b"alice")
        self.assertEqual(self.lines(), [
            f"users file not reloaded, keeping the old users: {self.path}, "
            "line 2: no ':' between user name and password"])

    @defer.inlineCallbacks
    def test_reloadMissing(self):
        """
        Likewise for a file gone; the next login does not log it again.
        """
        os.unlink(self.path)
        self.assertEqual((yield self.login(b"alice", b"secret")), b"alice")
        self.successResultOf(self.login(b"alice", b"secret"))
        self.assertEqual(self.lines(), [
            "users file not reloaded, keeping the old users: cannot read "
            f"password file {self.path!r}: No such file or directory"])

    def test_reload(self):
        """
        A good file replaces the users, saying how many.
        """
        self.write(b"alice:new\nbob:pw\n")
        self.assertTrue(self.checker.reload())
        self.assertEqual(self.lines(),
                         [f"reloaded 2 users from {self.path}"])
        self.assertEqual(self.checker.users,
                         {b"alice": b"new", b"bob": b"pw"})
