"""
Edges of the data channel driven over real loopback sockets with raw
clients: what a transfer answers when its data connection never becomes
usable, what is left of a connection a command gave up on, and which
set-up a transfer uses when the client made two.
"""

import ftplib
import os
import select
import socket

from twisted.internet import reactor, tcp
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data import channel
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.integration.test_tls_data import RawSession
from tests.logevents import captureWarnings
from tests.polling import waitFor
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import freeRange
from tests.tlssupport import FTPSTestsMixin, clientContext


class ActiveHandshakeTimeoutTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{PROT P} in active mode (C{PORT}): the client accepts the server's
    data connection and never sends its ClientHello. The transfer ends
    after the handshake timeout (L{channel.HANDSHAKE_TIMEOUT}, made short
    here) with C{150} then C{425} (no data connection could be opened:
    the transfer never got it, L{ftpkit.data.activehandshake}) and one log
    line saying so; it waited for the data timeout (longer than the
    client's own timeout here), and logged the idle connection too, and
    then, until session 54, got the connection before its handshake and
    ended with C{426} and the transfer's line. A listing still gets it
    before its handshake (it reads no file ahead; an empty one ends without
    TLS for curl 7.87-7.88): C{150}, then C{426} at the handshake timeout,
    nothing logged.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.patch(channel, "HANDSHAKE_TIMEOUT", 0.5)
        self.warnings = captureWarnings(self)
        self.serve(dataTimeout=60)

    def silentTransfer(self, command):
        """
        Send C{command} after C{PORT}, accept the server's connection and
        send nothing on it.

        @return: a Deferred firing with the replies to C{command} (its
            C{150} and its final one) and to a C{NOOP} after it.
        """
        def client():
            session = RawSession(self.server.port)
            try:
                listener = session.active()
                session.send(command)
                opening = session.reply()
                data, _ = listener.accept()
                listener.close()
                try:
                    final = session.reply()
                finally:
                    data.close()
                session.send("NOOP")
                return opening[:3], final[:3], session.reply()[:3]
            finally:
                session.close()
        return self.inThread(client)

    async def assertEndsAtHandshakeTimeout(self, command, lines,
                                           final="425"):
        """
        C{command} gets C{150}, then C{final}, the session goes on, and
        C{lines} warnings are logged, the first (if any) of the handshake
        not done, none of an idle connection.
        """
        replies = await self.silentTransfer(command)
        self.assertEqual(replies, ("150", final, "200"))
        self.assertEqual(len(self.warnings), lines, self.warnings)
        self.assertEqual(
            [w for w in self.warnings[:1]
             if "TLS handshake not done within 0.5s" not in w], [])
        self.assertFalse([w for w in self.warnings if "idle for" in w])

    def test_download(self):
        """
        C{RETR} of a file with data (and the transfer's line).
        """
        return self.assertEndsAtHandshakeTimeout("RETR big.bin", 2)

    async def test_upload(self):
        """
        C{STOR}: nothing is kept.
        """
        await self.assertEndsAtHandshakeTimeout("STOR up.bin", 2)
        self.assertFalse(os.path.exists(os.path.join(self.root, "up.bin")))

    def test_listing(self):
        """
        C{LIST}, which took the connection before its handshake: C{426}
        (listings log no transfer line).
        """
        return self.assertEndsAtHandshakeTimeout("LIST", 0, "426")


def connectingTo(port):
    """
    @param port: a port on the loopback.
    @return: whether the reactor has a TCP connect to it under way.
    """
    return any(isinstance(writer, tcp.Client)
               and writer.connector.state == "connecting"
               and writer.connector.getDestination().port == port
               for writer in reactor.getWriters())


class FullBacklog:
    """
    A client's listening socket for C{PORT} whose queue of connections
    is full, so that a connect to it stays under way (Linux drops the
    SYN, and the connecting side sends it again later) until L{drain}.

    @ivar port: its port.
    """

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(filler)
        # Full once a filler's connection is made (queued, never taken):
        # the SYNs of the others, and of later connects, are dropped.
        _, made, _ = select.select([], self.fillers, [], 30)
        if not made:
            raise AssertionError("no connection to the backlog was made")

    def drain(self):
        """
        Take and close what is queued, and the connections filling it:
        the next SYN is answered.
        """
        self.listener.setblocking(False)
        while True:
            try:
                self.listener.accept()[0].close()
            except BlockingIOError:
                break
        for filler in self.fillers:
            filler.close()

    def close(self):
        self.drain()
        self.listener.close()


class OneFileServerMixin(LoopbackServerMixin):
    """
    A server on a directory holding C{f.bin} (ten bytes).
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(b"0123456789")
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=30))


class AbortedConnectTests(OneFileServerMixin, unittest.TestCase):
    """
    C{ABOR} while the server's connection for C{PORT} is under way: the
    connect is stopped. It went on, and the connection it made later was
    kept: the next transfer command, with no new C{PORT}, sent its data
    over it.
    """

    timeout = 60

    async def test_abortWhileConnecting(self):
        """
        C{PORT} to a full queue, C{RETR}, C{ABOR} (C{425}, C{226}); once
        the queue has room and no connect is under way, C{RETR} again
        gets C{425}: there is no data connection.
        """
        backlog = FullBacklog()
        self.addCleanup(backlog.close)

        def abort():
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE I")
            port = backlog.port
            client.command("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255))
            client.sock.sendall(b"RETR f.bin\r\n")
            return client, client.command("ABOR"), client.reply()

        client, failed, aborted = await self.inThread(abort)
        self.assertEqual((failed[:3], aborted[:3]), (b"425", b"226"))
        backlog.drain()
        self.assertTrue(await waitFor(lambda: not connectingTo(backlog.port)))
        reply = await self.inThread(client.command, "RETR f.bin")
        self.assertEqual(reply[:3], b"425", reply)


class AbortedPassiveTests(OneFileServerMixin, unittest.TestCase):
    """
    C{ABOR} while a transfer waits for its passive connection: the
    listener is closed, so a connection the client makes after it is
    refused at once. It was pooled, still listening: the connection was
    accepted by the kernel and waited, unanswered, until the port's next
    listen refused it.
    """

    async def test_connectAfterAbort(self):
        """
        C{EPSV}, C{RETR}, C{ABOR} (C{425}, C{226}); a connection to the
        port then is refused, and the session's next transfer works.
        """
        def abort():
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE I")
            port = client.epsvPort()
            client.sock.sendall(b"RETR f.bin\r\n")
            replies = (client.command("ABOR"), client.reply())
            late = socket.socket()
            try:
                late.settimeout(5)
                late.connect(("127.0.0.1", port))
                outcome = "connected"
            except ConnectionRefusedError:
                outcome = "refused"
            finally:
                late.close()
            return replies, outcome, client.transfer("RETR f.bin")

        (failed, aborted), outcome, transfer = await self.inThread(abort)
        self.assertEqual((failed[:3], aborted[:3]), (b"425", b"226"))
        self.assertEqual(outcome, "refused")
        self.assertEqual((transfer[1], transfer[2][:3]),
                         (b"0123456789", b"226"))


class ReplacedSetUpTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{PASV} then C{PORT}: the last one wins, and the passive listener of
    a C{--passive-ports} range (never pooled) is closed, not left
    listening; under C{PROT P} too, with ftplib, whose C{PORT} follows.
    After C{EPSV ALL}, C{PORT} and C{EPRT} are refused.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(b"0123456789")
        # Below the ephemeral ports, which another test's connections
        # may hold meanwhile (a port of the range busy, or one listening
        # there found by listening()).
        low, high = freeRange(4)
        self.ports = range(low, high + 1)
        self.serve(passivePorts=(self.ports[0], self.ports[-1]))

    def listening(self):
        """
        @return: the ports of the passive range that accept a connection.
        """
        found = []
        for port in self.ports:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    found.append(port)
        return found

    async def assertPortWins(self, protect):
        """
        C{PASV}, then ftplib's active download: the data comes over the
        server's connection, and no passive port listens after it.
        """
        def run():
            if protect:
                ftp = ftplibLogin(self, self.server.port, protect=True,
                                  client=ftplib.FTP_TLS(
                                      context=clientContext()))
            else:
                ftp = ftplibLogin(self, self.server.port)
            ftp.set_pasv(False)
            results = []
            for _ in range(len(self.ports) + 1):
                passive = ftp.sendcmd("PASV")
                chunks = []
                final = ftp.retrbinary("RETR f.bin", chunks.append)
                results.append((passive[:3], b"".join(chunks), final[:3]))
            return results, self.listening()

        results, listening = await self.inThread(run)
        self.assertEqual(results, [("227", b"0123456789", "226")]
                         * (len(self.ports) + 1))
        self.assertEqual(listening, [])

    def test_portWins(self):
        """
        In clear.
        """
        return self.assertPortWins(False)

    def test_portWinsProtected(self):
        """
        Under C{PROT P}.
        """
        return self.assertPortWins(True)

    async def test_afterEpsvAll(self):
        """
        C{PORT}, C{EPRT} and C{PASV} after C{EPSV ALL}: C{503}; C{EPSV}
        still works.
        """
        def run():
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login()
            replies = [client.command("EPSV ALL")]
            for line in ("PORT 127,0,0,1,200,0", "EPRT |1|127.0.0.1|51200|",
                         "PASV"):
                replies.append(client.command(line))
            opening, data, final = client.transfer("RETR f.bin")
            return [reply[:3] for reply in replies], data, final[:3]

        replies, data, final = await self.inThread(run)
        self.assertEqual((replies, data, final),
                         ([b"200", b"503", b"503", b"503"], b"0123456789",
                          b"226"))
