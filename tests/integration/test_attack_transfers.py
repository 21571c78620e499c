"""
Attacks on transfers, over real loopback sockets: clients that misuse a
data connection while a file goes over it.

Downloads left unread cannot hold old versions of a file past a memory
tree's or a quota's limit; a client that half-closes its data
connection never gets C{226} with bytes missing (a file that shrinks
while it is sent: L{tests.integration.test_shrunkdownload}); a slow
reader is not cut as idle; bytes sent into a download, or before a
transfer takes the connection, are bounded; and C{ABOR} after transfer
commands queued behind a download ends them all.
"""

import ftplib
import io
import os
import re
import select
import socket
import time
import uuid

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.data.connection import DataConnection
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.quotas import diskUsage
from tests.attackhelpers import CLIENT_WAIT
from tests.floods import uploadUntilCut
from tests.ftpclient import ftplibLogin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.sockreads import readToEnd
from tests.usersfiles import startUsersServer

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm


SIZE = 8 << 20
"""The file's bytes: more than the loopback connection's buffers hold,
so that a download left unread stays open."""


LIMIT = 12 << 20
"""The tree's limit: room for the file and an upload, not two files."""


class StalledDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A memory realm holding at most L{LIMIT} bytes, with a file of
    L{SIZE} bytes.
    """

    timeout = 60

    def setUp(self):
        self.realm = MemoryRealm(maxBytes=LIMIT)
        self.server = self.startServer(
            self.realm, ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _replace(self, ftp):
        """
        Append one byte to C{f}, making a new version of it.

        @return: the final reply, or the text of a permanent error.
        """
        return self._append(ftp)

    def _held(self):
        """
        @return: the bytes the tree holds.
        """
        return self.realm.shell.bytesHeld

    def _session(self):
        return ftplibLogin(self, self.server.port, binary=True)

    def _stalledDownload(self, ftp):
        """
        Start a download of C{f} on C{ftp} and read none of it.

        @return: the data connection.
        """
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(("127.0.0.1", port))
        reply = ftp.sendcmd("RETR f")
        if not reply.startswith("150"):
            raise AssertionError(reply)
        return data

    def _append(self, ftp):
        """
        Append one byte to C{f}.

        @return: the final reply, or the text of a permanent error.
        """
        try:
            return ftp.storbinary("APPE f", io.BytesIO(b"x"))
        except ftplib.error_perm as e:
            return str(e)

    @defer.inlineCallbacks
    def test_oldVersionCounted(self):
        """
        While a download of C{f} is open and unread, appending to C{f}
        needs room for both versions and gets C{552}; once the download
        ends, the append is stored and only the file is held.
        """
        def client():
            uploader = self._session()
            reader = self._session()
            try:
                uploader.storbinary("STOR f", io.BytesIO(b"o" * SIZE))
                data = self._stalledDownload(reader)
                refused = self._replace(uploader)
                data.close()
                try:
                    reader.voidresp()
                except ftplib.error_temp:
                    pass
                reader.voidcmd("NOOP")
                return refused, self._replace(uploader)
            finally:
                uploader.close()
                reader.close()

        refused, stored = yield self.inThread(client)
        self.assertEqual(refused[:3], "552")
        self.assertEqual(stored[:3], "226")
        self.assertEqual(self._held(), SIZE + 1)


class FsspecStalledDownloadTests(StalledDownloadTests):
    """
    The same over C{fsspec:memory://} holding at most L{LIMIT} bytes, the
    file replaced by a C{STOR} of as many bytes plus one.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        # fsspec's memory store is one per process: a root of our own.
        self.where = "/sweep5-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)
        self.server = self.startServer(
            makeFsspecRealm(f"memory://{self.where}?size={LIMIT}"
            "&global_store=true", {}),
            ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def _replace(self, ftp):
        """
        Replace C{f} with a file of L{SIZE} bytes plus one.

        @return: the final reply, or the text of a permanent error.
        """
        return uploadUntilCut(ftp, "STOR f", SIZE + 1, SIZE + 1)[1]

    def _held(self):
        """
        @return: the bytes stored under the realm's root.
        """
        return self.fs.du(self.where)


class DiskQuotaStalledDownloadTests(FsspecStalledDownloadTests):
    """
    The same on the disk, for a user of a users file held to a quota of
    L{LIMIT} bytes: a replaced file open for a download keeps its blocks.
    """

    skip = None

    def setUp(self):
        root = os.path.abspath(self.mktemp())
        self.home = os.path.join(root, "alice")
        os.makedirs(self.home)
        self.server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "read",'
            f' "write", "append"]\nquota = {LIMIT}\n', {"alice": "secret"})

    def _held(self):
        """
        @return: the bytes of the user's files.
        """
        return diskUsage(self.home)


class JunkIntoDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that sends bytes into a download's data connection, as
    nothing in FTP has it do. They were held as an upload's early bytes
    (up to 1 MiB a connection, kept for as long as the download lasted)
    and counted as progress, so that a client reading nothing kept its
    download, and what the server had queued for it, open for as long as
    it sent a byte now and then. vsftpd counts only what it sends.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "big.txt"), "wb") as f:
            f.write(b"line\n" * (2 << 20))
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=1.0),
            users={"alice": "secret"}, anonymous=False)

    def _junkDuringDownload(self, seconds):
        """
        Start a download (in TYPE A, which goes through a Twisted
        transport) and read none of it, sending a byte into its data
        connection every tenth of a second for C{seconds}.

        @return: whether the control connection had its final reply
            before the last byte was sent, and that reply.
        """
        ftp = ftplibLogin(self, self.server.port)
        ftp.voidcmd("TYPE A")
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(("127.0.0.1", port))
        ftp.sendcmd("RETR big.txt")
        control = ftp.sock
        replied = False
        for _ in range(int(seconds * 10)):
            try:
                data.send(b"x")
            except OSError:
                break
            readable, _, _ = select.select([control], [], [], 0.1)
            if readable:
                replied = True
                break
        data.close()
        try:
            reply = ftp.voidresp()
        except ftplib.Error as e:
            reply = str(e)
        return replied, reply

    @defer.inlineCallbacks
    def test_junkIsNoProgress(self):
        """
        The download stalls after the data timeout, junk or not: the
        client gets C{426} while it is still sending.
        """
        replied, reply = yield self.inThread(self._junkDuringDownload, 6)
        self.assertTrue(replied)
        self.assertEqual(reply[:4], "426 ")


class EarlyBytesTests(unittest.TestCase):
    """
    Bytes a client sends on a data connection before a transfer takes it
    are held, and the connection stops reading past a bound. The bound was
    1 MiB: 30 FTPS sessions each connecting to its C{PASV} port and
    sending junk, with no transfer command, took a server from 56 to 93
    MB, held until the data timeout and taken again with the next
    C{PASV}. What an upload's client sends before the server reads it
    needs no more than a few records: the rest waits in the kernel.
    """

    def test_pausedEarly(self):
        """
        The connection stops reading once it holds 64 KiB, and reads again
        once a transfer takes the bytes.
        """
        connection = DataConnection(lambda made: None, Clock(), 30,
                                    lambda: None)
        transport = StringTransport()
        connection.makeConnection(transport)
        for _ in range(5):
            connection.dataReceived(b"x" * (16 << 10))
        self.assertEqual(transport.producerState, "paused")
        received = StringTransport()
        connection.receiveInto(received)
        self.assertEqual(transport.producerState, "producing")
        self.assertEqual(len(received.value()), 5 * (16 << 10))


LARGE = 256 << 20
"""Bytes of the download left unread: far more than the sockets' buffers
hold, so that it runs until aborted."""


class QueuedBeforeAbortTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{ABOR} after transfer commands that wait their turn behind a
    running download.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "large"), "wb") as f:
            f.truncate(LARGE)
        with open(os.path.join(self.root, "small"), "wb") as f:
            f.write(b"x" * 1000)
        # A data timeout no test waits for: a transfer command left to
        # wait for its connection would hold the session past the
        # client's own timeout.
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=3600))

    def unreadDownload(self):
        """
        Log in and start C{RETR large} over an C{EPSV} connection that
        reads nothing, with a small receive buffer (blocking).

        @return: C{(the client, the RETR's reply)}.
        """
        client = RawClient(self.server.port, timeout=60)
        self.addCleanup(client.close)
        client.login()
        client.command("TYPE I")
        data = socket.create_connection(
            ("127.0.0.1", client.epsvPort()), timeout=60)
        self.addCleanup(data.close)
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        return client, client.command("RETR large")

    def cancel(self, pipelined):
        """
        Start a download of C{large} left unread, then send C{pipelined}
        and C{ABOR} in one write, connecting to no port they open.

        @return: a Deferred firing with the replies, the download's first,
            then one for each line and the C{ABOR}, then a C{NOOP}'s.
        """
        def run():
            client, started = self.unreadDownload()
            replies = [started]
            client.sock.sendall(b"".join(
                line.encode() + b"\r\n" for line in pipelined + ["ABOR"]))
            replies += [client.reply() for _ in range(len(pipelined) + 2)]
            replies.append(client.command("NOOP"))
            return [reply[:3] for reply in replies]

        return self.inThread(run)

    async def test_passiveDownload(self):
        """
        C{EPSV} and C{RETR}: the download gets C{426}, the C{RETR} queued
        behind it C{425} at once (no connection came), and the session
        answers on.
        """
        codes = await self.cancel(["EPSV", "RETR small"])
        self.assertEqual(codes[:3], [b"150", b"426", b"229"])
        self.assertIn(codes[3], [b"425", b"426"])
        self.assertIn(codes[4], [b"225", b"226"])
        self.assertEqual(codes[5], b"200")

    async def test_everyTransferVerb(self):
        """
        So do C{STOR}, C{APPE}, C{LIST}, C{NLST} and C{MLSD} queued with
        their own C{PASV}, and nothing is stored.
        """
        lines = []
        for verb in ("STOR new", "APPE small", "LIST", "NLST", "MLSD"):
            lines += ["PASV", verb]
        codes = await self.cancel(lines)
        self.assertEqual(codes[1], b"426")
        self.assertEqual(codes[2:12:2], [b"227"] * 5)
        for code in codes[3:13:2]:
            self.assertIn(code, [b"425", b"426"])
        self.assertEqual(codes[-1], b"200")
        self.assertFalse(os.path.exists(os.path.join(self.root, "new")))
        with open(os.path.join(self.root, "small"), "rb") as f:
            self.assertEqual(f.read(), b"x" * 1000)

    async def test_afterAbortUnchanged(self):
        """
        A transfer command sent after the C{ABOR} is served as ever.
        """
        def run():
            client, first = self.unreadDownload()
            client.sock.sendall(b"EPSV\r\nABOR\r\nRETR small\r\n")
            aborted, epsv, abor = (client.reply() for _ in range(3))
            port = int(re.search(rb"\|\|\|(\d+)\|", epsv).group(1))
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=60) as second:
                opening = client.reply()
                received = readToEnd(second)
            return ([first[:3], aborted[:3], abor[:3], opening[:3],
                     client.reply()[:3]], received)

        codes, received = await self.inThread(run)
        self.assertEqual(codes, [b"150", b"426", b"226", b"150", b"226"])
        self.assertEqual(received, b"x" * 1000)


class HalfClosedDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    Downloads whose client sends its FIN on the data connection before
    the transfer command: never C{226} with bytes missing.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("a.txt", "b.txt", "c.txt"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(b"line\n" * 1000)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=3600))

    def download(self, command, kind):
        """
        Connect to an C{EPSV} port, send a FIN on it, then C{command} in
        C{TYPE kind}.

        @return: a Deferred firing with C{(bytes received, final reply
            code)}, or the first reply's code and no bytes when it is
            not C{150}.
        """
        def run():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE " + kind)
            port = client.epsvPort()
            with socket.create_connection(("127.0.0.1", port)) as data:
                data.settimeout(CLIENT_WAIT)
                data.shutdown(socket.SHUT_WR)
                first = client.command(command)
                if not first.startswith(b"150"):
                    return b"", first[:3]
                received = readToEnd(data, resetEnds=True)
            return received, client.reply()[:3]

        return self.inThread(run)

    def assertWholeOrRefused(self, outcome, whole):
        """
        The download got every byte with C{226}, or failed (C{4xx}).
        """
        received, final = outcome
        if final == b"226":
            self.assertEqual(received, whole)
        else:
            self.assertIn(final[:1], b"4", outcome)

    async def test_names(self):
        """
        C{NLST} of a directory of three files.
        """
        outcome = await self.download("NLST", "I")
        self.assertWholeOrRefused(outcome, b"a.txt\r\nb.txt\r\nc.txt\r\n")

    async def test_ascii(self):
        """
        C{RETR} in C{TYPE A}.
        """
        outcome = await self.download("RETR a.txt", "A")
        self.assertWholeOrRefused(outcome, b"line\r\n" * 1000)

    async def test_listing(self):
        """
        C{MLSD}: whatever came, a C{226} means every entry.
        """
        received, final = await self.download("MLSD", "I")
        if final == b"226":
            self.assertEqual(received.count(b"\r\n"), 4)
        else:
            self.assertIn(final[:1], b"4")


class SlowReaderTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client reading a download slowly, but without a pause as long as
    the data timeout, is not cut as idle.
    """

    SIZE = 30 * 1000 * 1000
    TIMEOUT = 2
    SLOW_FOR = 8
    """Seconds the client reads slowly: several data timeouts."""

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.truncate(self.SIZE)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=self.TIMEOUT))

    async def test_slowSteadyReader(self):
        """
        A small receive buffer read twenty times a second for several data
        timeouts (the server's socket full all along), then at full
        speed: C{226} and every byte.
        """
        def run():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE I")
            port = client.epsvPort()
            with socket.socket() as data:
                data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                data.settimeout(CLIENT_WAIT)
                data.connect(("127.0.0.1", port))
                first = client.command("RETR f.bin")
                received = 0
                slowUntil = time.monotonic() + self.SLOW_FOR
                try:
                    while chunk := data.recv(65536):
                        received += len(chunk)
                        if time.monotonic() < slowUntil:
                            time.sleep(0.05)
                except ConnectionResetError:
                    pass
            return first[:3], received, client.reply()[:3]

        self.assertEqual(await self.inThread(run),
                         (b"150", self.SIZE, b"226"))
