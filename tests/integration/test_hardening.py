"""
Attacks over real loopback sockets: bounce, stalled and vanished clients,
limits; and what the tests of attacks share (L{HardenedServerMixin},
L{captureWarnings}, L{pasvAddress}, L{waitFor} and the like).

Attacks on passive ports (theft, listeners kept for reuse) are tested in
L{tests.integration.test_hardening_passive}.
"""

import ftplib
import os
import socket
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.logevents import captureWarnings
from tests.polling import waitFor
from tests.resets import hardClose
from tests.scratch import scratchDirectory

BIG = 32 << 20
"""Size of the file whose download is stalled or dropped: more than the
kernel buffers of both ends hold."""








def waitUntilRefused(host, port, source=None, timeout=10):
    """
    Probe a port until connecting to it is refused (blocking). A probe
    the listener's full queue leaves unanswered gives up after a second;
    one the server accepted and reset (a stranger's, refused while the
    listener still listens) is made again.

    @param source: the address to connect from, or C{None} for any.
    @return: whether it was refused within C{timeout} seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = socket.socket()
        probe.settimeout(1)
        try:
            if source is not None:
                probe.bind((source, 0))
            probe.connect((host, port))
        except ConnectionRefusedError:
            return True
        except (TimeoutError, ConnectionResetError):
            pass
        finally:
            probe.close()
        time.sleep(0.05)
    return False


def readUntilClosed(sock):
    """
    Read a connection until the server closes it, then close it
    (blocking).

    @param sock: a connected socket.
    @return: the bytes read.
    """
    received = b""
    while True:
        chunk = sock.recv(1000)
        if not chunk:
            break
        received += chunk
    sock.close()
    return received


class HardenedServerMixin(LoopbackServerMixin):
    """
    A real server on 127.0.0.1 serving a temporary directory, for the
    tests of attacks: C{serve} starts it, C{login} logs in with ftplib,
    and the warnings it logs are kept (C{logged} finds them).
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "hello.txt"), "wb") as f:
            f.write(b"hello\n")
        self.warnings = captureWarnings(self)

    def serve(self, **settings):
        """
        Start the server with these L{ServerConfig} fields.
        """
        settings.setdefault("loginFailureDelay", 0)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(**settings))
        return self.server

    def login(self):
        return ftplibLogin(self, self.server.port, timeout=10)

    def writeFile(self, name, data):
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)

    def readFile(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    def temporaryFiles(self):
        return [name for name in os.listdir(self.root)
                if name.startswith(".ftpkit-upload")]

    def logged(self, *words):
        return [text for text in self.warnings
                if all(word in text for word in words)]


class HardeningTests(HardenedServerMixin, unittest.TestCase):
    """
    A real server on 127.0.0.1 serving a temporary directory.
    """

    @defer.inlineCallbacks
    def test_bounceRefused(self):
        """
        PORT/EPRT to another address, or to a port below 1024, get 501 and
        a log line naming the client.
        """
        self.serve()

        def client():
            ftp = self.login()
            answers = []
            try:
                for command in ("PORT 127,0,0,2,8,0",
                                "EPRT |1|127.0.0.2|2048|",
                                "PORT 127,0,0,1,0,21",
                                "EPRT |1|127.0.0.1|22|"):
                    try:
                        answers.append(ftp.sendcmd(command))
                    except ftplib.error_perm as e:
                        answers.append(str(e))
                return answers
            finally:
                ftp.quit()

        answers = yield self.inThread(client)
        self.assertEqual([answer[:3] for answer in answers], ["501"] * 4)
        self.assertEqual(len(self.logged("127.0.0.2", "bounce")), 2)
        self.assertEqual(len(self.logged("privileged", "127.0.0.1")), 2)

    @defer.inlineCallbacks
    def test_restBeyondFileOffsets(self):
        """
        C{REST} past the largest file offset (2**63 - 1) gets 501: a STOR
        after it failed with an C{OverflowError} traceback in the log.
        """
        self.serve()

        def client():
            ftp = self.login()
            ftp.sendcmd("TYPE I")
            with self.assertRaises(ftplib.error_perm) as caught:
                ftp.sendcmd("REST %d" % 2**63)
            last = ftp.sendcmd("REST %d" % (2**63 - 1))
            result = str(caught.exception), last
            ftp.quit()
            return result

        refused, last = yield self.inThread(client)
        self.assertEqual(refused[:3], "501")
        self.assertEqual(last[:3], "350")

    @defer.inlineCallbacks
    def test_stalledUploadAborted(self):
        """
        An upload whose client stops sending gets C{426} after
        C{dataTimeout}; the file it was replacing is intact and no
        temporary file remains.
        """
        self.serve(dataTimeout=0.5)
        self.writeFile("keep.bin", b"old contents")

        def client():
            ftp = self.login()
            ftp.voidcmd("TYPE I")
            data = ftp.transfercmd("STOR keep.bin")
            data.sendall(b"new" * 1000)
            try:
                answer = ftp.voidresp()
            except ftplib.error_temp as e:
                answer = str(e)
            data.close()
            ftp.quit()
            return answer

        answer = yield self.inThread(client)
        self.assertTrue(answer.startswith("426"), answer)
        yield waitFor(lambda: not self.temporaryFiles())
        self.assertEqual(self.readFile("keep.bin"), b"old contents")
        self.assertEqual(self.temporaryFiles(), [])
        self.assertTrue(self.logged("idle", "127.0.0.1"), self.warnings)

    @defer.inlineCallbacks
    def test_stalledDownloadAborted(self):
        """
        A download whose client stops reading gets C{426} after
        C{dataTimeout} (the C{sendfile} path included), and the session
        goes on.
        """
        self.serve(dataTimeout=0.5)
        self.writeFile("big.bin", b"\0" * BIG)

        def client():
            ftp = self.login()
            ftp.voidcmd("TYPE I")
            data = ftp.transfercmd("RETR big.bin")
            data.recv(1000)
            try:
                answer = ftp.voidresp()
            except ftplib.error_temp as e:
                answer = str(e)
            data.close()
            result = answer, ftp.sendcmd("NOOP")
            ftp.quit()
            return result

        answer, noop = yield self.inThread(client)
        self.assertTrue(answer.startswith("426"), answer)
        self.assertTrue(noop.startswith("200"), noop)

    @defer.inlineCallbacks
    def test_slowDownloadKeepsGoing(self):
        """
        A download that keeps moving, however slowly, is never cut off by
        the data timeout.
        """
        self.serve(dataTimeout=1.0)
        payload = os.urandom(BIG // 2)
        self.writeFile("big.bin", payload)

        def client():
            ftp = self.login()
            ftp.voidcmd("TYPE I")
            data = ftp.transfercmd("RETR big.bin")
            received = []
            while True:
                chunk = data.recv(1 << 20)
                if not chunk:
                    break
                received.append(chunk)
                time.sleep(0.05)
            data.close()
            result = b"".join(received), ftp.voidresp()
            ftp.quit()
            return result

        received, answer = yield self.inThread(client)
        self.assertTrue(answer.startswith("226"), answer)
        self.assertEqual(received, payload)

    @defer.inlineCallbacks
    def test_vanishingClientFreesEverything(self):
        """
        Clients killed mid-download and mid-upload: the sessions end, no
        temporary file remains and the replaced file is intact.
        """
        server = self.serve()
        self.writeFile("big.bin", b"\1" * BIG)
        self.writeFile("keep.bin", b"precious")

        def client():
            download = self.login()
            download.voidcmd("TYPE I")
            readData = download.transfercmd("RETR big.bin")
            readData.recv(65536)
            upload = self.login()
            upload.voidcmd("TYPE I")
            writeData = upload.transfercmd("STOR keep.bin")
            writeData.sendall(b"partial" * 100000)
            for sock in (readData, download.sock, writeData, upload.sock):
                hardClose(sock)

        yield self.inThread(client)
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)
        yield waitFor(lambda: not self.temporaryFiles())
        self.assertEqual(self.temporaryFiles(), [])
        self.assertEqual(self.readFile("keep.bin"), b"precious")
        self.assertEqual(dict(server.factory.sessionsByHost), {})

    @defer.inlineCallbacks
    def test_connectionLimits(self):
        """
        Over C{maxConnectionsPerIP}, a client gets C{421} and a close, with
        a log line naming it.
        """
        self.serve(maxConnectionsPerIP=1)

        def client():
            first = self.login()
            second = socket.create_connection(("127.0.0.1", self.server.port),
                                              timeout=10)
            received = readUntilClosed(second)
            first.quit()
            return received

        received = yield self.inThread(client)
        self.assertTrue(received.startswith(b"421 "), received)
        self.assertTrue(self.logged("refused", "127.0.0.1"), self.warnings)

    @defer.inlineCallbacks
    def test_idleTimeout(self):
        """
        An idle client gets C{421} and is disconnected.
        """
        self.serve(idleTimeout=0.3)

        def client():
            sock = socket.create_connection(("127.0.0.1", self.server.port),
                                            timeout=10)
            return readUntilClosed(sock)

        received = yield self.inThread(client)
        self.assertEqual(received.split(b"\r\n")[1][:4], b"421 ")

    @defer.inlineCallbacks
    def test_hugeLineClosed(self):
        """
        A 1 MiB line without newline ends the session, logged.
        """
        server = self.serve()

        def client():
            sock = socket.create_connection(("127.0.0.1", self.server.port),
                                            timeout=10)
            received = b""
            try:
                sock.sendall(b"A" * (1 << 20))
                while True:
                    chunk = sock.recv(1000)
                    if not chunk:
                        break
                    received += chunk
            except OSError:
                pass
            sock.close()
            return received

        received = yield self.inThread(client)
        self.assertNotIn(b"\r\n200", received)
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended)
        self.assertTrue(self.logged("over-long", "127.0.0.1"), self.warnings)


class UnreadRepliesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that sends commands but never reads the replies cannot make
    the server buffer replies without limit: the server stops reading.
    """

    timeout = 60

    def test_serverStopsReading(self):
        root = scratchDirectory(self)
        server = self.startServer(FilesystemRealm(root))

        def flood():
            client = socket.create_connection(("127.0.0.1", server.port))
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.setblocking(False)
            chunk = b"NOOP\r\n" * 10000
            sent = 0
            idleSince = time.monotonic()
            try:
                while time.monotonic() - idleSince < 1.0:
                    try:
                        sent += client.send(chunk)
                        idleSince = time.monotonic()
                    except BlockingIOError:
                        time.sleep(0.01)
                    if sent > 20 * 1024 * 1024:
                        break
            finally:
                client.close()
            return sent

        def check(sent):
            # Without backpressure the server reads (and answers into its
            # own memory) everything: the client gets all 20 MiB out.
            self.assertLess(sent, 10 * 1024 * 1024)
        return self.inThread(flood).addCallback(check)
