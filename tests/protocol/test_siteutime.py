"""
C{SITE UTIME} (ProFTPD's mod_site_misc) on L{StringTransport}: both forms,
the refusals, and that it is C{MFMT}'s change (same permission, same shell
method).
"""

import os

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from tests.memorysessions import loggedIn, repliesTo, replyCodes

FEB_24_2004 = 1077611760
"""2004-02-24 08:36:00 UTC, ProFTPD's example."""

DONE = b"200 SITE UTIME command successful; Modify=%s\r\n"
"""The reply, with the modification time the file then has."""

ROOT_REFUSED = b"550 The root's modification time cannot be changed\r\n"
"""The reply to a change of the root's time."""


class SiteUtimeTests(unittest.TestCase):
    """
    C{SITE UTIME} on a L{MemoryShell} of C{/a b.txt}, C{/f.txt} and
    C{/d}.
    """

    def setUp(self):
        self.shell = MemoryShell({"/a b.txt": b"x", "/f.txt": b"y",
                                  "/d/g.txt": b"z"})
        self.protocol, self.transport = loggedIn(self.shell)

    def mtime(self, *path):
        return self.successResultOf(self.shell.stat(path)).mtime

    def test_timeFirst(self):
        """
        C{SITE UTIME YYYYMMDDhhmm path} and C{YYYYMMDDhhmmss}: UTC, path
        with spaces; C{200}.
        """
        minutes, seconds = repliesTo(
            self.protocol, self.transport,
            b"SITE UTIME 200402240836 f.txt",
            b"site utime 20040224083655 a b.txt")
        self.assertEqual((minutes, seconds), (DONE % b"20040224083600",
                                              DONE % b"20040224083655"))
        self.assertEqual(self.mtime("f.txt"), FEB_24_2004)
        self.assertEqual(self.mtime("a b.txt"), FEB_24_2004 + 55)

    def test_threeTimes(self):
        """
        C{SITE UTIME path atime mtime ctime UTC} sets the second time.
        """
        [reply] = repliesTo(
            self.protocol, self.transport,
            b"SITE UTIME /a b.txt 20200101000000 200402240836 "
            b"20200101000000 UTC")
        self.assertEqual(reply, DONE % b"20040224083600")
        self.assertEqual(self.mtime("a b.txt"), FEB_24_2004)

    def test_trailingBlanks(self):
        """
        A name ending in blanks is whole in either form, as in every other
        command (FileZilla and WinSCP send it so): they were cut off, and
        C{t.txt } not found.
        """
        self.shell = MemoryShell({"/t.txt ": b"x", "/u\t": b"y"})
        self.protocol, self.transport = loggedIn(self.shell)
        replies = repliesTo(
            self.protocol, self.transport,
            b"SITE UTIME 200402240836 t.txt ",
            b"SITE UTIME u\t 20200101000000 20040224083601 20200101000000 "
            b"UTC")
        self.assertEqual(replies, [DONE % b"20040224083600",
                                   DONE % b"20040224083601"])
        self.assertEqual((self.mtime("t.txt "), self.mtime("u\t")),
                         (FEB_24_2004, FEB_24_2004 + 1))

    def test_leadingBlanks(self):
        """
        A name starting with blanks is whole in either form, as in C{MFMT}
        and C{SITE CHMOD} (lftp's C{mirror -R} and ncftpput upload such
        names): the blanks were taken for the separator, and C{SITE UTIME
        200402240836  lead} got C{550} for C{lead}.
        """
        self.shell = MemoryShell({"/ lead": b"x", "/  two": b"y",
                                  "/lead": b"z"})
        self.protocol, self.transport = loggedIn(self.shell)
        replies = repliesTo(
            self.protocol, self.transport,
            b"SITE UTIME 200402240836  lead",
            b"SITE UTIME   two 20200101000000 20040224083601 20200101000000 "
            b"UTC")
        self.assertEqual(replies, [DONE % b"20040224083600",
                                   DONE % b"20040224083601"])
        self.assertEqual(
            (self.mtime(" lead"), self.mtime("  two"),
             self.mtime("lead") == FEB_24_2004),
            (FEB_24_2004, FEB_24_2004 + 1, False))

    def test_relativeToCwd(self):
        repliesTo(self.protocol, self.transport, b"CWD d",
                 b"SITE UTIME 200402240836 g.txt")
        self.assertEqual(self.mtime("d", "g.txt"), FEB_24_2004)

    def test_badArguments(self):
        """
        No path, a malformed or impossible time: C{501} with the syntax.
        """
        replies = repliesTo(
            self.protocol, self.transport, b"SITE UTIME",
            b"SITE UTIME 200402240836", b"SITE UTIME 2004022408 f.txt",
            b"SITE UTIME 200413240836 f.txt", b"SITE UTIME f.txt",
            b"SITE UTIME f.txt 1 2 3 UTC")
        for reply in replies:
            self.assertTrue(reply.startswith(
                b"501 Syntax: SITE UTIME YYYYMMDDhhmm[ss] <path>"), reply)

    def test_directory(self):
        """
        A directory's time is set, in either form, as C{MFMT} sets it and
        ProFTPD's mod_site_misc does (it got C{550}); a missing file is
        C{550}.
        """
        first, second, missing = repliesTo(
            self.protocol, self.transport, b"SITE UTIME 200402240836 d",
            b"SITE UTIME d 20040224083700 20040224083701 20040224083702 UTC",
            b"SITE UTIME 200402240836 nothing")
        self.assertEqual((first, second), (DONE % b"20040224083600",
                                           DONE % b"20040224083701"))
        self.assertEqual(self.mtime("d"), FEB_24_2004 + 61)
        self.assertTrue(missing.startswith(b"550 "), missing)

    def test_root(self):
        """
        The root's time cannot be set, however named, by C{SITE UTIME},
        C{MFMT} or C{MFF}'s C{modify}: C{550} saying so, as C{SITE CHMOD}
        and C{MFF}'s C{UNIX.mode} of the root get (it is every user's);
        they were C{200}/C{213}, the root's time changed for everyone.
        """
        before = self.mtime()
        replies = repliesTo(
            self.protocol, self.transport, b"SITE UTIME 198001010000 /",
            b"SITE UTIME . 20200101000000 19800101000000 20200101000000 UTC",
            b"MFMT 19800101000000 /", b"MFMT 19800101000000 d/..",
            b"MFF modify=19800101000000; /")
        self.assertEqual(replies, [ROOT_REFUSED] * 5)
        self.assertEqual(self.mtime(), before)

    def test_help(self):
        """
        C{SITE HELP} lists C{UTIME}, and not C{CHMOD}, which gets C{502}
        on a shell that cannot change modes (a L{MemoryShell}): it listed
        it, as C{FEAT}'s C{MFF} line did not.
        """
        [helped, chmod] = repliesTo(self.protocol, self.transport,
                                    b"SITE HELP", b"SITE CHMOD 644 f.txt")
        self.assertEqual(helped, b"214 SITE commands: "
                         b"UTIME YYYYMMDDhhmm[ss] <path>, MKDIR <path>, HELP\r\n")
        self.assertEqual(chmod[:4], b"502 ")

    def test_helpSite(self):
        """
        C{HELP SITE} is C{SITE HELP}, as in ProFTPD: it gave C{SITE}'s
        syntax from the command table, naming C{CHMOD}, which gets
        C{502} here. C{HELP SITE UTIME} and C{SITE HELP UTIME} give the
        syntax of C{UTIME} (C{HELP SITE UTIME} got C{501 Unknown
        command}), whatever follows it. Of a C{SITE} command not offered
        here, C{214} saying so; of an unknown one C{501}, as C{HELP} of
        an unknown verb (both got the list, as if nothing had been
        named); each names the commands offered.
        """
        offered = (b"SITE commands: "
                   b"UTIME YYYYMMDDhhmm[ss] <path>, MKDIR <path>, HELP\r\n")
        syntax = b"214 Syntax: SITE UTIME YYYYMMDDhhmm[ss] <path>\r\n"
        unknown = b"501 Unknown SITE command; " + offered
        self.assertEqual(
            repliesTo(self.protocol, self.transport, b"HELP SITE",
                      b"help site utime", b"SITE HELP UTIME",
                      b"HELP SITE UTIME now", b"HELP SITE CHMOD",
                      b"HELP SITE NOPE", b"SITE HELP NOPE", b"SITE HELP"),
            [b"214 " + offered, syntax, syntax, syntax,
             b"214 SITE CHMOD is not offered here; " + offered, unknown,
             unknown, b"214 " + offered])

    def test_readOnly(self):
        """
        Under C{--read-only}, C{550}, and nothing changes.
        """
        before = self.mtime("f.txt")
        protocol, transport = loggedIn(self.shell, readOnly=True)
        protocol.dataReceived(b"SITE UTIME 200402240836 f.txt\r\n")
        self.assertEqual(replyCodes(transport), ["550"])
        self.assertEqual(self.mtime("f.txt"), before)


class PermissionTests(unittest.TestCase):
    """
    C{SITE UTIME} needs the C{set-time} permission, as C{MFMT} does.
    """

    def test_setTime(self):
        shell = MemoryShell({"/f.txt": b"y"})
        for names, code in ((["list", "read"], b"550"),
                            (["list", "read", "set-time"], b"200")):
            protocol, transport = loggedIn(
                PermissionShell(shell, PermissionTable(names)))
            mfmt, utime = repliesTo(protocol, transport,
                                   b"MFMT 20040224083600 f.txt",
                                   b"SITE UTIME 200402240836 f.txt")
            self.assertEqual(utime[:3], code)
            self.assertEqual(mfmt[:1], code[:1])


class DiskTests(unittest.TestCase):
    """
    C{SITE UTIME} on the filesystem shell: the form with three times sets
    the access time too (it was dropped), through the users file's
    permissions as well; the form with one keeps the access time.
    """

    def setUp(self):
        root = self.mktemp()
        os.makedirs(root)
        self.target = os.path.join(root, "a b.txt")
        with open(self.target, "wb") as f:
            f.write(b"x")
        os.utime(self.target, (1_500_000_000, 1_500_000_000))
        self.shell = FilesystemShell(os.fsencode(root), runner=maybeDeferred)

    def times(self):
        """
        @return: the file's access and modification times.
        """
        result = os.stat(self.target)
        return result.st_atime, result.st_mtime

    def test_threeTimes(self):
        """
        C{path atime mtime ctime UTC} sets the first two, directly and
        through the users file's C{set-time}.
        """
        for shell in (self.shell, PermissionShell(
                self.shell, PermissionTable(["list", "read", "set-time"]))):
            os.utime(self.target, (1_500_000_000, 1_500_000_000))
            protocol, transport = loggedIn(shell)
            [reply] = repliesTo(
                protocol, transport,
                b"SITE UTIME a b.txt 20200101000000 200402240836 "
                b"20210101000000 UTC")
            self.assertEqual(reply, DONE % b"20040224083600")
            self.assertEqual(self.times(), (1577836800, FEB_24_2004))

    def test_help(self):
        """
        On the disk, which changes modes, C{SITE HELP} lists C{CHMOD} too,
        but under C{--no-site-chmod} (C{502}).
        """
        protocol, transport = loggedIn(self.shell)
        [helped] = repliesTo(protocol, transport, b"SITE HELP")
        self.assertEqual(helped, b"214 SITE commands: CHMOD <mode> <path>, "
                         b"UTIME YYYYMMDDhhmm[ss] <path>, MKDIR <path>, HELP\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"HELP SITE CHMOD"),
            [b"214 Syntax: SITE CHMOD <mode> <path>\r\n"])
        protocol, transport = loggedIn(self.shell, siteChmod=False)
        [helped] = repliesTo(protocol, transport, b"SITE HELP")
        self.assertEqual(helped, b"214 SITE commands: "
                         b"UTIME YYYYMMDDhhmm[ss] <path>, MKDIR <path>, HELP\r\n")

    def test_oneTime(self):
        """
        C{YYYYMMDDhhmm path} keeps the access time.
        """
        protocol, transport = loggedIn(self.shell)
        [reply] = repliesTo(protocol, transport,
                           b"SITE UTIME 200402240836 a b.txt")
        self.assertEqual(reply[:4], b"200 ")
        self.assertEqual(self.times(), (1_500_000_000, FEB_24_2004))

    def test_readOnlyUser(self):
        """
        A user without C{set-time} changes neither time.
        """
        protocol, transport = loggedIn(PermissionShell(
            self.shell, PermissionTable(["list", "read"])))
        [reply] = repliesTo(
            protocol, transport,
            b"SITE UTIME a b.txt 20200101000000 200402240836 "
            b"20210101000000 UTC")
        self.assertEqual(reply[:4], b"550 ")
        self.assertEqual(self.times(), (1_500_000_000, 1_500_000_000))

    def test_hiddenFile(self):
        """
        Under C{--hide-dotfiles} a hidden file's times are not set
        through the form with three times either: C{550}, as for
        C{MFMT}.
        """
        hidden = os.path.join(os.path.dirname(self.target), ".secret")
        with open(hidden, "wb") as f:
            f.write(b"s")
        os.utime(hidden, (1_500_000_000, 1_500_000_000))
        protocol, transport = loggedIn(HideDotfilesShell(self.shell))
        [reply] = repliesTo(
            protocol, transport,
            b"SITE UTIME .secret 20200101000000 200402240836 "
            b"20210101000000 UTC")
        self.assertEqual(reply[:4], b"550 ")
        result = os.stat(hidden)
        self.assertEqual((result.st_atime, result.st_mtime),
                         (1_500_000_000, 1_500_000_000))
