"""
The C{perm} fact of C{MLST} tells what the user may do (RFC 3659, section
7.5.5), on L{StringTransport}: it told C{adfrw} to a user whose shell
(a users file's permissions, per directory or read-only, the anonymous
rules) refused every change.
"""

import re

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.wrappers import ReadOnlyShell
from tests.memorysessions import loggedIn, repliesTo


def files():
    """
    @return: a L{MemoryShell} holding C{/f.txt}, C{/up/g.txt} and
        C{/pub/ro/h.txt}.
    """
    return MemoryShell({"/f.txt": b"x", "/up/g.txt": b"y",
                        "/pub/ro/h.txt": b"z"})


class PermFactTests(unittest.TestCase):
    """
    C{MLST} of files and directories on shells that restrict the user.
    """

    def perm(self, shell, *paths, **settings):
        """
        @param shell: the session's shell.
        @param paths: the paths to ask C{MLST} about.
        @param settings: L{ftpkit.config.ServerConfig} settings.
        @return: the C{perm} fact of each path.
        """
        protocol, transport = loggedIn(shell, **settings)
        facts = []
        for reply in repliesTo(protocol, transport,
                              *(b"MLST " + path for path in paths)):
            found = re.search(rb";perm=([a-z]*);", reply)
            self.assertIsNotNone(found, reply)
            facts.append(found.group(1).decode())
        return facts

    def test_everything(self):
        """
        A user who may do anything is told so.
        """
        self.assertEqual(self.perm(files(), b"/f.txt", b"/up"),
                         ["adfrw", "cdeflmp"])

    def test_permissions(self):
        """
        A users file's permissions: looking only, C{r} and C{el}.
        """
        shell = PermissionShell(files(), PermissionTable(["list", "read"]))
        self.assertEqual(self.perm(shell, b"/f.txt", b"/up"), ["r", "el"])

    def test_eachPermission(self):
        """
        Each permission gives its letters, and no other (with C{read}, so
        that C{MLST} may look).
        """
        cases = {"list": ("r", "el"), "read": ("r", "e"),
                 "write": ("rw", "ce"), "append": ("ar", "e"),
                 "delete": ("dr", "dep"), "rename": ("fr", "ef"),
                 "mkdir": ("r", "em"), "set-time": ("r", "e"),
                 "chmod": ("r", "e")}
        self.assertEqual(set(cases), set(PERMISSIONS))
        for name, expected in cases.items():
            shell = PermissionShell(files(), PermissionTable([name, "read"]))
            self.assertEqual(tuple(self.perm(shell, b"/f.txt", b"/up")),
                             expected, name)

    def test_directoryPermissions(self):
        """
        A directory with permissions of its own, and what is in it, show
        them; a directory above one cannot be renamed (no C{f}).
        """
        shell = PermissionShell(files(), PermissionTable(
            PERMISSIONS, {("up",): ["list", "write"],
                          ("pub", "ro"): ["list", "read"]}))
        self.assertEqual(
            self.perm(shell, b"/up", b"/up/g.txt", b"/pub", b"/pub/ro",
                      b"/pub/ro/h.txt", b"/f.txt"),
            ["cel", "w", "cdelmp", "el", "r", "adfrw"])

    def test_readOnlyUser(self):
        """
        A user read-only in a users file (the realm's
        L{ReadOnlyShell}) is told C{r} and C{el}.
        """
        self.assertEqual(self.perm(ReadOnlyShell(files()), b"/f.txt", b"/up"),
                         ["r", "el"])

    def test_readOnlyServer(self):
        """
        So is every user of a C{--read-only} server.
        """
        self.assertEqual(self.perm(files(), b"/f.txt", b"/up", readOnly=True),
                         ["r", "el"])

    def test_anonymousWrite(self):
        """
        An anonymous user with C{--anonymous-write} may make files and
        directories (C{c}, C{m}), and change none.
        """
        protocol, transport = loggedIn(files(), anonymousWrite=True)
        protocol.dataReceived(b"REIN\r\nUSER anonymous\r\nPASS a@b\r\n")
        facts = [re.search(rb";perm=([a-z]*);", reply).group(1)
                 for reply in repliesTo(protocol, transport, b"MLST /f.txt",
                                       b"MLST /up")]
        self.assertEqual(facts, [b"r", b"celm"])


class RootPermTests(unittest.TestCase):
    """
    The C{perm} fact of the user's root, which C{RMD} and C{RNFR} refuse
    to everyone.
    """

    def test_rootNotRemovable(self):
        """
        C{MLST /} (and C{MLST} in the root) gives no C{d} (delete) and no
        C{f} (rename) to a user who may do anything: it gave C{cdeflmp},
        and C{RMD /} and C{RNFR /} got C{550}. A directory below it keeps
        them.
        """
        protocol, transport = loggedIn(files())
        replies = repliesTo(protocol, transport, b"MLST /", b"MLST",
                            b"MLST /up", b"RMD /", b"RNFR /")
        self.assertEqual(
            [re.search(rb";perm=([a-z]*);", reply).group(1)
             for reply in replies[:3]],
            [b"celmp", b"celmp", b"cdeflmp"])
        self.assertEqual([reply[:4] for reply in replies[3:]],
                         [b"550 "] * 2)
