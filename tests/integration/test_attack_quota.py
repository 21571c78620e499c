"""
Uploads past a quota over TLS, and into fsspec storage, are cut when they
pass it (C{552}), as the zero-copy plain path is: they were refused, but
the data connection was read to its end, so the client could keep the
server reading as long as it liked.
"""

import ftplib
import os
import uuid

from twisted.cred import portal
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage, diskUsage
from ftpkit.shells.permissiontable import PermissionTable
from tests.floods import uploadUntilCut
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin, clientContext

QUOTA = 64 * 1024

FLOOD = 64 << 20
"""Bytes the attacking client tries to upload: far past the quota."""


@implementer(portal.IRealm)
class _QuotaRealm:
    """
    Every user gets a shell made by C{makeShell}, held to L{QUOTA}.
    """

    def __init__(self, makeShell, measure):
        self.makeShell = makeShell
        self.usage = QuotaUsage(measure)

    def requestAvatar(self, avatarId, mind, *interfaces):
        shell = PermissionShell(
            self.makeShell(),
            PermissionTable(["list", "read", "write", "append", "delete"]),
            quota=QUOTA, usage=self.usage)
        return IFTPShell, shell, lambda: None


class QuotaCutTests(FTPSTestsMixin, unittest.TestCase):
    """
    A user with a 64 KiB quota tries to upload 64 MiB.
    """

    timeout = 120

    def serveDisk(self):
        root = scratchDirectory(self)
        self.server = self.startServer(
            _QuotaRealm(lambda: FilesystemShell(root),
                        lambda: diskUsage(root)),
            ServerConfig(loginFailureDelay=0, tlsContextFactory=self.factory))
        return root

    def serveFsspec(self):
        from fsspec.implementations.memory import MemoryFileSystem

        from ftpkit.shells.fsspecshell import FsspecShell
        fs = MemoryFileSystem(skip_instance_cache=True)
        root = "/quota-" + uuid.uuid4().hex
        fs.mkdir(root)
        self.addCleanup(fs.rm, root, recursive=True)
        self.server = self.startServer(
            _QuotaRealm(lambda: FsspecShell(fs, root), lambda: 0),
            ServerConfig(loginFailureDelay=0, tlsContextFactory=self.factory))
        return fs, root

    def flood(self, tls, command):
        """
        Log in (under C{PROT P} when C{tls}) and send up to L{FLOOD} bytes
        with C{command} (blocking).

        @return: C{(bytes sent, final reply)}.
        """
        client = ftplib.FTP_TLS(context=clientContext()) if tls else None
        ftp = ftplibLogin(self, self.server.port, client=client, protect=tls,
                          binary=True)
        result = uploadUntilCut(ftp, command, FLOOD)
        ftp.close()
        return result

    @defer.inlineCallbacks
    def test_tlsStorCut(self):
        """
        C{STOR} under C{PROT P} past the quota: C{552} (it was C{426}, or
        the client was read to its end), and nothing is kept.
        """
        root = self.serveDisk()
        sent, final = yield self.inThread(self.flood, True, "STOR f.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertEqual(os.listdir(root), [])

    @defer.inlineCallbacks
    def test_tlsAppeCut(self):
        """
        C{APPE} under C{PROT P} (written in place) is cut as well.
        """
        root = self.serveDisk()
        sent, final = yield self.inThread(self.flood, True, "APPE f.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertLessEqual(diskUsage(root), QUOTA)

    @defer.inlineCallbacks
    def test_appeLeavesFile(self):
        """
        C{APPE} past the quota leaves the file as it was (cut back to its
        length before the upload), in the clear and under C{PROT P}, as
        docs/virtual-users.rst says.
        """
        root = self.serveDisk()
        path = os.path.join(root, "f.bin")
        for tls in (False, True):
            with open(path, "wb") as f:
                f.write(b"kept" * 250)
            sent, final = yield self.inThread(self.flood, tls, "APPE f.bin")
            self.assertTrue(final.startswith("552"), final)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"kept" * 250)

    @defer.inlineCallbacks
    def test_fsspecCut(self):
        """
        An fsspec upload past the quota is cut, plain or under TLS, and
        not stored.
        """
        fs, root = self.serveFsspec()
        for tls in (False, True):
            sent, final = yield self.inThread(self.flood, tls, "STOR f.bin")
            self.assertTrue(final.startswith("552"), (tls, final))
            self.assertLess(sent, FLOOD)
            self.assertFalse(fs.exists(root + "/f.bin"))
