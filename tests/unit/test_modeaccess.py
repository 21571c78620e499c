"""
Tests for L{ftpkit.protocol.modeaccess}: the C{perm} fact of a disk
entry shows no more than the serving process's mode bits allow. A file
made read-only (C{chmod 444}) of a server not running as root showed
C{w}, in C{MLST} and in both ways C{MLSD} formats its lines.
"""

import os

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.fileinfo import DIRECTORY, FILE, LINK
from ftpkit.protocol import modeaccess
from ftpkit.protocol.listingfacts import (
    DEFAULT_FACTS,
    FactsFormat,
    formatMLSD,
    permissions,
)
from ftpkit.shells.disklistings import describe
from ftpkit.shells.filesystem import FilesystemShell
from tests.memorysessions import loggedIn, repliesTo

STRANGER = (12345, frozenset([54321]))
"""Credentials of a process that is neither the owner of the test's
files nor in their group (C{credentials} is made to give them)."""


class BitsTests(unittest.TestCase):
    """
    L{modeaccess.accessBits} and L{modeaccess.allowedBy}.
    """

    def test_whichBits(self):
        """
        The owner's bits for the owner (even where the others' allow
        more), the group's for a member, the others' for the rest; all
        of them for a process whose effective user id is 0.
        """
        creds = (10, frozenset([20, 21]))
        self.assertEqual(
            [modeaccess.accessBits(0o100457, 10, 20, creds),
             modeaccess.accessBits(0o100457, 11, 21, creds),
             modeaccess.accessBits(0o100457, 11, 22, creds),
             modeaccess.accessBits(0o100000, 11, 22, None)],
            [0o4, 0o5, 0o7, 0o7])

    def test_letters(self):
        """
        Read, write and search bits narrow a file's C{r}, C{a} and C{w},
        a directory's C{l}, C{e}, C{c}, C{m} and C{p}; C{d} and C{f}
        (the parent directory's business) never.
        """
        def allowed(kind, bits):
            return "".join(sorted(modeaccess.allowedBy(kind, bits)))
        self.assertEqual(
            [allowed(FILE, 0o4), allowed(FILE, 0o2), allowed(FILE, 0),
             allowed(DIRECTORY, 0o5), allowed(DIRECTORY, 0o3),
             allowed(DIRECTORY, 0o6), allowed(LINK, 0)],
            ["cdeflmpr", "acdeflmpw", "cdeflmp", "adeflrw", "acdefmprw",
             "adflrw", "acdeflmprw"])


class ListingTests(unittest.TestCase):
    """
    C{perm} of disk entries, formatted from C{FileInfo} values and
    straight from C{os.stat} results, for a process that is a stranger
    to them, and for root.
    """

    def setUp(self):
        self.root = self.mktemp()
        os.makedirs(os.path.join(self.root, "closed"))
        os.chmod(os.path.join(self.root, "closed"), 0o700)
        for name, mode in (("ro", 0o444), ("rw", 0o666), ("none", 0o600),
                           ("grp", 0o640)):
            path = os.path.join(self.root, name)
            with open(path, "wb"):
                pass
            os.chmod(path, mode)
        self.results = [(name, os.lstat(os.path.join(self.root, name)))
                        for name in ("closed", "grp", "none", "ro", "rw")]

    def perms(self, body):
        """
        @param body: C{MLSD} lines.
        @return: the C{perm} fact of each.
        """
        return [line.split(b"perm=")[1].split(b";")[0].decode()
                for line in body.splitlines()]

    def formatted(self):
        """
        @return: the C{perm} facts of the entries, by both ways.
        """
        fromStats = self.perms(FactsFormat(DEFAULT_FACTS, True).stats(
            self.results, str, str))
        fromInfo = self.perms(formatMLSD(
            [(name, describe(result)) for name, result in self.results],
            DEFAULT_FACTS, lambda info: permissions(info, True)))
        return fromStats, fromInfo

    def test_stranger(self):
        """
        The others' bits: nothing in C{closed} (C{0700}), no read or
        write of C{grp} (C{0640}) and C{none} (C{0600}), no write of
        C{ro} (C{0444}).
        """
        self.patch(modeaccess, "credentials", lambda: STRANGER)
        expected = ["df", "df", "df", "dfr", "adfrw"]
        self.assertEqual(self.formatted(), (expected, expected))

    def test_classes(self):
        """
        The owner's bits for the owner, the group's for a member of the
        group, in one listing after another (each keeps the lines of
        each of the three apart).
        """
        result = self.results[0][1]
        owner = (result.st_uid, frozenset([result.st_gid + 1]))
        member = (result.st_uid + 1, frozenset([result.st_gid]))
        format = FactsFormat(DEFAULT_FACTS, True)
        facts = []
        for creds in (owner, member, STRANGER, owner):
            self.patch(modeaccess, "credentials", lambda creds=creds: creds)
            facts.append(self.perms(format.stats(self.results, str, str)))
        self.assertEqual(facts, [
            ["cdeflmp", "adfrw", "adfrw", "dfr", "adfrw"],
            ["df", "dfr", "df", "dfr", "adfrw"],
            ["df", "df", "df", "dfr", "adfrw"],
            ["cdeflmp", "adfrw", "adfrw", "dfr", "adfrw"]])

    def test_superuser(self):
        """
        A process whose effective user id is 0 may do anything.
        """
        self.patch(modeaccess, "credentials", lambda: None)
        expected = ["cdeflmp", "adfrw", "adfrw", "adfrw", "adfrw"]
        self.assertEqual(self.formatted(), (expected, expected))

    def test_cacheKey(self):
        """
        The key a listings' cache keeps the lines under holds the
        process's credentials: lines formatted under others are not
        replayed.
        """
        format = FactsFormat(DEFAULT_FACTS, True)
        self.patch(modeaccess, "credentials", lambda: STRANGER)
        stranger = format.cacheKey()
        self.patch(modeaccess, "credentials", lambda: None)
        self.assertNotEqual(format.cacheKey(), stranger)

    def test_otherShells(self):
        """
        A C{FileInfo} that does not tell its bits (another shell's) is
        narrowed by nothing.
        """
        from ftpkit.fileinfo import FileInfo
        self.patch(modeaccess, "credentials", lambda: STRANGER)
        self.assertEqual(permissions(FileInfo(FILE, mode=0o444), True),
                         "adfrw")

    def test_mlst(self):
        """
        C{MLST} of the read-only file, on the filesystem shell.
        """
        self.patch(modeaccess, "credentials", lambda: STRANGER)
        protocol, transport = loggedIn(
            FilesystemShell(os.fsencode(self.root), runner=maybeDeferred))
        [reply] = repliesTo(protocol, transport, b"MLST ro")
        self.assertIn(b";perm=dfr;", reply)
