"""
Attacks on the log: clients making the server write a line for every
connection, refusal or failed transfer, cheaply and again and again.

Connections that end at once in a way the server warns of (an HTTP
request, a command line over the limit, a failed TLS handshake), a
stranger's connections to a session's passive port, sessions refused a
passive listener, and transfers that fail before their data connection
opens each get a few lines a minute for an address or a session, then a
count, not a line each.
"""

import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.peerwarnings import LINES
from ftpkit.control.vhosts import VirtualHost
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.eventlog import REFUSAL_LINES
from tests.attackhelpers import ServedRootMixin
from tests.logevents import captureLogs
from tests.loglines import LoggedLines
from tests.memorysessions import connect, makeFactory, replyCodes
from tests.polling import waitFor
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import freeRange
from tests.strangers import strangerReads
from tests.tlssupport import FTPSTestsMixin


def endAtOnce(port, first, then=b""):
    """
    Connect, send C{first}, read a reply, send C{then}, and wait for the
    server to close the connection (blocking).

    @return: the first reply's bytes.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.recv(1000)
        sock.sendall(first)
        reply = sock.recv(1000)
        if then:
            sock.sendall(then)
        while sock.recv(65536):
            pass
    return reply


class ConnectionWarningsTests(LoggedLines, FTPSTestsMixin,
                              unittest.TestCase):
    """
    Connections from one address, each ending at once in a way the
    server warns of.
    """

    async def test_linesThrottled(self):
        """
        Of 25 connections of each kind, each kind logs ten lines; every
        connection is still answered and closed.
        """
        server = self.serve()
        self.captureLog()
        kinds = {
            "HTTP request": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b""),
            "over-long command line": (b"A" * 9000, b""),
            "TLS handshake": (b"AUTH TLS\r\n", b"\x16\x03\x01\x00\x05hello"),
        }

        def flood():
            return [endAtOnce(server.port, *kinds[kind])[:4]
                    for kind in kinds for _ in range(25)]

        replies = await self.inThread(flood)
        self.assertEqual(replies, [b"421 "] * 25 + [b"500 "] * 25
                         + [b"234 "] * 25)
        ended = await waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)
        lines = self.lines()
        self.assertEqual(
            [len([line for line in lines if kind in line]) for kind in kinds],
            [10, 10, 10], lines)

    async def test_hostLinesThrottled(self):
        """
        Of 25 connections each choosing a host and closing, ten are
        logged (a host is chosen only where there are virtual hosts).
        """
        server = self.serve(virtualHosts=(VirtualHost(
            ("ftp.example.com",), "test", FilesystemRealm(self.root)),))
        self.captureLog()

        def flood():
            for _ in range(25):
                client = RawClient(server.port)
                client.command("HOST ftp.example.com")
                client.close()

        await self.inThread(flood)
        ended = await waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)
        chosen = [line for line in self.lines()
                  if "chose virtual host" in line]
        self.assertEqual(len(chosen), 10, chosen)


def strangers(port, count):
    """
    Connect to a passive port from C{127.0.0.2} C{count} times, each time
    waiting for the server to refuse the connection (blocking).
    """
    for _ in range(count):
        strangerReads("127.0.0.1", port, "127.0.0.2", timeout=20)


class StrangerWarningsTests(LoggedLines, ServedRootMixin, unittest.TestCase):
    """
    A stranger connecting again and again to a session's passive port.
    """

    async def test_linesThrottled(self):
        """
        Of 25 connections refused, ten are logged; the session's own
        transfer still works.
        """
        self.server.factory.theftAlarm.sound()
        self.captureLog()

        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                client.command("TYPE I")
                strangers(client.epsvPort(), 25)
                return client.transfer("RETR f.txt")
            finally:
                client.close()

        first, data, final = await self.inThread(run)
        self.assertEqual((data, final[:4]), (b"hello\n", b"226 "))
        thefts = [line for line in self.lines() if "port theft" in line]
        self.assertEqual(len(thefts), 10, thefts)


class TransferBeforeDataLinesTests(unittest.TestCase):
    """
    Transfers that fail before their data connection opens get the
    session's refusal lines, not a line each.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=0.0)
        self.published = []
        self.factory.events.subscribe(self.published.append)

    def test_noDataConnectionBounded(self):
        """
        C{REFUSAL_LINES + 50} C{RETR} of an existing file, each after
        C{PASV} and cut by C{ABOR} (in a read of its own: one sent with
        its command is no transfer) before its data connection came: each
        gets C{425} and is published as a failed transfer, but the log
        has C{REFUSAL_LINES} of their lines and one counting the 50
        others, before the logout line (it had a line for each).
        """
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n")
        for _ in range(REFUSAL_LINES + 50):
            protocol.dataReceived(b"PASV\r\nRETR /d/f.txt\r\n")
            protocol.dataReceived(b"ABOR\r\n")
            self.clock.advance(0)
        protocol.dataReceived(b"QUIT\r\n")
        protocol.connectionLost(None)
        codes = replyCodes(transport)
        self.assertEqual(codes.count("425"), REFUSAL_LINES + 50)
        self.assertEqual(
            len([event for event in self.published
                 if event.kind == events.TRANSFER and event.beforeData]),
            REFUSAL_LINES + 50)
        lines = [formatEvent(event) for event in logged
                 if event.get("ftpkit_event") in (
                     "transfer", "refusals-not-logged", "logout")]
        failed = ("RETR from 10.0.0.1 user 'anonymous' path '/d/f.txt': "
                  "%d, 0 bytes in 0.000 s")
        self.assertEqual(lines[:-1], [failed % 425] * REFUSAL_LINES + [
            "50 more refused commands from 10.0.0.1 user 'anonymous' "
            "not logged"])
        self.assertTrue(lines[-1].startswith("logout from 10.0.0.1"))


class TransferLogBeforeDataTests(unittest.TestCase):
    """
    The transfer log (C{--xferlog}) has a session's transfers that failed
    before their data connection, as many a minute as the log has.
    """

    def test_bounded(self):
        """
        C{REFUSAL_LINES + 50} C{RETR} of a file, each cut by C{ABOR}
        (in a read of its own) before its data connection came:
        C{REFUSAL_LINES} transfer log lines, then another session's get
        lines of their own, and so do the first session's once a minute
        passed (it had a line for each).
        """
        path = self.mktemp()
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=0.0, xferlog=path)

        def cut(session, name):
            session.dataReceived(b"PASV\r\nRETR " + name + b"\r\n")
            session.dataReceived(b"ABOR\r\n")
            clock.advance(0)

        flooding, _ = connect(factory)
        flooding.dataReceived(b"USER anonymous\r\nPASS x\r\n")
        for _ in range(REFUSAL_LINES + 50):
            cut(flooding, b"/d/f.txt")
        clock.advance(0)
        other, _ = connect(factory, "10.0.0.2")
        other.dataReceived(b"USER anonymous\r\nPASS x\r\n")
        cut(other, b"/top.bin")
        clock.advance(60)
        cut(flooding, b"/d/f.txt")
        clock.advance(0)
        with open(path) as log:
            lines = log.read().splitlines()
        self.assertEqual(
            [(line.split()[6], line.split()[8]) for line in lines],
            [("10.0.0.1", "/d/f.txt")] * REFUSAL_LINES
            + [("10.0.0.2", "/top.bin"), ("10.0.0.1", "/d/f.txt")])


class PassiveRefusalLinesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server with C{--max-passive-per-ip 1}, one session of the client
    holding its listener, and more of its sessions each asking for one.
    """

    timeout = 60

    async def test_boundedOverSessions(self):
        """
        25 sessions each refused one listener (C{425}) log L{LINES} lines
        in all, not one each.
        """
        server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginFailureDelay=0, passivePorts=freeRange(4),
                         maxPassivePerIP=1))
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)

        def attack():
            holder = RawClient(server.port)
            try:
                holder.login()
                replies = [holder.command("EPSV")[:3]]
                for _ in range(25):
                    client = RawClient(server.port)
                    try:
                        client.login()
                        replies.append(client.command("EPSV")[:3])
                        client.command("QUIT")
                    finally:
                        client.close()
                return replies
            finally:
                holder.close()

        replies = await self.inThread(attack)
        self.assertEqual(replies, [b"229"] + [b"425"] * 25)
        lines = [event for event in logged
                 if "refused passive listener" in event.get("log_format", "")]
        self.assertEqual(len(lines), LINES)
