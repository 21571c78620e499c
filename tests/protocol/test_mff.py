"""
C{MFF} (draft-somers-ftp-mfxx) on L{StringTransport}: the facts it sets,
through the same checks and shell calls as C{MFMT} and C{SITE CHMOD}, its
refusals, its C{FEAT} line; and C{MFCT}, which it cannot do.
"""

import dataclasses
import os

from twisted.cred import checkers, portal
from twisted.internet.defer import maybeDeferred
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer

from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShellChmod, IFTPShellFeatures
from ftpkit.shells import filesystem
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from tests.memorysessions import (
    OneShellRealm,
    connect,
    loggedIn,
    makeFactory,
    repliesTo,
    replyCodes,
)

JAN_1_2020 = 1577836800


@implementer(IFTPShellChmod)
class ChmodMemoryShell(MemoryShell):
    """
    A L{MemoryShell} that keeps the modes C{SITE CHMOD} and C{MFF} set,
    which its C{stat} then gives.

    @ivar modes: the mode set on each path, a tuple of segments.
    """

    def __init__(self, *args, **kwargs):
        MemoryShell.__init__(self, *args, **kwargs)
        self.modes = {}

    def setPermissions(self, path, mode):
        """
        Keep C{mode} for C{path}, which must exist.
        """
        d = self.stat(path)
        d.addCallback(lambda _: self.modes.__setitem__(tuple(path), mode))
        return d

    def stat(self, path):
        """
        The entry, with the mode set on it, if any.
        """
        d = MemoryShell.stat(self, path)
        mode = self.modes.get(tuple(path))
        if mode is not None:
            d.addCallback(dataclasses.replace, mode=mode)
        return d


class MFFTests(unittest.TestCase):
    """
    C{MFF} on a shell of C{/a b.txt}, C{/f.txt} and C{/d/g.txt}.
    """

    def setUp(self):
        self.shell = ChmodMemoryShell({"/a b.txt": b"x", "/f.txt": b"y",
                                       "/d/g.txt": b"z"})
        self.protocol, self.transport = loggedIn(self.shell)

    def mtime(self, *path):
        return self.successResultOf(self.shell.stat(path)).mtime

    def test_bothFacts(self):
        """
        C{modify} and C{UNIX.mode} set on a name with spaces: C{213} with
        the facts set and the path.
        """
        [reply] = repliesTo(
            self.protocol, self.transport,
            b"MFF modify=20200101000000;UNIX.mode=0640; a b.txt")
        self.assertEqual(
            reply, b"213 modify=20200101000000;UNIX.mode=0640; /a b.txt\r\n")
        self.assertEqual(self.mtime("a b.txt"), JAN_1_2020)
        self.assertEqual(self.shell.modes, {("a b.txt",): 0o640})

    def test_clientOrder(self):
        """
        The reply names the facts in the order the client gave them.
        """
        [reply] = repliesTo(
            self.protocol, self.transport,
            b"MFF UNIX.mode=0640;modify=20200101000000; f.txt")
        self.assertEqual(
            reply, b"213 UNIX.mode=0640;modify=20200101000000; /f.txt\r\n")

    def test_oneFact(self):
        """
        Either fact alone; the path is relative to the current directory.
        """
        mode, modify = repliesTo(
            self.protocol, self.transport, b"CWD d",
            b"MFF UNIX.mode=600; g.txt", b"MFF modify=20200101000000; g.txt")[1:]
        self.assertEqual(mode, b"213 UNIX.mode=0600; /d/g.txt\r\n")
        self.assertEqual(modify, b"213 modify=20200101000000; /d/g.txt\r\n")
        self.assertEqual(self.mtime("d", "g.txt"), JAN_1_2020)

    def test_unknownFactChangesNothing(self):
        """
        A fact it cannot set is C{504} naming it, and the facts before it
        are not set either (ProFTPD sets them).
        """
        before = self.mtime("f.txt")
        [reply] = repliesTo(
            self.protocol, self.transport,
            b"MFF modify=20200101000000;UNIX.mode=0600;create=20200101000000;"
            b" f.txt")
        self.assertEqual(reply, b"504 Cannot modify fact 'create'\r\n")
        self.assertEqual((self.mtime("f.txt"), self.shell.modes),
                         (before, {}))

    def test_badArguments(self):
        """
        No path, a malformed fact or value, set-id bits: C{501}.
        """
        replies = repliesTo(
            self.protocol, self.transport, b"MFF modify=20200101000000;",
            b"MFF modify=20200101000000 f.txt", b"MFF modify=2020; f.txt",
            b"MFF UNIX.mode=4755; f.txt", b"MFF UNIX.mode; f.txt")
        self.assertEqual([reply[:4] for reply in replies], [b"501 "] * 5)
        self.assertEqual(self.shell.modes, {})

    def test_directory(self):
        """
        A directory's mode is set, as C{SITE CHMOD} sets it, and its time,
        as C{MFMT} sets it (it got C{550} before its mode changed).
        """
        mode, both = repliesTo(
            self.protocol, self.transport, b"MFF UNIX.mode=0700; d",
            b"MFF UNIX.mode=0755;modify=20200101000000; d")
        self.assertEqual(mode, b"213 UNIX.mode=0700; /d\r\n")
        self.assertEqual(
            both, b"213 UNIX.mode=0755;modify=20200101000000; /d\r\n")
        self.assertEqual((self.mtime("d"), self.shell.modes),
                         (JAN_1_2020, {("d",): 0o755}))

    def test_missingAndRoot(self):
        """
        A missing file is C{550}; so is the root's mode, as for C{SITE
        CHMOD}.
        """
        missing, root = repliesTo(
            self.protocol, self.transport, b"MFF UNIX.mode=0644; nothing",
            b"MFF UNIX.mode=0700; /")
        self.assertEqual(missing[:4], b"550 ")
        self.assertEqual(root,
                         b"550 The root's permissions cannot be changed\r\n")
        self.assertEqual(self.shell.modes, {})

    def test_readOnly(self):
        """
        Under C{--read-only}, C{550} (the command table's access class),
        and nothing changes.
        """
        before = self.mtime("f.txt")
        protocol, transport = loggedIn(self.shell, readOnly=True)
        protocol.dataReceived(b"MFF modify=20200101000000; f.txt\r\n"
                              b"MFF UNIX.mode=0600; f.txt\r\n")
        self.assertEqual(replyCodes(transport), ["550", "550"])
        self.assertEqual((self.mtime("f.txt"), self.shell.modes),
                         (before, {}))

    def test_noSiteChmod(self):
        """
        Under C{--no-site-chmod}, C{UNIX.mode} is C{504} (even with
        C{modify}, which is then not set either), and C{FEAT} leaves it
        out; C{modify} alone works.
        """
        before = self.mtime("f.txt")
        protocol, transport = loggedIn(self.shell, siteChmod=False)
        feat, both, modify = repliesTo(
            protocol, transport, b"FEAT",
            b"MFF modify=20200101000000;UNIX.mode=0600; f.txt",
            b"MFF modify=20200101000000; a b.txt")
        self.assertIn(b"\r\n MFF modify;\r\n", feat)
        self.assertEqual(both, b"504 Cannot modify fact 'UNIX.mode'\r\n")
        self.assertEqual(modify[:4], b"213 ")
        self.assertEqual((self.mtime("f.txt"), self.shell.modes),
                         (before, {}))

    def test_shellWithoutChmod(self):
        """
        A shell that cannot change permissions: C{UNIX.mode} is C{504}
        and C{FEAT} leaves it out.
        """
        protocol, transport = loggedIn(MemoryShell({"/f.txt": b"y"}))
        feat, mode = repliesTo(protocol, transport, b"FEAT",
                              b"MFF UNIX.mode=0600; f.txt")
        self.assertIn(b"\r\n MFF modify;\r\n", feat)
        self.assertEqual(mode, b"504 Cannot modify fact 'UNIX.mode'\r\n")

    def test_feat(self):
        """
        Before login and with a shell that sets both, C{FEAT} lists both
        facts.
        """
        [feat] = repliesTo(self.protocol, self.transport, b"FEAT")
        self.assertIn(b"\r\n MFF modify;UNIX.mode;\r\n", feat)

    def test_featWithoutChange(self):
        """
        A user who may change nothing (under C{--read-only}, or anonymous
        with C{--anonymous-write}, who may only create) is offered neither
        C{MFMT} nor C{MFF} in C{FEAT}, nor C{SITE UTIME} and C{SITE
        CHMOD} in C{SITE HELP}: each gets C{550} whatever its argument,
        and rclone, seeing C{MFMT}, failed every anonymous upload on it.
        (C{SITE MKDIR} is offered to one who may create.)
        """
        for settings, login, site in (
                ({"readOnly": True}, b"", b"HELP"),
                ({"anonymousWrite": True}, b"USER anonymous\r\nPASS a@b\r\n",
                 b"MKDIR <path>, HELP")):
            protocol, transport = loggedIn(self.shell, **settings)
            if login:
                protocol.dataReceived(b"REIN\r\n" + login)
            feat, siteHelp, mfmt = repliesTo(
                protocol, transport, b"FEAT", b"SITE HELP",
                b"MFMT 20200101000000 f.txt")
            lines = feat.split(b"\r\n")
            self.assertIn(b" MDTM", lines)
            self.assertEqual([line for line in lines if b" MF" in line], [],
                             settings)
            self.assertEqual(siteHelp, b"214 SITE commands: " + site
                             + b"\r\n")
            self.assertEqual(mfmt[:4], b"550 ")

    def test_helpWithoutChange(self):
        """
        C{HELP} names neither C{MFMT} nor C{MFF} to a logged-in user who
        may change nothing, as C{FEAT} lists neither, and C{HELP} of each
        says why; it names both to one who may.
        """
        protocol, transport = loggedIn(self.shell, anonymousWrite=True)
        [listing] = repliesTo(protocol, transport, b"HELP")
        self.assertEqual(sorted(set(listing.split()) & {b"MFMT", b"MFF"}),
                         [b"MFF", b"MFMT"])
        protocol.dataReceived(b"REIN\r\nUSER anonymous\r\nPASS a@b\r\n")
        listing, mff = repliesTo(protocol, transport, b"HELP", b"HELP MFF")
        self.assertEqual(set(listing.split()) & {b"MFMT", b"MFF"}, set())
        self.assertEqual(mff, b"214 MFF is not available here: you may not "
                         b"change what it sets\r\n")

    def test_featBeforeLogin(self):
        """
        Before C{USER}, C{FEAT}, C{HELP}, C{HELP SITE} and C{OPTS REST
        STOR} offer what every login of the server will get: under
        C{--read-only} and
        where the portal logs in anonymous users only (who may change
        nothing, C{--anonymous-write} or not), neither C{MFMT} nor C{MFF},
        neither C{UTIME} nor C{CHMOD}, and no resumed uploads; under
        C{--no-site-chmod}, C{MFF} without C{UNIX.mode} and no C{CHMOD}.
        C{HELP} offers them as C{FEAT} does. lftp asks C{FEAT} before
        logging in, and was offered them as if the user could.
        """
        anonymousOnly = portal.Portal(OneShellRealm(self.shell),
                                      [checkers.AllowAnonymousAccess()])
        for settings, thePortal, mff, site in (
                ({"readOnly": True}, None, [], b"HELP"),
                ({}, anonymousOnly, [], b"HELP"),
                ({"anonymousWrite": True}, anonymousOnly, [],
                 b"MKDIR <path>, HELP"),
                ({"siteChmod": False}, None, [b" MFF modify;", b" MFMT"],
                 b"UTIME YYYYMMDDhhmm[ss] <path>, MKDIR <path>, HELP")):
            factory = makeFactory(MemoryReactorClock(), **settings)
            if thePortal is not None:
                factory.portal = thePortal
            protocol, transport = connect(factory)
            feat, siteHelp, opts, listing, mfmt = repliesTo(
                protocol, transport, b"FEAT", b"HELP SITE", b"OPTS REST STOR",
                b"HELP", b"HELP MFMT")
            lines = feat.split(b"\r\n")
            self.assertIn(b" MDTM", lines)
            self.assertEqual([line for line in lines if b" MF" in line], mff,
                             settings)
            self.assertEqual(
                sorted(set(listing.split()) & {b"MFMT", b"MFF"}),
                [b"MFF", b"MFMT"] if mff else [])
            self.assertEqual(mfmt, b"214 Syntax: MFMT <sp> YYYYMMDDHHMMSS "
                             b"pathname\r\n" if mff else
                             b"214 MFMT is not available here: you may not "
                             b"change what it sets\r\n")
            self.assertEqual(siteHelp, b"214 SITE commands: " + site
                             + b"\r\n")
            self.assertEqual(opts[:4], b"501 " if not mff else b"200 ")

    def test_featAgreesWithSiteHelp(self):
        """
        C{FEAT} and C{SITE HELP} (and C{HELP SITE}) offer the same: C{SITE
        MKDIR} in both or neither, C{CHMOD} where C{MFF} lists
        C{UNIX.mode}, C{UTIME} where it lists C{modify}, for users with
        and without the rights to create, to set modes and to set times.
        """
        def rights(names):
            return PermissionShell(self.shell, PermissionTable(
                ["list", "read", "write", "mkdir"] + names))

        anonymous = b"REIN\r\nUSER anonymous\r\nPASS a@b\r\n"
        seen = set()
        for shell, settings, login in (
                (self.shell, {}, b""),
                (self.shell, {"readOnly": True}, b""),
                (self.shell, {"siteChmod": False}, b""),
                (self.shell, {}, anonymous),
                (self.shell, {"anonymousWrite": True}, anonymous),
                (rights([]), {}, b""),
                (rights(["chmod"]), {}, b""),
                (rights(["set-time"]), {}, b""),
                (MemoryShell({"/f.txt": b"y"}), {}, b"")):
            protocol, transport = loggedIn(shell, **settings)
            protocol.dataReceived(login)
            transport.clear()
            feat, siteHelp, helpSite = repliesTo(
                protocol, transport, b"FEAT", b"SITE HELP", b"HELP SITE")
            lines = feat.split(b"\r\n")
            mff = b"".join(line for line in lines if line.startswith(b" MFF"))
            featured = (b" SITE MKDIR" in lines, b"UNIX.mode;" in mff,
                        b"modify;" in mff)
            self.assertEqual(helpSite, siteHelp)
            self.assertEqual(featured, tuple(
                name in siteHelp for name in (b"MKDIR", b"CHMOD", b"UTIME")),
                (settings, login, feat, siteHelp))
            seen.add(featured)
        self.assertEqual(len(seen), 5, seen)

    def test_featBeforeLoginWhereUsersMayChange(self):
        """
        Where named users may log in and change files, C{FEAT} before
        C{USER} lists C{MFMT} and C{MFF} with both facts, as after an
        ordinary user's login.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        [feat] = repliesTo(protocol, transport, b"FEAT")
        self.assertIn(b"\r\n MFMT\r\n", feat)
        self.assertIn(b"\r\n MFF modify;UNIX.mode;\r\n", feat)

    def test_permissions(self):
        """
        Each fact needs the users file's permission its command needs:
        C{set-time} as C{MFMT}, C{chmod} as C{SITE CHMOD}. A fact whose
        permission the user has nowhere is not offered (C{FEAT}), and
        is C{504}; one granted in another directory only, C{550}.
        """
        elsewhere = {("sub",): ["set-time", "chmod"]}
        for names, overrides, codes in (
                (["list", "read"], {}, [b"504", b"504"]),
                (["list", "read", "set-time"], {}, [b"213", b"504"]),
                (["list", "read", "chmod"], {}, [b"504", b"213"]),
                (["list", "read"], elsewhere, [b"550", b"550"])):
            protocol, transport = loggedIn(PermissionShell(
                self.shell, PermissionTable(names, overrides)))
            replies = repliesTo(protocol, transport,
                               b"MFF modify=20200101000000; f.txt",
                               b"MFF UNIX.mode=0600; f.txt")
            self.assertEqual([reply[:3] for reply in replies], codes)

    def test_modeRefusedKeepsTime(self):
        """
        A user with the users file's C{set-time} permission but not
        C{chmod} here (granted in another directory only): C{MFF} with
        both facts is C{550}, and the file keeps its time (it kept the
        new one, C{modify} being set first).
        """
        before = self.mtime("f.txt")
        protocol, transport = loggedIn(PermissionShell(
            self.shell, PermissionTable(["list", "read", "set-time"],
                                        {("sub",): ["chmod"]})))
        [reply] = repliesTo(protocol, transport,
                           b"MFF modify=20200101000000;UNIX.mode=0600; f.txt")
        self.assertEqual(reply[:4], b"550 ")
        self.assertEqual((self.mtime("f.txt"), self.shell.modes),
                         (before, {}))

    def test_chmodFailsKeepsTime(self):
        """
        A C{chmod} the storage refuses: C{550}, the time put back.
        """
        def refuse(path, mode):
            raise PermissionDenied()
        self.shell.setPermissions = refuse
        before = self.mtime("f.txt")
        [reply] = repliesTo(self.protocol, self.transport,
                           b"MFF modify=20200101000000;UNIX.mode=0600; f.txt")
        self.assertEqual(reply[:4], b"550 ")
        self.assertEqual(self.mtime("f.txt"), before)

    def test_mfct(self):
        """
        C{MFCT} (a creation time, which no shell sets) is C{502}.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                           b"MFCT 20200101000000 f.txt")
        self.assertEqual(reply[:4], b"502 ")


class DiskTests(unittest.TestCase):
    """
    C{MFF} on the filesystem shell whose C{chmod} fails on disk.
    """

    def test_chmodFailsKeepsTime(self):
        """
        C{550}, and the file keeps its time and its mode.
        """
        root = self.mktemp()
        os.makedirs(root)
        target = os.path.join(root, "f.txt")
        with open(target, "wb") as f:
            f.write(b"y")
        os.chmod(target, 0o644)
        os.utime(target, ns=(1_000_000_000_123_456_789,) * 2)

        def failing(path, mode):
            raise PermissionError(1, "Operation not permitted")
        self.patch(filesystem, "_chmod", failing)
        protocol, transport = loggedIn(
            FilesystemShell(os.fsencode(root), runner=maybeDeferred))
        [reply] = repliesTo(protocol, transport,
                           b"MFF modify=20200101000000;UNIX.mode=0600; f.txt")
        self.assertEqual(reply[:4], b"550 ")
        result = os.stat(target)
        self.assertEqual(result.st_mode & 0o777, 0o644)
        self.assertAlmostEqual(result.st_mtime, 1_000_000_000.123456789,
                               places=5)


class ObjectStoreTests(unittest.TestCase):
    """
    A shell whose storage cannot set times (it leaves C{MFMT} out of
    C{FEAT}) has C{MFF} without C{modify}; and why C{HELP} says C{MFF}
    and C{MFMT} are not available, where the storage and the user's
    permissions each keep a fact from being set.
    """

    def timeless(self, shell):
        """
        @return: C{shell}, saying its storage cannot set times.
        """
        shell.unsupportedFeatures = lambda: frozenset(["MFMT"])
        alsoProvides(shell, IFTPShellFeatures)
        return shell

    def test_noTimes(self):
        protocol, transport = loggedIn(
            self.timeless(ChmodMemoryShell({"/f.txt": b"y"})))
        feat, modify = repliesTo(protocol, transport, b"FEAT",
                                b"MFF modify=20200101000000; f.txt")
        self.assertIn(b"\r\n MFF UNIX.mode;\r\n", feat)
        self.assertNotIn(b"MFMT", feat)
        self.assertEqual(modify, b"504 Cannot modify fact 'modify'\r\n")

    def test_nothingSettable(self):
        """
        Without times nor modes, C{FEAT} has no C{MFF} line, C{HELP}
        names neither C{MFF} nor C{MFMT}, and C{HELP} of each blames the
        storage.
        """
        protocol, transport = loggedIn(
            self.timeless(MemoryShell({"/f.txt": b"y"})))
        feat, listing, *helps = repliesTo(
            protocol, transport, b"FEAT", b"HELP", b"HELP MFF", b"HELP MFMT")
        self.assertNotIn(b"MFF", feat)
        self.assertEqual(set(listing.split()) & {b"MFMT", b"MFF"}, set())
        self.assertEqual(helps, [
            b"214 MFF is not available here: this storage cannot set times"
            b" or change modes\r\n",
            b"214 MFMT is not available here: this storage cannot set"
            b" times\r\n"])

    def helps(self, shell, table, **settings):
        """
        @param shell: the storage.
        @param table: the L{PermissionTable} of the user, who gets
            C{shell} through a L{PermissionShell}.
        @param settings: L{ServerConfig} fields.
        @return: the C{FEAT} line of C{MFF} (or C{None}), and the replies
            to C{HELP MFF} and C{HELP MFMT}.
        """
        protocol, transport = loggedIn(PermissionShell(shell, table),
                                       **settings)
        feat, mff, mfmt = repliesTo(protocol, transport, b"FEAT",
                                    b"HELP MFF", b"HELP MFMT")
        lines = [line for line in feat.split(b"\r\n")
                 if line.startswith(b" MFF")]
        return (lines[0] if lines else None), mff, mfmt

    def test_mixedReasons(self):
        """
        Where C{MFF} can set no fact for reasons of both kinds, C{HELP
        MFF} gives each fact's (it blamed the storage, or the user,
        for both), and C{HELP MFMT} the time's: a storage that cannot
        set times, for a user granted C{set-time} in one directory and
        C{chmod} nowhere; a storage that cannot change modes, or a
        server that lets nobody (C{--no-site-chmod}), for a user granted
        C{set-time} nowhere.
        """
        sometimes = PermissionTable(["list", "read", "write"],
                                    {("sub",): ["set-time"]})
        never = PermissionTable(["list", "read", "write", "chmod"], {})
        timeless = self.timeless(ChmodMemoryShell({"/f.txt": b"y"}))
        refused = b"214 %s is not available here: %s\r\n"
        for shell, table, settings, mff, mfmt in (
                (timeless, sometimes, {},
                 b"this storage cannot set times; you may change modes"
                 b" nowhere", b"this storage cannot set times"),
                (MemoryShell({"/f.txt": b"y"}), never, {},
                 b"this storage cannot change modes; you may set times"
                 b" nowhere", b"you may set times nowhere"),
                (ChmodMemoryShell({"/f.txt": b"y"}), never,
                 {"siteChmod": False},
                 b"you may set times nowhere; this server lets nobody"
                 b" change modes", b"you may set times nowhere")):
            self.assertEqual(
                self.helps(shell, table, **settings),
                (None, refused % (b"MFF", mff), refused % (b"MFMT", mfmt)))

    def test_someFacts(self):
        """
        A user granted C{set-time} in one directory only, on a storage
        that sets times and no modes, is offered C{MFF} of C{modify}
        and C{MFMT}, whose C{HELP} gives their syntax.
        """
        feat, mff, mfmt = self.helps(
            MemoryShell({"/f.txt": b"y"}),
            PermissionTable(["list", "read", "write"],
                            {("sub",): ["set-time", "chmod"]}))
        self.assertEqual(feat, b" MFF modify;")
        self.assertTrue(mff.startswith(b"214 Syntax: MFF "), mff)
        self.assertTrue(mfmt.startswith(b"214 Syntax: MFMT "), mfmt)
