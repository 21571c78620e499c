"""
An upload refused for its size (C{552}) ends its data connection so that
the client reads the reply before anything it would take for a network
error (L{ftpkit.data.uploaddrain}): lftp, which takes a reset data
connection for one and sends the upload again (reconnecting, up to its
C{net:max-retries}), gives up after one C{STOR}, in clear and over TLS, in
one process and under C{--workers 2}; curl and ftplib get the C{552};
nothing of the upload is kept.
"""

import ftplib
import os

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.data import connection, uploaddrain
from ftpkit.loopback import LoopbackServerMixin
from tests.clientprograms import CURL, LFTP, runProgram
from tests.ftpclient import ftplibLogin
from tests.polling import waitUntil
from tests.rawclient import RawClient
from tests.serverprocess import startServer
from tests.tlssupport import FTPSTestsMixin, clientContext

SIZE = 6 << 20
"""The upload's size: a few times what loopback's socket buffers take,
so that the client is still sending when the limit is reached."""

LIMIT = 64 << 10
"""C{--max-upload-size}."""

CLEAR = "set ftp:ssl-allow no; "
SECURE = ("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
          "set ssl:verify-certificate no; ")


class RefusedUploadTests(FTPSTestsMixin, unittest.TestCase):
    """
    Clients uploading past C{--max-upload-size}.
    """

    timeout = 120

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.source = os.path.abspath(self.mktemp() + ".bin")
        with open(self.source, "wb") as f:
            f.write(os.urandom(SIZE))

    async def lftpPut(self, port, settings):
        """
        lftp's C{put} of L{SIZE} bytes, retrying as the tester's lftp did.

        @param port: the server's port on 127.0.0.1.
        @param settings: L{CLEAR} or L{SECURE}.
        @return: the C{STOR} commands lftp sent, and its output.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        out, err, code = await runProgram(
            LFTP, "-d", "-u", "alice,secret", "-p", str(port), "-e",
            settings + "set net:max-retries 3; "
            "set net:reconnect-interval-base 1; set cmd:fail-exit yes; "
            "put %s -o up.bin; quit" % (self.source,), "127.0.0.1")
        self.assertNotEqual(code, 0, (out, err))
        return (out + err).count(b"---> STOR "), out + err

    def assertRefusedOnce(self, stors, output, root):
        """
        lftp sent one C{STOR}, read its C{552}, and nothing was kept.
        """
        self.assertEqual(stors, 1, output[-3000:])
        self.assertIn(b"<--- 552", output)
        self.assertFalse(os.path.exists(os.path.join(root, "up.bin")))

    async def test_lftpClear(self):
        """
        In clear (a bare socket, spliced into the file).
        """
        server = self.serve(maxUploadSize=LIMIT)
        self.assertRefusedOnce(*await self.lftpPut(server.port, CLEAR),
                               self.root)

    async def test_lftpTLS(self):
        """
        Over TLS (C{PROT P}): lftp ended with "max-retries exceeded"
        after 15 C{STOR} commands, never showing the C{552}.
        """
        server = self.serve(maxUploadSize=LIMIT)
        self.assertRefusedOnce(*await self.lftpPut(server.port, SECURE),
                               self.root)

    async def test_lftpMemoryQuota(self):
        """
        Past the room of C{--realm memory:SIZE} (the file's own refusal,
        L{ftpkit.interfaces.IRefusingWriteFile}, through a Twisted
        transport). This one passed before: the file's consumer stopped
        the transport, which closed in order; reset there, lftp sent
        seven C{STOR} commands.
        """
        server = self.startServer(MemoryRealm(maxBytes=LIMIT),
                                  ServerConfig(loginFailureDelay=0))
        stors, output = await self.lftpPut(server.port, CLEAR)
        self.assertEqual(stors, 1, output[-3000:])
        self.assertIn(b"<--- 552", output)

    async def test_workers(self):
        """
        Under C{--workers 2}, lftp and curl, in clear and over TLS.
        """
        server, root = startServer(
            self, "--max-upload-size", str(LIMIT), "--tls-cert", self.both,
            "--workers", "2")
        for settings in (CLEAR, SECURE):
            self.assertRefusedOnce(
                *await self.lftpPut(server.port, settings), root)
        await self.curlPuts(server.port, root)

    async def curlPuts(self, port, root):
        """
        curl, which sends its whole file before it reads the reply, exits
        with its code for a C{552} (70), not for a failed send (55), in
        clear and with C{--ssl-reqd} (C{PROT P}).
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        for secure in ([], ["--ssl-reqd", "-k"]):
            out, err, code = await runProgram(
                CURL, "-sS", "--max-time", "60", "-u", "alice:secret",
                *secure, "-T", self.source,
                "ftp://127.0.0.1:%d/up.bin" % (port,))
            self.assertEqual(code, 70, (secure, err))
        self.assertFalse(os.path.exists(os.path.join(root, "up.bin")))

    async def test_curl(self):
        """
        curl gets the C{552} (L{curlPuts}).
        """
        server = self.serve(maxUploadSize=LIMIT)
        await self.curlPuts(server.port, self.root)

    def ftplibPut(self, secure):
        """
        ftplib's C{storbinary} of the file (blocking: run in a thread).

        @param secure: over TLS with C{PROT P}.
        @return: the reply it failed with.
        """
        client = ftplibLogin(
            self, self.server.port, timeout=30, protect=secure,
            client=ftplib.FTP_TLS(context=clientContext()) if secure
            else None)
        with open(self.source, "rb") as f:
            try:
                client.storbinary("STOR up.bin", f)
            except ftplib.error_perm as e:
                return str(e)
        return None

    async def test_ftplib(self):
        """
        ftplib, in clear and with C{PROT P}, gets the C{552}.
        """
        self.serve(maxUploadSize=LIMIT)
        for secure in (False, True):
            reply = await threads.deferToThread(self.ftplibPut, secure)
            self.assertTrue(reply and reply.startswith("552"),
                            (secure, reply))
        self.assertFalse(os.path.exists(os.path.join(self.root, "up.bin")))


class DrainBoundTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that goes on sending after its upload was refused, without
    ending its side, is reset once the drain's bounds are passed; the
    C{552} is on the control connection all the same. On the disk (a
    bare socket); L{MemoryDrainBoundTests}: in memory (a Twisted
    transport).
    """

    timeout = 60

    def makeRealm(self):
        """
        @return: the realm served.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        return FilesystemRealm(root)

    def setUp(self):
        self.server = self.startServer(
            self.makeRealm(),
            ServerConfig(loginFailureDelay=0, maxUploadSize=LIMIT))

    def refusedUpload(self):
        """
        Log in, start an upload and send past the limit (blocking).

        @return: the client, its data socket, and the upload's reply.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        client.login()
        data = client.binaryData()
        self.addCleanup(data.close)
        self.assertTrue(client.command("STOR up.bin").startswith(b"150"))
        data.sendall(b"x" * (2 * LIMIT))
        return client, data, client.reply()

    def sendUntilReset(self, data, most):
        """
        @return: the bytes sent before the server reset the connection,
            or C{None} if it took C{most} bytes.
        """
        sent, chunk = 0, b"x" * 65536
        while sent < most:
            try:
                sent += data.send(chunk)
            except OSError:
                return sent
        return None

    def test_bytes(self):
        """
        Past L{uploaddrain.DRAIN_BYTES} drained, the connection is reset
        (its time bound, meanwhile, far off).
        """
        self.patch(connection, "DRAIN_BYTES", 1 << 20)
        self.patch(uploaddrain, "DRAIN_BYTES", 1 << 20)
        self.patch(uploaddrain, "DRAIN_SECONDS", 60.0)

        def run():
            _, data, reply = self.refusedUpload()
            # The drain's megabyte, and what the kernels' buffers hold.
            return reply, self.sendUntilReset(data, 32 << 20)
        return threads.deferToThread(run).addCallback(
            lambda result: (self.assertTrue(result[0].startswith(b"552"),
                                            result[0]),
                            self.assertIsNotNone(result[1])))

    def test_seconds(self):
        """
        After L{uploaddrain.DRAIN_SECONDS}, the connection is reset.
        """
        self.patch(uploaddrain, "DRAIN_SECONDS", 0.2)

        def run():
            _, data, reply = self.refusedUpload()

            def reset():
                try:
                    data.send(b"x")
                except OSError:
                    return True
                return False
            return reply, waitUntil(reset, timeout=20)
        return threads.deferToThread(run).addCallback(
            lambda result: self.assertEqual(
                (result[0][:3], result[1]), (b"552", True), result))


class MemoryDrainBoundTests(DrainBoundTests):
    """
    L{DrainBoundTests} in memory.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)
