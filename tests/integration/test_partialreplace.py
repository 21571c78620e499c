"""
An upload that replaces a file and fails before it completes keeps what it
received as its resumer's partial upload when clients retry it as a
resume: one cut before its first byte keeps an empty one, and one whose
disk filled (C{452}) keeps its bytes. Clients resume from C{SIZE}, which
answered the old file's size instead, and lftp (which retries a C{452} as
a resume) then wrote the new file's rest after the old file's start and
reported success.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.adapters import writeFileFor
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.quotas import QuotaUsage, diskFootprint
from tests.ftpclient import ftplibLogin
from tests.integration.test_diskfull import fill
from tests.resets import hardClose
from tests.scratch import readLocal, scratchDirectory, writeLocal
from tests.smallmounts import smallFilesystem
from tests.uploadroot import UploadRoot

OLD = b"old bytes " * 300
"""What the file the uploads replace held before."""


class EmptyCutShellTests(UploadRoot, unittest.TestCase):
    """
    The filesystem shell's upload cut before its first byte.
    """

    def setUp(self):
        self.makeRoot()
        self.shell = FilesystemShell(self.root, runner=defer.maybeDeferred)

    async def cutEmpty(self, name):
        """
        Open an upload of C{name} and cut it before its first byte.
        """
        writer = await self.shell.openForWriting((name,))
        await writer.receive()
        await writer.abort()

    async def test_replacingKeepsEmpty(self):
        """
        One that replaces a file keeps an empty partial upload, whose
        size its resumer gets; the file stays as it was.
        """
        writeLocal(self.path(b"f"), OLD)
        await self.cutEmpty("f")
        self.assertEqual(readLocal(self.partial(b"f")), b"")
        self.assertEqual(readLocal(self.path(b"f")), OLD)
        self.assertEqual(await self.shell.resumableSize(("f",)), 0)

    async def test_newKeepsNothing(self):
        """
        One of a new file still leaves nothing.
        """
        await self.cutEmpty("f")
        self.assertEqual(os.listdir(self.root), [])
        self.assertIsNone(await self.shell.resumableSize(("f",)))


class EmptyCutQuotaTests(unittest.TestCase):
    """
    The empty partial upload under a quota of files.
    """

    async def test_counted(self):
        """
        It is counted as the file it is on disk, as it is measured, and
        gives the upload's place back.
        """
        root = scratchDirectory(self)
        writeLocal(os.path.join(root, "old"), OLD)
        usage = QuotaUsage(lambda: diskFootprint(root))
        shell = PermissionShell(
            FilesystemShell(root), PermissionTable(PERMISSIONS),
            usage=usage, fileQuota=3)
        await usage.current()
        upload = writeFileFor(await shell.openForWriting(("old",)))
        await upload.receive()
        await upload.abort()
        counted = (usage.files, usage.filesInFlight, usage.used)
        usage.stale = True
        await usage.current()
        self.assertEqual(counted, (usage.files, 0, usage.used))
        self.assertEqual(counted, (2, 0, len(OLD)))


class EmptyCutProtocolTests(UploadRoot, LoopbackServerMixin,
                            unittest.TestCase):
    """
    A client whose C{STOR} was cut before its first byte, then resuming.
    """

    def setUp(self):
        self.makeRoot()
        self.server = self.startServer(FilesystemRealm(self.root))
        writeLocal(self.path(b"old"), OLD)

    def cutThenResume(self, name):
        """
        Cut a C{STOR} of C{name} before its first byte, then ask C{SIZE}
        and try a resume from the old file's size (blocking).

        @return: C{(cut reply, SIZE reply, resume reply)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        hardClose(ftp.transfercmd("STOR " + name))
        replies = []
        for ask in (ftp.voidresp, lambda: ftp.sendcmd("SIZE " + name),
                    lambda: ftp.transfercmd("STOR " + name, len(OLD))):
            try:
                replies.append(str(ask()))
            except ftplib.Error as e:
                replies.append(str(e))
        return [reply[:3] if reply[:3] != "213" else reply
                for reply in replies]

    async def test_replacing(self):
        """
        C{SIZE} answers 0 (lftp and curl's C{-C -} start over), a resume
        at the old file's size is refused, and the file is the old one.
        """
        replies = await self.inThread(self.cutThenResume, "old")
        self.assertEqual(replies, ["426", "213 0", "554"])
        self.assertEqual(readLocal(self.path(b"old")), OLD)

    async def test_new(self):
        """
        A new file's: C{SIZE} answers C{550}, as before.
        """
        replies = await self.inThread(self.cutThenResume, "new")
        self.assertEqual(replies, ["426", "550", "554"])
        self.assertEqual(os.listdir(self.root), [b"old"])


class DiskFullRetryTests(LoopbackServerMixin, unittest.TestCase):
    """
    lftp's retry of a C{STOR} replacing a file that got C{452} on a disk
    that filled (a small C{tmpfs}, root only), once room was made: C{SIZE},
    then C{REST} with its answer and the rest of the file, made here with
    ftplib (lftp 4.9.2's own retry sends a short file here and hangs,
    whatever C{SIZE} answers).
    """

    def setUp(self):
        self.root = smallFilesystem(self, size="1m")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))
        self.old = os.path.join(self.root, "old")
        writeLocal(self.old, OLD)

    def retried(self, room):
        """
        Fill the disk but C{room} bytes, send a new version of C{old},
        make room, then resume it as lftp does (blocking).

        @return: the new version, and the first upload's reply.
        """
        fill(self.root)
        filler = os.path.join(self.root, "filler")
        os.truncate(filler, os.path.getsize(filler) - room)
        new = os.urandom(300 << 10)
        ftp = ftplibLogin(self, self.server.port, binary=True)
        try:
            try:
                ftp.storbinary("STOR old", io.BytesIO(new))
                first = "226"
            except ftplib.Error:
                raise
            except OSError:
                # The cut reached ftplib while it was still sending.
                first = ftp.getresp()
        except ftplib.Error as e:
            first = str(e)
        os.remove(filler)
        kept = ftp.size("old")
        ftp.storbinary("STOR old", io.BytesIO(new[kept:]), rest=kept or None)
        return new, first

    async def test_someBytesFit(self):
        """
        The first upload wrote what fitted: the resume sends the rest, and
        the file is the new version (it was the old one's start and the
        new one's rest).
        """
        new, first = await self.inThread(self.retried, 100 << 10)
        self.assertTrue(first.startswith("452"), first)
        self.assertEqual(readLocal(self.old), new)

    async def test_noByteFits(self):
        """
        The first upload wrote nothing: the resume starts over, and the
        file is the new version.
        """
        new, first = await self.inThread(self.retried, 0)
        self.assertTrue(first.startswith("452"), first)
        self.assertEqual(readLocal(self.old), new)
