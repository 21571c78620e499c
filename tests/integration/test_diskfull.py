"""
Uploads onto a disk that fills up (a small C{tmpfs}, root only): each gets
C{452}, keeps nothing of its own (a whole file's upload an empty partial
one where it replaced a file), and leaves what was there before as it
was, whichever way its bytes reach the disk (spliced in clear, or written
through Python under TLS and in active mode).
"""

import errno
import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.quotaledger import Ledger
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_storage import QuotaRealm
from tests.polling import waitFor
from tests.resets import hardClose
from tests.smallmounts import smallFilesystem
from tests.tlssupport import Certificates, clientContext, makeContextFactory
from tests.uploadsinprogress import largestUpload

OLD = b"old bytes " * 300
"""What the file an upload fails on held before."""

FLOOD = 2 << 20
"""Bytes each upload tries to send: twice the file system's size."""

PART = 100000
"""Bytes of the cut upload kept as a partial one."""


def storeFailing(ftp, command, size, rest=None, cut=None):
    """
    Send C{size} bytes with C{command} (blocking), as far as the server
    reads them, and read its final reply.

    @param ftp: a logged-in L{ftplib.FTP} in C{TYPE I}.
    @param rest: the C{REST} offset to send first, or C{None}.
    @param cut: a list to which is appended whether the server cut the
        data connection before the client had sent everything, or
        C{None}.
    @return: the final reply's text (an error's too).
    """
    data = ftp.transfercmd(command, rest)
    chunk = b"n" * (1 << 20)
    sent = 0
    try:
        while sent < size:
            data.sendall(chunk[:size - sent])
            sent += len(chunk[:size - sent])
        if hasattr(data, "unwrap"):
            data.unwrap()
    except OSError:
        pass
    if cut is not None:
        cut.append(sent < size)
    data.close()
    try:
        return ftp.voidresp()
    except ftplib.Error as e:
        return str(e)


class DiskFullTests(Certificates, LoopbackServerMixin, unittest.TestCase):
    """
    A server whose root is a 1 MiB file system.
    """

    timeout = 60

    def makeRealm(self, root):
        """
        @return: the realm serving C{root}.
        """
        return FilesystemRealm(root)

    def setUp(self):
        self.root = smallFilesystem(self, size="1m")
        self.makeCertificates()
        self.server = self.startServer(
            self.makeRealm(self.root),
            ServerConfig(loginFailureDelay=0,
                         tlsContextFactory=makeContextFactory(self.both)))
        self.old = os.path.join(self.root, "old")
        with open(self.old, "wb") as f:
            f.write(OLD)

    def login(self, tls=False, active=False):
        """
        Log in as alice, in C{TYPE I} (blocking).

        @param tls: secure the control and data connections.
        @param active: use active mode (C{PORT}).
        """
        client = ftplib.FTP_TLS(context=clientContext()) if tls else None
        ftp = ftplibLogin(self, self.server.port, client=client,
                          protect=tls, binary=True)
        ftp.set_pasv(not active)
        return ftp

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def assertFullAndIntact(self, final, expected):
        """
        The upload failed with C{452}, the old file holds C{expected}, and
        the session still works.
        """
        self.assertTrue(final.startswith("452"), final)
        self.assertEqual(self.read(self.old), expected)

    async def test_appendInClear(self):
        """
        C{APPE} that fills the disk leaves the file as it was before: it
        kept the bytes that fitted, the file at the size of the whole
        disk, which stayed full.
        """
        def run():
            ftp = self.login()
            return storeFailing(ftp, "APPE old", FLOOD), ftp.size("old")
        final, size = await self.inThread(run)
        self.assertFullAndIntact(final, OLD)
        self.assertEqual(size, len(OLD))

    async def test_appendActive(self):
        """
        So does C{APPE} in active mode, whose bytes go through Python.
        """
        final = await self.inThread(
            lambda: storeFailing(self.login(active=True), "APPE old", FLOOD))
        self.assertFullAndIntact(final, OLD)

    async def test_resumeUnderTLS(self):
        """
        C{REST} + C{STOR} under TLS goes back to the file's length
        before, as it does in clear: it kept all it could write. The
        old bytes up to there were written over; none past them is lost.
        """
        final = await self.inThread(
            lambda: storeFailing(self.login(tls=True), "STOR old", FLOOD,
                                 rest=1000))
        self.assertFullAndIntact(
            final, OLD[:1000] + b"n" * (len(OLD) - 1000))

    async def test_cutUnderTLS(self):
        """
        An upload under TLS is cut once a write failed, as a spliced one
        in clear is: the server read the client to its end (64 MiB to a
        1 MiB disk here; gigabytes as well) before it said C{452}.
        """
        cut = []
        final = await self.inThread(
            lambda: storeFailing(self.login(tls=True), "APPE old", 64 << 20,
                                 cut=cut))
        self.assertFullAndIntact(final, OLD)
        self.assertEqual(cut, [True])

    async def test_replaceUnderTLS(self):
        """
        C{STOR} over a file leaves the old file whole, under TLS and in
        clear, and keeps no bytes for a resume: an empty partial upload,
        so that its uploader's C{SIZE} answers 0 (clients retry a C{452}
        as a resume from C{SIZE}, which answered the old file's size), and
        the next upload finds room (what fitted was kept, for 24 hours,
        before session 53: the disk stayed full).
        """
        def run():
            finals = []
            for tls in (True, False):
                ftp = self.login(tls=tls)
                finals.append(storeFailing(ftp, "STOR old", FLOOD))
            kept = ftp.size("old")
            ftp.storbinary("STOR small", io.BytesIO(b"fits"))
            return finals, kept
        finals, kept = await self.inThread(run)
        for final in finals:
            self.assertTrue(final.startswith("452"), final)
        self.assertEqual(sorted(os.listdir(self.root)),
                         [".ftpkit-partial.old", "old", "small"])
        partial = self.read(os.path.join(self.root, ".ftpkit-partial.old"))
        self.assertEqual((kept, partial), (0, b""))
        self.assertEqual(self.read(self.old), OLD)
        self.assertEqual(self.read(os.path.join(self.root, "small")),
                         b"fits")

    async def test_resumePartialUpload(self):
        """
        Continuing a cut upload's partial one on a disk that fills keeps
        the partial upload as it was, for a later resume: it was removed,
        and the client had to send it all again.
        """
        def cut():
            ftp = self.login()
            data = ftp.transfercmd("STOR part")
            data.sendall(b"p" * PART)
            return ftp, data

        ftp, data = await self.inThread(cut)
        await waitFor(lambda: largestUpload(self.root) == PART)
        hardClose(data)

        def resume():
            try:
                ftp.voidresp()
            except ftplib.Error:
                pass
            offset = ftp.size("part")
            final = storeFailing(ftp, "STOR part", FLOOD, rest=offset)
            return offset, final, ftp.size("part")
        offset, final, after = await self.inThread(resume)
        self.assertEqual(offset, PART)
        self.assertTrue(final.startswith("452"), final)
        self.assertEqual(after, PART)
        partial = os.path.join(self.root, ".ftpkit-partial.part")
        self.assertEqual(self.read(partial), b"p" * PART)



class QuotaDiskFullTests(DiskFullTests):
    """
    The same, for users held to a quota the disk fills before: the quota's
    upload passes the disk's refusal on (else a cut upload gets C{426}
    and keeps what it wrote).
    """

    def makeRealm(self, root):
        # A quota far larger than the disk.
        return QuotaRealm(root, quota=1 << 30)


def fill(directory):
    """
    Fill the file system of C{directory} with one file.
    """
    fd = os.open(os.path.join(directory, "filler"),
                 os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"f" * 4096):
            pass
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


class FullLedgerDirectoryTests(unittest.TestCase):
    """
    The quota ledgers of C{--workers} (L{Ledger}) in a C{$TMPDIR} that
    fills up.
    """

    def setUp(self):
        self.directory = smallFilesystem(self, size="64k")

    def test_writesAfterFull(self):
        """
        A ledger made before the disk filled keeps being written: it was
        an empty file, each write of the home's counts then failed with
        C{ENOSPC}, and the sessions of the home waited forever for a
        measurement (logged nowhere) until their idle timeout.
        """
        ledger = Ledger(os.path.join(self.directory, "ledger"))
        self.addCleanup(ledger.close)
        fill(self.directory)
        ledger.measured(ledger.state().generation, 10, 2)
        self.assertTrue(ledger.reserveBytes(5, None))
        ledger.releaseBytes(5)
        self.assertTrue(ledger.reserveFile(None))
        ledger.settleFile(True)
        ledger.adjust(1, 0)
        self.assertEqual(ledger.state()[3:], (11, 3, 0, 0))

    def test_newLedgerRefused(self):
        """
        A ledger made on the full disk is refused at once (a login then
        gets C{421}), and leaves no descriptor open.
        """
        fill(self.directory)
        before = len(os.listdir("/proc/self/fd"))
        error = self.assertRaises(OSError, Ledger,
                                  os.path.join(self.directory, "ledger"))
        self.assertEqual(error.errno, errno.ENOSPC)
        self.assertEqual(len(os.listdir("/proc/self/fd")), before)
