"""
Tests for L{ftpkit.auth.unixusers}: the checker of C{--auth unix}.
"""

import pwd
import threading
import warnings

from twisted.cred import credentials, error
from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import unixusers
from tests.tapoptions import parse

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        crypt = None

MISSING = "ftpkit-no-such-user"


def inline(function, *args):
    """
    Run C{function} at once: the checker's C{run}, for tests that look
    at the result synchronously.
    """
    return defer.maybeDeferred(function, *args)


class FakePwd:
    """
    A stand-in for the C{pwd} module, with the entries given.
    """

    def __init__(self, entries):
        """
        @param entries: a L{dict} of user names to C{pwd.struct_passwd}.
        """
        self.entries = entries

    def getpwnam(self, name):
        """
        @param name: a user name.
        @return: its entry.
        @raise KeyError: for a name with none.
        """
        return self.entries[name]


class CryptSpentTests(unittest.TestCase):
    """
    Every refused login costs one C{crypt}, whether the user exists or
    not (C{crypt} recorded, not timed).
    """

    def setUp(self):
        if crypt is None:
            raise unittest.SkipTest("no crypt module")
        self.calls = []
        real = crypt.crypt

        self.threads = []

        def recording(word, salt):
            self.calls.append((word, salt))
            self.threads.append(threading.current_thread())
            return real(word, salt)

        self.patch(crypt, "crypt", recording)

    def login(self, checker, name, password):
        return checker.requestAvatarId(
            credentials.UsernamePassword(name, password))

    def test_missingUser(self):
        """
        C{--auth unix} checks the password of a name the system does not
        know against a dummy hash (it ran no C{crypt} at all).
        """
        self.assertRaises(KeyError, pwd.getpwnam, MISSING)
        checker = parse("--auth", "unix")["credCheckers"][0]
        del self.calls[:]
        d = self.assertFailure(self.login(checker, MISSING.encode(), b"pw"),
                               error.UnauthorizedLogin)
        d.addCallback(lambda _: self.assertEqual(
            [word for word, _ in self.calls], ["pw"]))
        return d

    def test_offReactorThread(self):
        """
        C{crypt} runs in a thread, not the reactor's: a slow scheme
        (yescrypt) would stall every session for each login attempt.
        """
        checker = parse("--auth", "unix")["credCheckers"][0]
        del self.calls[:], self.threads[:]
        d = self.assertFailure(self.login(checker, MISSING.encode(), b"pw"),
                               error.UnauthorizedLogin)
        d.addCallback(lambda _: self.assertNotIn(threading.main_thread(),
                                                 self.threads))
        d.addCallback(lambda _: self.assertEqual(len(self.threads), 1))
        return d

    def test_dummyOfSystemScheme(self):
        """
        The dummy hash is of the scheme and cost most of the system's
        hashes have.
        """
        self.patch(unixusers, "_systemHashes",
                   lambda: ["*", "!", "$6$rounds=6000$abc$def"])
        self.assertTrue(unixusers.systemDummyHash().startswith(
            "$6$rounds=6000$abc$"))
        self.assertEqual(self.calls[-1][1], "$6$rounds=6000$abc")

    def test_wrongPassword(self):
        """
        A user that exists gets one C{crypt} too, against the user's hash;
        the right password logs in.
        """
        stored = crypt.crypt("right", "$6$salt")
        self.patch(unixusers, "storedHash",
                   lambda name: stored if name == "alice" else None)
        checker = unixusers.UnixChecker("*", inline)
        del self.calls[:]
        d = self.assertFailure(self.login(checker, b"alice", b"wrong"),
                               error.UnauthorizedLogin)
        d.addCallback(lambda _: self.assertEqual(
            self.calls, [("wrong", stored)]))
        d.addCallback(lambda _: self.login(checker, b"alice", b"right"))
        d.addCallback(self.assertEqual, "alice")
        return d

    def test_lockedAccount(self):
        """
        An account that cannot log in with a password (its hash starts
        with C{!} or C{*}: crypt refuses it at once, so the refusal came
        sooner than a missing user's) costs the dummy hash's C{crypt}.
        """
        checker = unixusers.UnixChecker("$6$dummy", inline)
        for stored in ["*", "!", "!$6$salt$hash"]:
            self.patch(unixusers, "storedHash",
                       lambda name, stored=stored: stored)
            self.failureResultOf(self.login(checker, b"daemon", b"pw"),
                                 error.UnauthorizedLogin)
        self.assertEqual(self.calls, [("pw", "$6$dummy")] * 3)

    def test_rootRefused(self):
        """
        An account of uid 0 (C{root}, or another name for it) never logs
        in, even with its password, and costs the dummy hash's C{crypt}
        as a missing user does: vsftpd (C{ftpusers}) and ProFTPD
        (C{RootLogin off}) refuse it too, as FTP would carry its password
        and its whole machine in clear. The same entry of another uid
        logs in.
        """
        stored = crypt.crypt("right", "$6$salt")
        entry = {}
        self.patch(unixusers, "pwd", FakePwd(entry))
        checker = unixusers.UnixChecker("$6$dummy", inline)
        entry["toor"] = pwd.struct_passwd(
            ("toor", stored, 0, 0, "", "/root", "/bin/sh"))
        del self.calls[:]
        self.failureResultOf(self.login(checker, b"toor", b"right"),
                             error.UnauthorizedLogin)
        self.assertEqual(self.calls, [("right", "$6$dummy")])
        entry["toor"] = pwd.struct_passwd(
            ("toor", stored, 1000, 1000, "", "/home/toor", "/bin/sh"))
        self.assertEqual(
            self.successResultOf(self.login(checker, b"toor", b"right")),
            "toor")

    def test_notUTF8(self):
        """
        A name that is not UTF-8 is no user's, and costs a C{crypt}.
        """
        checker = unixusers.UnixChecker("$6$dummy", inline)
        d = self.assertFailure(self.login(checker, b"\xff", b"pw"),
                               error.UnauthorizedLogin)
        d.addCallback(lambda _: self.assertEqual(
            self.calls, [("pw", "$6$dummy")]))
        return d


class CommonSettingTests(unittest.SynchronousTestCase):
    """
    L{unixusers.commonSetting}.
    """

    def test_mostCommonScheme(self):
        """
        The setting of the first hash of the most common scheme: all of
        it before the last C{$}.
        """
        self.assertEqual(unixusers.commonSetting(
            ["x", "*", "!$6$locked$h", "$1$old$h", "$y$j9T$s1$h",
             "$6$rounds=9$s2$h", "$y$j9T$s3$h"]), "$y$j9T$s1")

    def test_none(self):
        """
        Without a hash that has a scheme (locked, empty, placeholders,
        old DES), there is no setting.
        """
        self.assertIsNone(unixusers.commonSetting(
            ["x", "*", "!", "", "abJnggxhB/yWI", "$6$"]))
