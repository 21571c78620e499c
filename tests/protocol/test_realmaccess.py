"""
A realm's own access rules (a user read-only in the users file) narrow the
session's policy at login (L{ftpkit.protocol.access.AccessPolicy.within}):
such a user is refused every change before the command runs, as under
C{--read-only}; C{RNFR} gets C{550}, never C{350}.
"""

from twisted.cred import portal
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import wrapForUser
from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol.access import (
    CHANGE,
    CREATE,
    EVERY_CLASS,
    OFFERED_PERMISSIONS,
    READ,
    AccessPolicy,
    allowedBy,
    grantedBy,
)
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell, PermissionTable
from ftpkit.shells.wrappers import (
    HideDotfilesShell,
    ReadOnlyShell,
    UploadOnlyShell,
)
from tests.memorysessions import connect, replyCodes

CHANGING_LINES = [
    b"RNFR /old.txt", b"RNTO /x", b"DELE /old.txt", b"MKD /e", b"XMKD /e",
    b"RMD /d", b"XRMD /d", b"STOR /old.txt", b"STOR /new", b"STOU",
    b"APPE /old.txt", b"MFMT 20200101000000 /old.txt",
    b"MFF modify=20200101000000; /old.txt", b"SITE CHMOD 600 /old.txt",
    b"SITE UTIME 202001010000 /old.txt"]
"""Every command that changes something, on names that exist or not."""


@implementer(portal.IRealm)
class RuledRealm:
    """
    Gives every user a L{MemoryShell} under the write rules of
    L{wrapForUser}, as the users file's realm does for a read-only user.

    @ivar shell: the bare shell beneath.
    """

    def __init__(self, readOnly=False):
        self.shell = MemoryShell({"/old.txt": b"original\n", "/d/f": b"f"})
        self._readOnly = readOnly

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, wrapForUser(self.shell, False, self._readOnly,
                                      False), lambda: None


def loggedIn(realm, **settings):
    """
    @param realm: the realm.
    @param settings: L{ServerConfig} fields.
    @return: C{(protocol, transport)} of a session logged in as C{alice},
        its transport cleared.
    """
    from ftpkit.control.server import FTPFactory
    from ftpkit.loopback import makePortal

    factory = FTPFactory(makePortal(realm, {"alice": "secret"}),
                         ServerConfig(**settings), MemoryReactorClock())
    protocol, transport = connect(factory)
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    assert replyCodes(transport)[-1] == "230", transport.value()
    transport.clear()
    return protocol, transport


class AllowedByTests(unittest.TestCase):
    """
    L{allowedBy}: the access classes a shell lets through.
    """

    def test_bare(self):
        """
        A shell that declares nothing lets every class through.
        """
        self.assertEqual(allowedBy(MemoryShell()), EVERY_CLASS)

    def test_guards(self):
        """
        L{ReadOnlyShell} lets only reads through, L{UploadOnlyShell} reads
        and creations.
        """
        self.assertEqual(allowedBy(ReadOnlyShell(MemoryShell())), {READ})
        self.assertEqual(allowedBy(UploadOnlyShell(MemoryShell())),
                         {READ, CREATE})

    def test_throughWrappers(self):
        """
        A wrapper that restricts no class passes on what the shell it
        wraps lets through; a guard over a stricter one keeps the
        stricter.
        """
        self.assertEqual(
            allowedBy(HideDotfilesShell(ReadOnlyShell(MemoryShell()))),
            {READ})
        self.assertEqual(
            allowedBy(UploadOnlyShell(ReadOnlyShell(MemoryShell()))), {READ})
        self.assertEqual(allowedBy(HideDotfilesShell(MemoryShell())),
                         EVERY_CLASS)


class WithinTests(unittest.TestCase):
    """
    L{AccessPolicy.within}: a policy narrowed to what a shell lets through.
    """

    def test_readOnlyShell(self):
        """
        A named user given a read-only shell may only read.
        """
        policy = AccessPolicy().within(ReadOnlyShell(MemoryShell()))
        self.assertEqual([policy.allows(c) for c in (READ, CREATE, CHANGE)],
                         [True, False, False])

    def test_uploadOnlyShell(self):
        """
        A named user given an upload-only shell may read and create.
        """
        policy = AccessPolicy().within(UploadOnlyShell(MemoryShell()))
        self.assertEqual([policy.allows(c) for c in (READ, CREATE, CHANGE)],
                         [True, True, False])

    def test_unchanged(self):
        """
        A shell that lets through everything the policy allows leaves the
        policy as it is.
        """
        policy = AccessPolicy.of(False, True, False, False, True, False)
        self.assertIs(policy.within(ReadOnlyShell(MemoryShell())), policy)
        policy = AccessPolicy()
        self.assertIs(policy.within(MemoryShell()), policy)

    def test_grantedNowhere(self):
        """
        A users file's user whose permissions grant C{set-time},
        C{chmod}, C{append} or C{mkdir} nowhere
        (L{PermissionTable.grantedAnywhere}) is offered none of their
        commands; one granted them in a directory alone, and through a
        wrapper, is.
        """
        table = PermissionTable(["list", "read", "write", "chmod"],
                                {("up",): ["append"]})
        policy = AccessPolicy().within(PermissionShell(MemoryShell(), table))
        self.assertEqual((policy.timesGranted, policy.modesGranted,
                          policy.resumesGranted, policy.directoriesGranted),
                         (False, True, True, False))
        self.assertEqual(grantedBy(UploadOnlyShell(PermissionShell(
            MemoryShell(), PermissionTable(["write"])))), frozenset())
        policy = AccessPolicy()
        self.assertIs(policy.within(PermissionShell(
            MemoryShell(), PermissionTable(OFFERED_PERMISSIONS))), policy)


class ReadOnlyAvatarTests(unittest.TestCase):
    """
    A user the realm made read-only, on a server without C{--read-only}.
    """

    def test_renameRefusedAtRNFR(self):
        """
        C{RNFR} is refused with C{550} (permission denied), so no client
        believes a rename is under way; its C{RNTO} is refused too.
        """
        protocol, transport = loggedIn(RuledRealm(readOnly=True))
        protocol.dataReceived(b"RNFR /old.txt\r\nRNTO /moved\r\n")
        self.assertEqual(replyCodes(transport), ["550", "550"])
        self.assertIsNone(protocol.session.renameFrom)

    def test_everyChangeRefusedAlike(self):
        """
        Every changing command gets the same C{550 Permission denied} the
        command table gives under C{--read-only}, and the tree is
        unchanged.
        """
        realm = RuledRealm(readOnly=True)
        protocol, transport = loggedIn(realm)
        protocol.dataReceived(b"".join(line + b"\r\n"
                                       for line in CHANGING_LINES))
        self.assertEqual(transport.value().split(b"\r\n")[:-1],
                         [b"550 Permission denied"] * len(CHANGING_LINES))
        readOnlyProtocol, readOnlyTransport = loggedIn(RuledRealm(),
                                                       readOnly=True)
        readOnlyProtocol.dataReceived(
            b"".join(line + b"\r\n" for line in CHANGING_LINES))
        self.assertEqual(readOnlyTransport.value(), transport.value())
        entries = self.successResultOf(realm.shell.list(()))
        self.assertEqual([name for name, _ in entries], ["d", "old.txt"])

    def test_readsAllowed(self):
        """
        Looking still works.
        """
        protocol, transport = loggedIn(RuledRealm(readOnly=True))
        protocol.dataReceived(b"TYPE I\r\nSIZE /old.txt\r\nCWD /d\r\n")
        self.assertEqual(replyCodes(transport), ["200", "213", "250"])

    def test_renameAllowedToOthers(self):
        """
        A user the realm does not restrict still renames.
        """
        protocol, transport = loggedIn(RuledRealm())
        protocol.dataReceived(b"RNFR /old.txt\r\nRNTO /moved\r\n")
        self.assertEqual(replyCodes(transport), ["350", "250"])

    def test_reinForgets(self):
        """
        The narrowed policy is the session's: after C{REIN}, the next
        login starts from the server's rules again.
        """
        protocol, _ = loggedIn(RuledRealm(readOnly=True))
        self.assertFalse(protocol.session.access.allows(CREATE))
        protocol.dataReceived(b"REIN\r\n")
        self.assertTrue(protocol.session.access.allows(CHANGE))
