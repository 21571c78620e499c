"""
C{SITE MKDIR} (ProFTPD's mod_site_misc; lftp's C{mkdir -p}) on
L{StringTransport}: every missing directory of the path made, the
refusals, and C{FEAT} and C{SITE HELP} offering it where the user may
make directories.
"""

from twisted.cred import checkers, portal
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.handlers.reporting import pathArgument
from ftpkit.errors import NoSuchFile
from ftpkit.ops import events
from ftpkit.protocol.access import OFFERED_PERMISSIONS, grantedBy
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from ftpkit.shells.wrappers import HideDotfilesShell, ShellWrapper
from tests.memorysessions import (
    OneShellRealm,
    connect,
    loggedIn,
    makeFactory,
    repliesTo,
)

OK = b"200 SITE MKDIR command successful\r\n"


class SiteMkdirTests(unittest.TestCase):
    """
    C{SITE MKDIR} on a L{MemoryShell} of C{/a/f.txt}.
    """

    def setUp(self):
        self.shell = MemoryShell({"/a/f.txt": b"x"})
        self.protocol, self.transport = loggedIn(self.shell)

    def isDirectory(self, *path):
        found = []
        self.shell.stat(path).addCallbacks(
            lambda info: found.append(info.isDirectory),
            lambda failure: found.append(False))
        return found[0]

    def test_parents(self):
        """
        Every missing directory of the path is made, below one that
        exists, and relative to the current directory; C{200}.
        """
        replies = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR /a/b/c d", b"CWD /a",
                            b"site mkdir e/f")
        self.assertEqual((replies[0], replies[2]), (OK, OK))
        self.assertTrue(all([self.isDirectory("a", "b", "c d"),
                             self.isDirectory("a", "e", "f")]))

    def test_exists(self):
        """
        A path that is a directory already is no error, as with C{mkdir
        -p}; nor is the root.
        """
        replies = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR a", b"SITE MKDIR /")
        self.assertEqual(replies, [OK, OK])

    def test_existingLookedAtOnce(self):
        """
        A path that is a directory already is looked at once, not once
        for each of its names: a client repeating C{SITE MKDIR} of a
        path of 256 names cost the server 256 looks each time (145 ms
        of CPU on the disk realm).
        """
        deep = b"/".join([b"d"] * 40)
        repliesTo(self.protocol, self.transport, b"SITE MKDIR " + deep)
        asked = []
        stat = self.shell.stat
        self.patch(self.shell, "stat",
                   lambda path: asked.append(path) or stat(path))
        replies = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR " + deep)
        self.assertEqual((replies, len(asked)), ([OK], 1))

    def test_fileOnThePath(self):
        """
        A file where a directory should be: C{550}, and nothing made
        below it.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR a/f.txt/g")
        self.assertTrue(reply.startswith(b"550 "), reply)
        self.assertFalse(self.isDirectory("a", "f.txt", "g"))

    def test_pathIsAFile(self):
        """
        A path whose last name is a file: C{550}, as C{mkdir -p} fails,
        not the C{200} of a directory there already.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR a/f.txt")
        self.assertTrue(reply.startswith(b"550 "), reply)
        self.assertFalse(self.isDirectory("a", "f.txt"))

    def test_noPath(self):
        """
        No path: C{501} with the syntax (it was C{500 Unknown SITE
        command}).
        """
        replies = repliesTo(self.protocol, self.transport, b"SITE MKDIR",
                            b"SITE MKDIR ")
        self.assertEqual(replies, [b"501 Syntax: SITE MKDIR <path>\r\n"] * 2)

    def test_badName(self):
        """
        A name no file can have gets a clear refusal, not a traceback.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                            b"SITE MKDIR a/x\x00y")
        self.assertTrue(reply[:3] in (b"550", b"553"), reply)

    def test_events(self):
        """
        Each directory made is one C{MKD} change, as if C{MKD} had made
        it; nothing is reported for what was there.
        """
        published = []
        self.protocol.factory.events.subscribe(published.append,
                                               [events.CHANGE])
        repliesTo(self.protocol, self.transport, b"SITE MKDIR a/b/c")
        self.assertEqual([(event.command, event.path) for event in published],
                         [("MKD", "/a/b"), ("MKD", "/a/b/c")])

    def test_offered(self):
        """
        C{FEAT} lists C{SITE MKDIR} and C{SITE HELP} names it, with its
        syntax.
        """
        feat, help, one = repliesTo(self.protocol, self.transport, b"FEAT",
                                    b"SITE HELP", b"SITE HELP MKDIR")
        self.assertIn(b"\r\n SITE MKDIR\r\n", feat)
        self.assertIn(b"MKDIR <path>", help)
        self.assertEqual(one, b"214 Syntax: SITE MKDIR <path>\r\n")


class ReadOnlyTests(unittest.TestCase):
    """
    A user who may not make directories is refused C{SITE MKDIR}, and
    not offered it.
    """

    def check(self, protocol, transport, shell):
        mkdir, feat, help = repliesTo(protocol, transport,
                                      b"SITE MKDIR b/c", b"FEAT",
                                      b"SITE HELP")
        self.assertTrue(mkdir.startswith(b"550 "), mkdir)
        self.assertNotIn(b"SITE MKDIR", feat)
        self.assertNotIn(b"MKDIR", help)
        self.failureResultOf(shell.stat(("b",)), NoSuchFile)
        self.assertEqual([(event.command, event.path, event.code)
                          for event in self.refused],
                         [("SITE MKDIR", "/b/c", 550)])

    def watch(self, protocol):
        self.refused = []
        protocol.factory.events.subscribe(self.refused.append,
                                          [events.REFUSAL])

    def test_readOnly(self):
        """
        Under C{--read-only}.
        """
        shell = MemoryShell({})
        protocol, transport = loggedIn(shell, readOnly=True)
        self.watch(protocol)
        self.check(protocol, transport, shell)

    def test_anonymous(self):
        """
        An anonymous user, without C{--anonymous-write}.
        """
        shell = MemoryShell({})
        protocol, transport = loggedIn(shell)
        repliesTo(protocol, transport, b"REIN", b"USER anonymous",
                  b"PASS a@b")
        self.watch(protocol)
        self.check(protocol, transport, shell)


class UngrantedTests(unittest.TestCase):
    """
    A user whose permissions (a users file's) grant C{mkdir} nowhere is
    offered no C{SITE MKDIR} (C{FEAT}, C{SITE HELP}, C{HELP SITE}), as
    one granted C{chmod} nowhere is offered no C{SITE CHMOD}: it was
    offered, and every C{SITE MKDIR} then got C{550}. Nor is it offered
    before login where no user of the realm is granted it somewhere.
    """

    def offers(self, protocol, transport):
        """
        @return: C{[FEAT lists SITE MKDIR, SITE HELP names it, HELP SITE
            names it]} in that session.
        """
        feat, siteHelp, helpSite = repliesTo(
            protocol, transport, b"FEAT", b"SITE HELP", b"HELP SITE")
        return [b"\r\n SITE MKDIR\r\n" in feat, b"MKDIR" in siteHelp,
                b"MKDIR" in helpSite]

    def test_grantedNowhere(self):
        """
        Granted C{write} but not C{mkdir}: not offered, and refused.
        """
        shell = PermissionShell(MemoryShell({}), PermissionTable(
            ["list", "read", "write"]))
        protocol, transport = loggedIn(shell)
        self.assertEqual(self.offers(protocol, transport), [False] * 3)
        [mkdir] = repliesTo(protocol, transport, b"SITE MKDIR b/c")
        self.assertEqual(mkdir[:4], b"550 ")

    def test_helpListsTheVerbs(self):
        """
        C{HELP} lists C{MKD} and C{XMKD} all the same, as it lists
        C{STOR}, C{DELE} and C{RMD} to a read-only user, and C{HELP MKD}
        gives its syntax; C{MKD} gets C{550} (C{docs/protocol.rst}:
        C{HELP} leaves out what the session's state or storage refuses,
        and what C{FEAT} leaves out, never a verb for the user's rules).
        """
        for shell in (PermissionShell(MemoryShell({}), PermissionTable(
                          ["list", "read", "write"])),
                      PermissionShell(MemoryShell({}), PermissionTable(
                          ["list", "read"]))):
            protocol, transport = loggedIn(shell)
            help, helpMkd, mkd = repliesTo(protocol, transport, b"HELP",
                                           b"HELP MKD", b"MKD b")
            listed = set(b" ".join(help.split(b"\r\n")[1:-2]).split())
            self.assertTrue(
                {b"MKD", b"XMKD", b"STOR", b"DELE", b"RMD"} <= listed,
                listed)
            self.assertNotIn(b"MFMT", listed)
            self.assertTrue(helpMkd.startswith(b"214 Syntax: MKD "), helpMkd)
            self.assertEqual(mkd[:4], b"550 ")

    def test_grantedNowhereWrapped(self):
        """
        Nor where the realm wraps that shell again (in a
        L{HideDotfilesShell}): a wrapper passes on what the shell it
        wraps grants, C{mkdir} included.
        """
        shell = HideDotfilesShell(PermissionShell(
            MemoryShell({}), PermissionTable(["list", "read", "write"])))
        protocol, transport = loggedIn(shell)
        self.assertEqual(self.offers(protocol, transport), [False] * 3)

    def test_grantedInDirectory(self):
        """
        Granted C{mkdir} in one directory only: offered.
        """
        shell = PermissionShell(MemoryShell({}), PermissionTable(
            ["list", "read"], {("in",): ["list", "read", "mkdir"]}))
        protocol, transport = loggedIn(shell)
        self.assertEqual(self.offers(protocol, transport), [True] * 3)

    def test_beforeLogin(self):
        """
        Before C{USER}, C{FEAT} and C{HELP SITE} leave it out where the
        realm grants C{mkdir} to nobody (L{grantedBy
        <ftpkit.protocol.access.grantedBy>}), and offer it where it does.
        """
        for granted, offered in ((frozenset(["set-time"]), False),
                                 (frozenset(["mkdir"]), True)):
            realm = OneShellRealm(MemoryShell({}))
            realm.grantedPermissions = granted
            realm.knownPermissions = OFFERED_PERMISSIONS
            factory = makeFactory(MemoryReactorClock())
            factory.portal = portal.Portal(
                realm, [checkers.InMemoryUsernamePasswordDatabaseDontUse(
                    alice=b"secret")])
            protocol, transport = connect(factory)
            feat, helpSite = repliesTo(protocol, transport, b"FEAT",
                                       b"HELP SITE")
            self.assertEqual([b"\r\n SITE MKDIR\r\n" in feat,
                              b"MKDIR" in helpSite], [offered] * 2)


class PluginShell(ShellWrapper):
    """
    A shell as a plugin outside ftpkit wrote it before C{mkdir} was
    offered only where granted (session 46): it lists by hand the
    permissions it grants of those there were, C{set-time}, C{chmod} and
    C{append}.
    """

    grantedPermissions = frozenset(["set-time", "chmod", "append"])


class DecidingShell(PluginShell):
    """
    A plugin's shell that says its C{grantedPermissions} decides every
    permission offered, C{mkdir} among them.
    """

    knownPermissions = OFFERED_PERMISSIONS


class OlderPluginTests(unittest.TestCase):
    """
    A shell or realm of a plugin that declares C{grantedPermissions}
    without C{mkdir}, written before there was one to declare, keeps
    C{SITE MKDIR}: it lost it when C{mkdir} joined the permissions
    offered only where granted. One that says its declaration decides
    C{mkdir} (C{knownPermissions}) does not.
    """

    def offers(self, protocol, transport):
        """
        @return: C{[FEAT lists SITE MKDIR, HELP SITE names it]}.
        """
        feat, siteHelp = repliesTo(protocol, transport, b"FEAT",
                                   b"HELP SITE")
        return [b"\r\n SITE MKDIR\r\n" in feat, b"MKDIR" in siteHelp]

    def test_shell(self):
        """
        After login on the older plugin's shell: offered, and made.
        """
        shell = MemoryShell({})
        protocol, transport = loggedIn(PluginShell(shell))
        self.assertEqual(self.offers(protocol, transport), [True, True])
        self.assertEqual(repliesTo(protocol, transport, b"SITE MKDIR b/c"),
                         [OK])
        self.assertTrue(self.successResultOf(
            shell.stat(("b", "c"))).isDirectory)

    def test_shellDeciding(self):
        """
        A shell whose C{knownPermissions} holds C{mkdir} and whose
        C{grantedPermissions} does not: not offered.
        """
        protocol, transport = loggedIn(DecidingShell(MemoryShell({})))
        self.assertEqual(self.offers(protocol, transport), [False, False])

    def test_onlyNewOnesGranted(self):
        """
        An older declaration withholds what it names: C{append} left out
        of it is not granted, C{mkdir}, which it could not name, is.
        """
        shell = PluginShell(MemoryShell({}))
        shell.grantedPermissions = frozenset(["set-time", "chmod"])
        self.assertEqual(grantedBy(shell),
                         frozenset(["set-time", "chmod", "mkdir"]))

    def test_realm(self):
        """
        Before login, on a server whose older plugin's realm declares the
        permissions of its users so: offered.
        """
        realm = OneShellRealm(MemoryShell({}))
        realm.grantedPermissions = PluginShell.grantedPermissions
        factory = makeFactory(MemoryReactorClock())
        factory.portal = portal.Portal(
            realm, [checkers.InMemoryUsernamePasswordDatabaseDontUse(
                alice=b"secret")])
        protocol, transport = connect(factory)
        self.assertEqual(self.offers(protocol, transport), [True, True])


class PathArgumentTests(unittest.TestCase):
    """
    L{pathArgument} finds the path of C{SITE MKDIR}, which events and
    refusals report.
    """

    def test_path(self):
        self.assertEqual(
            [pathArgument("SITE", "MKDIR a b"),
             pathArgument("SITE", "mkdir  lead"),
             pathArgument("SITE", "MKDIR"),
             pathArgument("SITE", "CHMOD 644 x y")],
            ["a b", " lead", None, "x y"])
