"""
Directory rules (a users file's C{directories}, held by
L{ftpkit.shells.permissions.PermissionShell}) as the session meets them:
C{RNFR} of what the rules would not let be renamed gets C{550} at once
(L{ftpkit.protocol.access.mayRename}), never C{350} and a refused
C{RNTO}; a shell of a plugin that tells no rules renames as before.
"""

from twisted.cred import portal
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from tests.memorysessions import replyCodes
from tests.protocol.test_realmaccess import loggedIn

FILES = {"/ro/kept.txt": b"kept\n", "/ro/sub/f": b"f",
         "/rw/mine.txt": b"mine\n", "/top.txt": b"top\n"}
"""A tree with a read-only directory, C{/ro}, beside a writable one."""


@implementer(portal.IRealm)
class DirectoryRulesRealm:
    """
    Gives every user a L{PermissionShell} over one L{MemoryShell}: every
    permission but in C{/ro}, where only C{list} and C{read}.

    @ivar shell: the bare shell beneath.
    """

    def __init__(self):
        self.shell = MemoryShell(dict(FILES))

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        table = PermissionTable(PERMISSIONS, {("ro",): ["list", "read"]})
        return IFTPShell, PermissionShell(self.shell, table), lambda: None


@implementer(portal.IRealm)
class PluginRealm:
    """
    Gives every user a shell of a plugin that knows nothing of access
    classes or C{perm} letters (L{PluginShell}).
    """

    def __init__(self):
        self.shell = MemoryShell(dict(FILES))

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, PluginShell(self.shell), lambda: None


@implementer(IFTPShell)
class PluginShell:
    """
    A plugin's shell, written against L{IFTPShell} alone: it declares no
    C{accessClasses} and provides no optional extra.
    """

    def __init__(self, shell):
        self._shell = shell

    def __getattr__(self, name):
        if name in IFTPShell.names():
            return getattr(self._shell, name)
        raise AttributeError(name)


class RenameFromTests(unittest.TestCase):
    """
    C{RNFR} asks the rules of the path it names.
    """

    def session(self):
        self.realm = DirectoryRulesRealm()
        return loggedIn(self.realm)

    def names(self, path):
        return [name for name, _ in
                self.successResultOf(self.realm.shell.list(path))]

    def test_readOnlyDirectoryRefusedAtRNFR(self):
        """
        A file, and a directory, in the read-only directory get C{550} at
        C{RNFR}, whatever way the path is written; no rename is under way
        after it (C{RNTO} gets C{503}).
        """
        protocol, transport = self.session()
        for line in [b"RNFR /ro/kept.txt", b"RNFR /ro/sub", b"RNFR /ro",
                     b"RNFR ro//kept.txt", b"RNFR /rw/../ro/kept.txt",
                     b"RNFR /ro/sub/", b"RNFR /ro/./kept.txt",
                     b"RNFR /ro/missing"]:
            protocol.dataReceived(line + b"\r\nRNTO /rw/taken\r\n")
            self.assertEqual(replyCodes(transport), ["550", "503"], line)
            self.assertIn(b"Permission denied", transport.value())
            self.assertIsNone(protocol.session.renameFrom)
            transport.clear()
        self.assertEqual(self.names(("ro",)), ["kept.txt", "sub"])
        self.assertEqual(self.names(("rw",)), ["mine.txt"])

    def test_renameIntoReadOnlyRefused(self):
        """
        A file the user may rename gets C{350}, and its C{RNTO} into the
        read-only directory C{550}: the file stays where it was.
        """
        protocol, transport = self.session()
        for target in [b"/ro/mine.txt", b"/ro/kept.txt", b"/ro//new",
                       b"/rw/../ro/new", b"/ro/sub/"]:
            protocol.dataReceived(b"RNFR /rw/mine.txt\r\nRNTO " + target
                                  + b"\r\n")
            self.assertEqual(replyCodes(transport), ["350", "550"], target)
            transport.clear()
        self.assertEqual(self.names(("rw",)), ["mine.txt"])
        self.assertEqual(self.names(("ro",)), ["kept.txt", "sub"])
        self.assertEqual(self.names(("ro", "sub")), ["f"])

    def test_writableStillRenames(self):
        """
        Outside the read-only directory, renames work as before.
        """
        protocol, transport = self.session()
        protocol.dataReceived(b"RNFR /rw/mine.txt\r\nRNTO /rw/yours.txt\r\n"
                              b"RNFR /top.txt\r\nRNTO /rw/top.txt\r\n")
        self.assertEqual(replyCodes(transport), ["350", "250", "350", "250"])
        self.assertEqual(self.names(("rw",)), ["top.txt", "yours.txt"])

    def test_everyChangeInReadOnlyRefused(self):
        """
        Every other changing command on the read-only directory's entries
        gets C{550}, and nothing there changes.
        """
        protocol, transport = self.session()
        lines = [b"DELE /ro/kept.txt", b"RMD /ro/sub", b"XRMD /ro/sub",
                 b"MKD /ro/new", b"XMKD /ro/new", b"MKD /ro//new2",
                 b"SITE CHMOD 777 /ro/kept.txt",
                 b"MFMT 20200101000000 /ro/kept.txt",
                 b"MFF modify=20200101000000; /ro/kept.txt",
                 b"SITE UTIME 202001010000 /ro/kept.txt",
                 b"MFMT 20200101000000 /ro/sub",
                 b"MFMT 20200101000000 /ro",
                 b"SITE UTIME 202001010000 /ro/sub",
                 b"DELE /rw/../ro/kept.txt", b"RMD /ro/sub/"]
        protocol.dataReceived(b"".join(line + b"\r\n" for line in lines))
        codes = replyCodes(transport)
        self.assertEqual(len(codes), len(lines), transport.value())
        self.assertTrue(all(code.startswith("5") for code in codes), codes)
        self.assertEqual(self.names(("ro",)), ["kept.txt", "sub"])
        for path in [("ro", "kept.txt"), ("ro", "sub"), ("ro",)]:
            info = self.successResultOf(self.realm.shell.stat(path))
            self.assertNotEqual(info.mtime, 1577836800)


class PluginShellTests(unittest.TestCase):
    """
    A plugin's shell that declares nothing renames as it always did.
    """

    def test_renames(self):
        """
        C{RNFR} gets C{350}, C{RNTO} C{250}, and the file moved.
        """
        realm = PluginRealm()
        protocol, transport = loggedIn(realm)
        protocol.dataReceived(b"RNFR /ro/kept.txt\r\nRNTO /moved\r\n")
        self.assertEqual(replyCodes(transport), ["350", "250"])
        self.assertEqual(
            [name for name, _ in self.successResultOf(realm.shell.list(()))],
            ["moved", "ro", "rw", "top.txt"])
