"""
A client that floods a throttled log line over real sockets, then stops,
has the count of the lines left out written once their window ends (here
a fraction of a second, through the throttles' C{interval}), without any
next line of its: it was told only at the end of the next line, which
never came.
"""

import re
import signal
import socket
import time

from twisted.internet import reactor
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.control.peerwarnings import LINES, PeerWarnings
from ftpkit.control.proxied import (
    ProxiedFactory,
    parseNetworks,
    refusalSummaries,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import EventLog
from ftpkit.realms import SharedShellRealm
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.unit.test_throttlesummaries import MissingShell

INTERVAL = 1.0
"""Seconds of the throttles' windows in these tests."""

WAIT = 10.0
"""Seconds to wait at most for a line."""


def exchange(port, line=None, times=1):
    """
    Open C{times} connections to C{port} one after another, each sending
    C{line} (if any) after reading the first reply, and closing once the
    server closed it (or at once when C{line} is C{None}).

    @return: the first reply line of each.
    """
    firsts = []
    for _ in range(times):
        with socket.create_connection(("127.0.0.1", port), 5) as sock:
            data = sock.recv(4096)
            if line is not None and data.startswith(b"220"):
                sock.sendall(line)
                while sock.recv(4096):
                    pass
            firsts.append(data[:3])
    return firsts


class FloodThenStopTests(LoopbackServerMixin, unittest.TestCase):
    """
    Each throttle of the log, flooded over real sockets by a client that
    then stops.
    """

    def setUp(self):
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)

    def startWith(self, config=None, refusalLines=eventlog.REFUSAL_LINES):
        """
        Start a server whose log and peer warnings count over
        L{INTERVAL}.

        @return: the L{ftpkit.loopback.LoopbackServer}.
        """
        server = self.startServer(MemoryRealm(), config)
        hub = events.EventHub()
        log = EventLog(reactor, refusalLines, interval=INTERVAL)
        log.subscribeTo(hub)
        self.addCleanup(log.stop)
        server.factory.events = hub
        server.factory.peerWarnings = PeerWarnings(reactor,
                                                   interval=INTERVAL)
        return server

    async def lineOf(self, kind):
        """
        @return: the first log event of C{ftpkit_event} C{kind}, once it
            came.
        """
        def found():
            return [event for event in self.logged
                    if event.get("ftpkit_event") == kind]
        if not await waitFor(found, WAIT):
            self.fail(f"no {kind} line in {WAIT} s")
        return found()[0]

    async def test_connectionRefused(self):
        """
        Connections refused (C{--deny-from}, refused at once: one over a
        limit would wait for a session to end), 15 refused, then none: a
        C{connection-refusals-not-logged} line counts the 5 past the 10
        lines.
        """
        server = self.startWith(ServerConfig(denyFrom=("127.0.0.1",)))
        codes = await self.inThread(exchange, server.port, None, 15)
        self.assertEqual(codes, [b"421"] * 15)
        line = await self.lineOf("connection-refusals-not-logged")
        self.assertEqual((formatEvent(line), line["count"]), (
            "refused connections from 127.0.0.1 not logged: 5", 5))

    async def test_warnings(self):
        """
        15 HTTP requests, each on a connection of its own, then none: a
        C{warnings-not-logged} line counts the 5 past the 10 lines.
        """
        server = self.startWith()
        await self.inThread(exchange, server.port, b"GET / HTTP/1.0\r\n",
                            LINES + 5)
        line = await self.lineOf("warnings-not-logged")
        self.assertEqual(formatEvent(line),
                         "http warnings from 127.0.0.1 not logged: 5")

    async def test_sessionRefusals(self):
        """
        A session with commands refused past its lines, then silent and
        still connected, has them counted; its logout later does not
        count them again.
        """
        server = self.startWith(refusalLines=3)
        sock = socket.create_connection(("127.0.0.1", server.port), 5)
        self.addCleanup(sock.close)
        reader = sock.makefile("rb")
        self.addCleanup(reader.close)

        def flood():
            reader.readline()
            sock.sendall(b"USER anonymous\r\nPASS x\r\n"
                         + b"CWD /nope\r\n" * 8)
            return [reader.readline()[:3] for _ in range(10)]

        codes = await self.inThread(flood)
        self.assertEqual(codes[2:], [b"550"] * 8)
        line = await self.lineOf("refusals-not-logged")
        self.assertEqual(formatEvent(line), "5 more refused commands from "
                         "127.0.0.1 user 'anonymous' not logged")

        def quit():
            sock.sendall(b"QUIT\r\n")
            return reader.readline()[:3]

        self.assertEqual(await self.inThread(quit), b"221")
        await self.lineOf("logout")
        self.assertEqual(
            [event.get("ftpkit_event") for event in self.logged].count(
                "refusals-not-logged"), 1)

    async def test_proxyRefusals(self):
        """
        Connections to a C{haproxy:} listener from outside
        C{--trusted-proxy}, 4 refused, then none: a
        C{proxy-refusals-not-logged} line counts the 3 past the first.
        """
        server = self.startWith()
        proxied = ProxiedFactory(server.factory,
                                 parseNetworks(["10.9.0.0/16"]), reactor)
        proxied.throttle = refusalSummaries(reactor, INTERVAL)
        port = reactor.listenTCP(0, proxied, interface="127.0.0.1")
        self.addCleanup(port.stopListening)

        def refused():
            for _ in range(4):
                with socket.create_connection(
                        ("127.0.0.1", port.getHost().port), 5) as sock:
                    sock.recv(10)

        await self.inThread(refused)
        line = await self.lineOf("proxy-refusals-not-logged")
        self.assertEqual(
            (formatEvent(line), line["refusal"], line["count"]),
            ("refused connections (untrusted) on a PROXY-protocol "
             "listener not logged: 3", "untrusted", 3))


    async def test_contractBreaches(self):
        """
        A plugin shell breaking the contract for 15 C{SIZE}, then the
        client quits within the minute: 10 lines, and the count of the 5
        others at its logout.
        """
        server = self.startServer(SharedShellRealm(MissingShell()))

        def flood():
            ftp = ftplibLogin(self, server.port, timeout=10)
            # TYPE I: there SIZE asks the shell.
            ftp.voidcmd("TYPE I")
            ftp.sock.sendall(b"SIZE missing\r\n" * 15)
            codes = {ftp.getline()[:3] for _ in range(15)}
            ftp.quit()
            return codes

        self.assertEqual(await self.inThread(flood), {"550"})
        line = await self.lineOf("contract-breaches-not-logged")
        self.assertEqual(formatEvent(line),
                         "MissingShell.stat contract breaches not logged: 5")
        self.assertEqual(
            len([event for event in self.logged
                 if "MissingShell.stat" in formatEvent(event)]), 11)

class WorkersStopTests(unittest.TestCase):
    """
    Under C{--workers 2}: the counts a stopping server holds (the
    acceptor's and each worker's) are written as it stops, through the
    acceptor, and add up with the lines to every event; no timer keeps
    it from exiting.
    """

    def flood(self, options, line, times, logged):
        """
        Start a server of two workers with C{options}, open C{times}
        connections, each sending C{line} if it is greeted, then stop it
        (C{SIGTERM}) within the minute of their lines, once the first
        ten of them (C{logged}: the lines logged before the throttle
        counts the others) are in its log.

        @return: its log, once it exited.
        """
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--workers", "2", *options])
        server.waitForLog(" ready\n", 2)
        exchange(server.port, line, times)
        server.waitForLog(logged, 10)
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        self.assertEqual(server.process.wait(30), -signal.SIGTERM)
        # Exiting took what a drain of no session takes, not a minute.
        self.assertLess(time.monotonic() - started, 20)
        return server.log()

    def counted(self, log, line, summary):
        """
        @return: the lines of C{log} holding C{line}, plus the counts of
            those matching the C{summary} pattern (its number).
        """
        lines = log.count(line)
        counts = [int(n) for n in re.findall(summary, log)]
        self.assertTrue(counts, log)
        return lines + sum(counts)

    def test_connectionRefused(self):
        """
        30 connections refused by the acceptor (C{--deny-from}): 10
        lines, and the count of the 20 others written at the stop.
        """
        refused = "refused connection from 127.0.0.1:"
        log = self.flood(["--deny-from", "127.0.0.1"], None, 30, refused)
        self.assertEqual(self.counted(
            log, refused,
            r"refused connections from 127\.0\.0\.1 not logged: (\d+)"), 30)

    def test_warnings(self):
        """
        30 HTTP requests, spread over the two workers, each counting its
        own: the lines and the counts written at the stop add up to 30.
        """
        warned = "HTTP request from 127.0.0.1; closing"
        log = self.flood([], b"GET / HTTP/1.0\r\n", 30, warned)
        self.assertEqual(self.counted(
            log, warned,
            r"http warnings from 127\.0\.0\.1 not logged: (\d+)"), 30)
