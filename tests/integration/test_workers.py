"""
Tests for L{ftpkit.deploy.workers}: the pure parts, and a real multi-process
server driven by ftplib.
"""

import ftplib
import io
import os
import socket
import subprocess
import sys
import time

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy.overlimit import RELEASE_WAIT
from ftpkit.deploy.workers import (
    WorkerPool,
    _Worker,
    listeningSocket,
    parseListenAddress,
)
from tests.ftpclient import ftplibLogin
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE


class ParseListenAddressTests(unittest.SynchronousTestCase):
    """
    The acceptor understands tcp: and tcp6: endpoint descriptions.
    """

    def test_tcp(self):
        self.assertEqual(parseListenAddress("tcp:2121"),
                         (socket.AF_INET, "0.0.0.0", 2121))
        self.assertEqual(
            parseListenAddress("tcp:port=21:interface=127.0.0.1"),
            (socket.AF_INET, "127.0.0.1", 21))

    def test_tcp6EscapedInterface(self):
        self.assertEqual(parseListenAddress("tcp6:2121:interface=\\:\\:1"),
                         (socket.AF_INET6, "::1", 2121))

    def test_otherKindsRefused(self):
        for description in ("ssl:990", "unix:/tmp/s", "haproxy:tcp:21"):
            self.assertRaises(ValueError, parseListenAddress, description)

    def test_badPort(self):
        for description in ("tcp:x", "tcp:-1", "tcp:70000", "tcp"):
            self.assertRaises(ValueError, parseListenAddress, description)

    def test_anyPort(self):
        """
        Port 0 (any free port) is taken, as a single process takes it.
        """
        self.assertEqual(parseListenAddress("tcp6:0:interface=\\:\\:1"),
                         (socket.AF_INET6, "::1", 0))


class ListeningSocketTests(unittest.SynchronousTestCase):
    """
    The acceptor listens as Twisted's C{tcp:} and C{tcp6:} do.
    """

    if not hasIPv6():
        skip = "no IPv6 on loopback"

    def test_dualStackAsTheSystem(self):
        """
        An IPv6 listener on every address keeps the system's default for
        C{IPV6_V6ONLY}, as a single process's C{tcp6:} does: where the
        system takes IPv4 on such sockets, an IPv4 client connects (it
        was refused under C{--workers} only).
        """
        with socket.socket(socket.AF_INET6) as plain:
            default = plain.getsockopt(socket.IPPROTO_IPV6,
                                       socket.IPV6_V6ONLY)
        listening = listeningSocket(socket.AF_INET6, "::", 0)
        self.addCleanup(listening.close)
        self.assertEqual(listening.getsockopt(socket.IPPROTO_IPV6,
                                              socket.IPV6_V6ONLY), default)
        self.assertFalse(listening.getblocking())
        if default:
            return
        port = listening.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), 5):
            pass

    def test_tcp6Workers(self):
        """
        C{twistd ftpkit --workers 2 --listen tcp6:PORT} serves an IPv4
        client where the system's IPv6 sockets take IPv4, as it does
        without C{--workers}.
        """
        from tests.serverprocess import ServerProcess, freePort

        with socket.socket(socket.AF_INET6) as plain:
            if plain.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
                raise unittest.SkipTest("IPv6 sockets are IPv6 only here")
        root = scratchDirectory(self)
        port = freePort()
        server = ServerProcess(self, [
            "--root", root, "--auth", "anonymous", "--workers", "2",
            "--listen", "tcp6:%d" % port], twistd=True)
        server.waitForLog(" ready\n", 2)
        for host in ("127.0.0.1", "::1"):
            ftp = ftplibLogin(self, port, "anonymous", "anonymous@", host=host)
            self.assertEqual(ftp.nlst(), [])
            ftp.quit()


def freePort():
    """
    @return: a TCP port on 127.0.0.1 that was free a moment ago.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkersIntegrationTests(unittest.TestCase):
    """
    C{python -m ftpkit --workers 2} serves sessions from two worker
    processes, with the connection limits holding across them.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"served by a worker\n")
        self.port = freePort()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ftpkit", "--workers", "2",
             "--listen", "tcp:%d:interface=127.0.0.1" % self.port,
             "--root", self.root, "--auth", "memory:alice:secret",
             "--max-connections-per-ip", "3"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": SOURCE})
        self.addCleanup(self.stopServer)
        # One probe, waiting for its greeting: the acceptor takes
        # connections once a worker is ready, and probes given up on
        # would wait in its listen queue and count against the
        # per-address limit once taken.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                probe = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                time.sleep(0.1)
                continue
            with probe:
                probe.settimeout(20)
                self.assertTrue(probe.recv(100).startswith(b"220"))
                probe.sendall(b"QUIT\r\n")
                self.assertTrue(probe.recv(100).startswith(b"221"))
            return
        self.fail("server did not start")

    def stopServer(self):
        self.process.terminate()
        self.process.wait(20)
        self.process.stderr.close()

    def login(self):
        return ftplibLogin(self, self.port, timeout=10)

    def test_sessionsAcrossWorkers(self):
        """
        Sessions are served, and the per-address limit counts sessions of
        every worker together.
        """
        sessions = [self.login() for _ in range(3)]
        try:
            for ftp in sessions:
                out = io.BytesIO()
                ftp.retrbinary("RETR f.txt", out.write)
                self.assertEqual(out.getvalue(), b"served by a worker\n")
            with socket.create_connection(("127.0.0.1", self.port)) as extra:
                extra.settimeout(10)
                self.assertTrue(extra.recv(100).startswith(b"421"))
        finally:
            for ftp in sessions:
                ftp.quit()
        deadline = time.monotonic() + 10
        while True:
            try:
                self.login().quit()
                break
            except (ftplib.Error, OSError, EOFError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


class SplitEndpointTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.deploy.endpoints.splitEndpoint} splits on unescaped colons only.
    """

    def test_escapes(self):
        from ftpkit.deploy.endpoints import splitEndpoint

        self.assertEqual(splitEndpoint("tcp6:21:interface=\\:\\:1"),
                         ["tcp6", "21", "interface=::1"])
        self.assertEqual(splitEndpoint("ssl:990:privateKey=a\\\\b.pem"),
                         ["ssl", "990", "privateKey=a\\b.pem"])


class RestartDelayTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.deploy.workers.restartDelay}: workers failing at start are retried
    after doubling delays.
    """

    def test_noFailure(self):
        from ftpkit.deploy.workers import restartDelay

        self.assertEqual(restartDelay(0), 0)

    def test_doubling(self):
        from ftpkit.deploy.workers import restartDelay

        self.assertEqual([restartDelay(n, 0.5, 30) for n in range(1, 9)],
                         [0.5, 1, 2, 4, 8, 16, 30, 30])
        self.assertEqual(restartDelay(10 ** 6, 0.5, 30), 30)


class WorkerLogReaderTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.ops.workerlog.WorkerLogReader} turns a worker's output into
    events of the acceptor's log.
    """

    def setUp(self):
        from ftpkit.ops.workerlog import WorkerLogReader

        self.events = []
        self.reader = WorkerLogReader(42, self.events.append)

    def test_records(self):
        """
        JSON records, split anywhere, become events naming the worker.
        """
        from twisted.logger import LogLevel, eventAsJSON, formatEvent

        record = ("\x1e" + eventAsJSON({
            "log_format": "login {user}", "user": "alice",
            "log_level": LogLevel.info, "log_namespace": "x"}) + "\n")
        data = (record * 2).encode("utf-8")
        self.reader.recordsReceived(data[:7])
        self.assertEqual(self.events, [])
        self.reader.recordsReceived(data[7:])
        self.assertEqual([formatEvent(e) for e in self.events],
                         ["login alice"] * 2)
        self.assertEqual(self.events[0]["log_system"], "worker 42 x#info")
        self.assertEqual(self.events[0]["log_level"], LogLevel.info)

    def test_errors(self):
        """
        Standard error is logged a line at a time, as errors; what is left
        is logged when the worker exits.
        """
        from twisted.logger import LogLevel, formatEvent

        self.reader.errorsReceived(b"Traceback:\n  boom\nlast")
        self.assertEqual([formatEvent(e) for e in self.events],
                         ["Traceback:", "  boom"])
        self.reader.flush()
        self.assertEqual(formatEvent(self.events[-1]), "last")
        self.assertEqual(self.events[-1]["log_level"], LogLevel.error)
        self.assertEqual(self.events[-1]["log_system"],
                         "worker 42 ftpkit.deploy.worker#error")

    def test_ownSystem(self):
        """
        A record that names its own system (a C{twisted.python.log}
        message in a connection's context) keeps it after the pid.
        """
        from twisted.logger import eventAsJSON

        record = "\x1e" + eventAsJSON({"log_format": "x",
                                       "log_system": "FTP,3,::1"}) + "\n"
        self.reader.recordsReceived(record.encode("utf-8"))
        self.assertEqual(self.events[0]["log_system"], "worker 42 FTP,3,::1")

    def test_textTimed(self):
        """
        A line of standard error, or a record that is not JSON, is dated
        when it is read: it had no C{log_time}, so its text line began
        with C{-} instead of the time, and its JSON record lacked the key
        every other one has.
        """
        from ftpkit.ops.workerlog import WorkerLogReader

        reader = WorkerLogReader(42, self.events.append, now=lambda: 1234.5)
        reader.errorsReceived(b"Traceback:\nlast")
        reader.recordsReceived(b"\x1enot json\n")
        reader.flush()
        self.assertEqual([event["log_time"] for event in self.events],
                         [1234.5] * 3)

    def test_notJSON(self):
        """
        A record that is not JSON is logged as text.
        """
        from twisted.logger import formatEvent

        self.reader.recordsReceived(b"\x1enot json\n")
        self.assertEqual([formatEvent(e) for e in self.events], ["not json"])

    def test_formatSpecKept(self):
        """
        A worker's field formatted with a format spec (C{{seconds:.3f}} in
        the transfer log line) reads as it does in one process: Twisted's
        flattening keeps only C{str} of the value, which dropped the spec.
        """
        from twisted.logger import LogLevel, eventAsJSON, formatEvent

        record = ("\x1e" + eventAsJSON({
            "log_format": "{bytes} bytes in {seconds:.3f} s {user!r}",
            "bytes": 5, "seconds": 3.978332281112671, "user": "alice",
            "log_level": LogLevel.info, "log_namespace": "x"}) + "\n")
        self.reader.recordsReceived(record.encode("utf-8"))
        self.assertEqual([formatEvent(e) for e in self.events],
                         ["5 bytes in 3.978 s 'alice'"])


    def test_formatSpecOfAnyValue(self):
        """
        A worker's field whose value JSON cannot carry, formatted with a
        format spec (the date a reloaded TLS certificate is valid until),
        reads as it does in one process: it read as the spec-less C{str}
        of the value (with seconds and time zone), or not at all.
        """
        import datetime
        import io

        from twisted.logger import LogLevel, formatEvent

        from ftpkit.ops.workerlog import workerObserver

        out = io.StringIO()
        until = datetime.datetime(2026, 12, 31, 10, 13, 37,
                                  tzinfo=datetime.timezone.utc)
        workerObserver(out)({
            "log_format": "valid until {until:%Y-%m-%d %H:%M} UTC",
            "until": until, "log_level": LogLevel.info,
            "log_namespace": "x"})
        self.reader.recordsReceived(out.getvalue().encode("utf-8"))
        self.assertEqual([formatEvent(e) for e in self.events],
                         ["valid until 2026-12-31 10:13 UTC"])


class DispatchTests(unittest.SynchronousTestCase):
    """
    L{WorkerPool.dispatch}: what the acceptor decides itself.
    """

    def test_deniedNeverCounted(self):
        """
        An address C{--deny-from} names is refused by the acceptor itself
        with C{421 Not allowed}, and never counts against the limits (the
        worker refused it, and released it only later: a client refused
        again and again could get "too many connections").
        """
        pool = WorkerPool(2, [], [], ServerConfig(
            denyFrom=("127.0.0.2",), maxConnectionsPerIP=1),
            reactor=MemoryReactorClock())
        for _ in range(3):
            ours, theirs = socket.socketpair()
            self.addCleanup(theirs.close)
            pool.dispatch(ours, "127.0.0.2")
            self.assertEqual(theirs.recv(100),
                             b"421 Not allowed from your address\r\n")
        self.assertEqual(pool.limiter.sessionsByHost.get("127.0.0.2", 0), 0)

    def overLimit(self):
        """
        @return: C{(pool, worker channel end, client ends)}: an acceptor
            with one ready worker, allowing one session an address, and
            two connections from 127.0.0.5 dispatched: the first one
            handed to the worker, the second over the limit.
        """
        pool = WorkerPool(1, [], [], ServerConfig(maxConnectionsPerIP=1),
                          reactor=MemoryReactorClock())
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        worker = _Worker(pool, ours)
        worker.ready = True
        pool.workers.append(worker)
        clients = []
        for _ in range(2):
            server, client = socket.socketpair()
            self.addCleanup(client.close)
            client.setblocking(False)
            clients.append(client)
            pool.dispatch(server, "127.0.0.5")
        return pool, theirs, clients

    def received(self, channel):
        """
        @return: the lines the acceptor sent a worker with descriptors
            (closed here).
        """
        message, descriptors, _, _ = socket.recv_fds(channel, 4096, 8)
        for descriptor in descriptors:
            os.close(descriptor)
        return message, len(descriptors)

    def test_overLimitWaitsForEnd(self):
        """
        A connection over C{--max-connections-per-ip} waits: when the
        worker reports a session of its address ended (a moment after
        that client got its C{221}, and reconnected), it is handed to a
        worker instead of refused.
        """
        pool, channel, clients = self.overLimit()
        self.assertEqual(self.received(channel), (b"127.0.0.5\n", 1))
        self.assertRaises(BlockingIOError, clients[1].recv, 100)
        pool.workers[0].released("127.0.0.5")
        self.assertEqual(self.received(channel), (b"127.0.0.5\n", 1))
        self.assertEqual(pool.limiter.sessionsByHost["127.0.0.5"], 1)
        channel.sendall(b"took\ntook\n")
        pool.workers[0].channel.doRead()
        self.assertEqual(pool.reactor.getDelayedCalls(), [])

    def test_overLimitRefusedAfterWait(self):
        """
        When no session of its address ends within L{RELEASE_WAIT}, the
        connection over the limit gets C{421}; another one from the same
        address meanwhile is refused at once.
        """
        pool, channel, clients = self.overLimit()
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        pool.dispatch(server, "127.0.0.5")
        refusal = b"421 Too many connections from your address\r\n"
        self.assertEqual(client.recv(100), refusal)
        pool.reactor.advance(RELEASE_WAIT)
        self.assertEqual(clients[1].recv(100), refusal)
        self.assertEqual(clients[1].recv(100), b"")
        self.assertEqual(pool.limiter.sessionsByHost["127.0.0.5"], 1)
