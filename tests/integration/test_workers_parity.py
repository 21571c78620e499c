"""
What holds for one process holds under C{--workers 2}: each test runs a
two-worker server (C{python -m ftpkit}) and holds a session open so that
the next one lands in the other worker (the acceptor hands a connection to
the least busy worker), then checks a limit, a log or the metrics over both.

Signals (C{SIGHUP}, a worker's C{SIGKILL}) are tested in
L{tests.integration.test_workers_signals}.
"""

import ftplib
import io
import json
import os
import re
import signal
import socket
import threading
import time
import urllib.request

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_metrics import samples
from tests.integration.test_pacedbuffers import RATE, assertQueuedWithinBound
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freeRange
from tests.strangers import strangerReads
from tests.tcptable import queuedUntilStalled
from tests.tlssupport import (
    ImplicitFTPTLS,
    ReusingFTPTLS,
    clientContext,
    makeCertificate,
)

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""


def idledOut(client, lines):
    """
    Send command lines one by one, each once the last was answered, until
    the server's C{421}; then wait for it if it did not come.

    @param client: a L{RawClient}, its greeting read.
    @param lines: the command lines (C{bytes}, without their end).
    @return: the first C{421} reply; or, if none came, the reply after
        the last line's.
    """
    for line in lines:
        try:
            client.sock.sendall(line + b"\r\n")
        except OSError:
            # Closed after its 421, which is still to be read.
            break
        reply = client.reply()
        if reply.startswith(b"421"):
            return reply
    return client.reply()


class WorkersTestCase(unittest.TestCase):
    """
    A base for tests of a two-worker server serving C{self.root}.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"served\n")

    def start(self, *options, users="memory:alice:secret", metrics=False):
        """
        Start the server with C{options} and wait for both workers.

        @param metrics: give it C{--metrics} (L{ServerProcess}).
        @return: the L{ServerProcess}.
        """
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "anonymous", "--auth", users,
            "--workers", "2", *options], metrics=metrics)
        self.server.waitForLog(
            ' ready"' if "json" in options else READY, 2)
        return self.server

    def download(self, ftp, name="f.txt"):
        """
        @return: the bytes of C{name} downloaded with C{ftp}.
        """
        out = io.BytesIO()
        ftp.retrbinary("RETR " + name, out.write)
        return out.getvalue()


class ConnectionLimitTests(WorkersTestCase):
    """
    C{--max-connections} counts every worker's sessions.
    """

    def test_maxConnections(self):
        """
        With three sessions from three addresses (both workers serving),
        a fourth client from a fourth address gets C{421}.
        """
        self.start("--max-connections", "3")
        held = [RawClient(self.server.port, source=f"127.0.0.{n}")
                for n in (1, 2, 3)]
        for client in held:
            self.addCleanup(client.close)
            client.login("anonymous", "x")
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      source_address=("127.0.0.4", 0),
                                      timeout=20) as extra:
            self.assertEqual(extra.recv(200)[:3], b"421")


class PassivePortTests(WorkersTestCase):
    """
    A small C{--passive-ports} range shared by both workers.
    """

    def test_smallRangeUnderLoad(self):
        """
        Eight clients from eight addresses download their own file through
        a five-port range at once, over and over: every transfer brings its
        own client's bytes (no port handed to two sessions), and a client
        refused a port gets C{425}, nothing else.
        """
        low, high = freeRange(5)
        self.start("--passive-ports", f"{low}-{high}")
        for n in range(8):
            with open(os.path.join(self.root, f"{n}.bin"), "wb") as f:
                f.write(bytes([n]) * 200000)
        failures, done = [], []

        def client(n):
            try:
                ftp = ftplib.FTP(source_address=(f"127.0.0.{n + 1}", 0))
                ftp.connect("127.0.0.1", self.server.port, timeout=30)
                ftp.login("anonymous", "x")
                for _ in range(10):
                    try:
                        data = self.download(ftp, f"{n}.bin")
                    except ftplib.error_temp as e:
                        if not str(e).startswith("425"):
                            failures.append((n, repr(e)))
                        continue
                    if data != bytes([n]) * 200000:
                        failures.append((n, "wrong data", len(data)))
                    done.append(n)
                ftp.quit()
            except Exception as e:
                failures.append((n, repr(e)))

        threads = [threading.Thread(target=client, args=(n,))
                   for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        self.assertEqual(failures, [])
        self.assertGreater(len(done), 8)

    def test_theftRefused(self):
        """
        A stranger connecting to the passive port of a session in the
        second worker is refused, and the session still gets its file.
        """
        low, high = freeRange(5)
        self.start("--passive-ports", f"{low}-{high}")
        first = RawClient(self.server.port)
        self.addCleanup(first.close)
        first.login("anonymous", "x")
        second = RawClient(self.server.port)
        self.addCleanup(second.close)
        second.login("anonymous", "x")
        port = second.epsvPort()
        self.assertEqual(strangerReads("127.0.0.1", port, "127.0.0.9"), b"")
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=10) as data:
            self.assertEqual(second.command("RETR f.txt")[:3], b"150")
            self.assertEqual(data.recv(100), b"served\r\n")
        self.assertEqual(second.reply()[:3], b"226")


class TLSTests(WorkersTestCase):
    """
    Explicit FTPS under C{--tls-require-session-reuse}: a data connection
    is served by its control connection's worker, whose TLS session it
    resumes.
    """

    def test_sessionReuse(self):
        """
        Two sessions, one per worker, each download over PROT P resuming
        their control connection's session.
        """
        cert, key, _ = makeCertificate(scratchDirectory(self))
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--tls-require-session-reuse")
        sessions = [ftplibLogin(self, self.server.port, protect=True,
                                client=ReusingFTPTLS(context=clientContext()))
                    for _ in range(2)]
        for ftp in sessions:
            self.assertEqual(self.download(ftp), b"served\n")
            self.assertEqual(ftp.reused, [True])

    def test_implicitSessionReuse(self):
        """
        Implicit FTPS (C{ssl:} listener) under
        C{--tls-require-session-reuse}: a session in each worker
        downloads, its data connection resuming its TLS session.
        """
        both = makeCertificate(scratchDirectory(self))[2]
        self.start("--tls-cert", both, "--tls-require-session-reuse",
                   "--listen", f"ssl:0:privateKey={both}:interface=127.0.0.1")
        port = int(re.findall(r"ftpkit listening on \S+ port (\d+)",
                              self.server.log())[1])
        sessions = [ftplibLogin(self, port, protect=True,
                                client=_ImplicitReusing(
                                    context=clientContext()))
                    for _ in range(2)]
        for ftp in sessions:
            self.assertEqual(self.download(ftp), b"served\n")
            self.assertEqual(ftp.reused, [True])


class _ImplicitReusing(ImplicitFTPTLS, ReusingFTPTLS):
    """
    Implicit FTPS resuming the control connection's TLS session on data
    connections.
    """


class SessionFeatureTests(WorkersTestCase):
    """
    Virtual hosts, upload hooks and the logs, with a session in each
    worker.
    """

    def twoSessions(self, user="alice", password="secret"):
        """
        @return: two logged-in clients, the second served by the worker
            the first is not (the first is held while it connects).
        """
        return [ftplibLogin(self, self.server.port, user, password)
                for _ in range(2)]

    def test_vhost(self):
        """
        C{HOST} picks the virtual host in either worker.
        """
        example = scratchDirectory(self)
        with open(os.path.join(example, "v.txt"), "wb") as f:
            f.write(b"virtual\n")
        self.start("--vhost", f"ftp.example.com=filesystem:{example}")
        sessions = []
        for _ in range(2):
            ftp = ftplib.FTP()
            self.addCleanup(ftp.close)
            ftp.connect("127.0.0.1", self.server.port, timeout=30)
            self.assertEqual(ftp.sendcmd("HOST ftp.example.com")[:3], "220")
            ftp.login("alice", "secret")
            sessions.append(ftp)
        for ftp in sessions:
            self.assertEqual(self.download(ftp, "v.txt"), b"virtual\n")

    def test_onUpload(self):
        """
        C{--on-upload} runs once for each upload, whichever worker took
        it.
        """
        ran = os.path.join(scratchDirectory(self), "ran")
        self.start("--on-upload",
                   f"sh -c 'echo \"$FTPKIT_PATH\" >> {ran}'")
        for n, ftp in enumerate(self.twoSessions()):
            ftp.storbinary(f"STOR up{n}", io.BytesIO(b"x" * n))

        def ranTwice():
            if not os.path.exists(ran):
                return None
            with open(ran) as f:
                lines = f.read().splitlines()
            return lines if len(lines) >= 2 else None

        self.server.waitFor(ranTwice, "two hooks")
        # No third: a stopping server waits for the commands it started
        # (the hub's finishers), so what they wrote is all there is.
        self.assertEqual(self.server.stop(), -signal.SIGTERM)
        with open(ran) as f:
            lines = f.read().splitlines()
        self.assertEqual(sorted(lines), ["/up0", "/up1"])

    def test_logsOnceTagged(self):
        """
        Each transfer is one xferlog line and one JSON C{transfer} record,
        naming the worker that served it: two workers.
        """
        xferlog = os.path.join(scratchDirectory(self), "xferlog")
        self.start("--log-format", "json", "--xferlog", xferlog)
        for n, ftp in enumerate(self.twoSessions()):
            self.assertEqual(self.download(ftp), b"served\n")
            ftp.storbinary(f"STOR up{n}", io.BytesIO(b"x"))
            ftp.quit()
        self.server.waitForLog('"logout"', 2)
        records = [json.loads(line) for line in self.server.log().splitlines()
                   if '"ftpkit_event"' in line]
        transfers = [r for r in records if r["ftpkit_event"] == "transfer"]
        self.assertEqual(len(transfers), 4, transfers)
        self.assertEqual(len({r["ftpkit_worker"] for r in transfers}), 2)
        self.assertEqual(
            sorted(r["ftpkit_worker"] for r in records
                   if r["ftpkit_event"] == "login"),
            sorted({r["ftpkit_worker"] for r in transfers}))
        with open(xferlog) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 4, lines)
        self.assertEqual(sorted(line.split()[8] for line in lines),
                         ["/f.txt", "/f.txt", "/up0", "/up1"])

    def test_idleTimeout(self):
        """
        Idle sessions of both workers get C{421} after C{--idle-timeout}:
        the two connect before either logs in (the second lands in the
        other worker), and each gets it whenever it comes, after its
        login or, on a machine slow enough to leave a second between two
        of its commands, before its end.
        """
        self.start("--idle-timeout", "1")
        clients = [RawClient(self.server.port) for _ in range(2)]
        for client in clients:
            self.addCleanup(client.close)
        for client in clients:
            self.assertTrue(idledOut(client, [b"USER alice", b"PASS secret"])
                            .startswith(b"421 Idle timeout"))

    def test_dataTimeout(self):
        """
        A passive connection no transfer uses is closed after
        C{--data-timeout} in both workers, over C{EPSV} and C{PASV}; the
        next C{RETR} gets C{425}.
        """
        self.start("--data-timeout", "1")
        for ftp, command in zip(self.twoSessions(), ["EPSV", "PASV"]):
            reply = ftp.sendcmd(command)
            address = (ftplib.parse229(reply, ftp.sock.getpeername())
                       if command == "EPSV" else ftplib.parse227(reply))
            with socket.create_connection(address, timeout=20) as data:
                try:
                    self.assertEqual(data.recv(1), b"")
                except ConnectionResetError:
                    pass
            with self.assertRaises(ftplib.error_temp) as refused:
                ftp.sendcmd("RETR f.txt")
            self.assertTrue(str(refused.exception).startswith("425"))

    def test_abort(self):
        """
        C{ABOR} ends a download in the second worker; the session goes on.
        """
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"b" * (16 * 1024 * 1024))
        self.start("--max-download-rate", "100K")
        first, second = self.twoSessions()
        second.voidcmd("TYPE I")
        data = second.transfercmd("RETR big.bin")
        self.addCleanup(data.close)
        data.recv(1024)
        self.assertEqual(second.abort()[:3], "426")
        data.close()
        self.assertEqual(second.getresp()[:3], "226")
        self.assertEqual(self.download(second), b"served\n")
        self.assertEqual(self.download(first), b"served\n")

    def test_pacedBuffer(self):
        """
        A paced download in a worker, which owns its data connection's
        socket, queues no more than a second of its rate in the kernel
        while its client reads nothing.
        """
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"b" * (3 << 20))
        self.start("--max-download-rate", str(RATE))
        ftp = ftplibLogin(self, self.server.port)
        ftp.voidcmd("TYPE I")
        with ftp.transfercmd("RETR big.bin") as data:
            queued = queuedUntilStalled(data)
        assertQueuedWithinBound(self, queued)


def eventWorkers(log, event, user):
    """
    @param log: a server's JSON log.
    @param event: an C{ftpkit_event} name (C{login}, say).
    @param user: the user name the records must have.
    @return: the worker pid of each such record, in order.
    """
    return [record["ftpkit_worker"]
            for record in map(json.loads, log.splitlines())
            if record.get("ftpkit_event") == event
            and record.get("user") == user]


class FailedLoginTests(WorkersTestCase):
    """
    Failed logins from one address spread over both workers.
    """

    def test_delayFollowsAddress(self):
        """
        After two failures in one worker, a first failure of the same
        address in the other worker is delayed as a third (4 s), not as
        a first (1 s).
        """
        self.start("--log-format", "json")
        first = RawClient(self.server.port, source="127.0.0.5")
        self.addCleanup(first.close)
        for _ in range(2):
            self.assertEqual(first.login("alice", "wrong")[:3], b"530")
        second = RawClient(self.server.port, source="127.0.0.5")
        self.addCleanup(second.close)
        started = time.monotonic()
        self.assertEqual(second.login("alice", "wrong")[:3], b"530")
        self.assertGreater(time.monotonic() - started, 3.0)
        self.server.waitFor(
            lambda: len(eventWorkers(self.server.log(), "login-failed",
                                     "alice")) == 3, "three failures logged")
        self.assertEqual(len(set(eventWorkers(
            self.server.log(), "login-failed", "alice"))), 2)


class AnyPortTests(WorkersTestCase):
    """
    Listeners on port 0 (any free port), as tests and scripts start a
    single process.
    """

    def test_anyPort(self):
        """
        C{tcp6:0} on C{::1} and implicit FTPS on C{ssl:0} serve sessions
        in both workers: each worker knows which port is the C{ssl:} one
        (it was refused: C{bad port}).
        """
        both = makeCertificate(scratchDirectory(self))[2]
        self.start("--listen", "tcp6:0:interface=\\:\\:1", "--listen",
                   f"ssl:0:privateKey={both}:interface=127.0.0.1")
        ports = [int(port) for port in re.findall(
            r"ftpkit listening on \S+ port (\d+)", self.server.log())]
        self.assertEqual(ports[0], self.server.port)
        for _ in range(2):
            ftp = ftplibLogin(self, ports[1], host="::1")
            self.assertEqual(self.download(ftp), b"served\n")
            implicit = ftplibLogin(
                self, ports[2], protect=True,
                client=ImplicitFTPTLS(context=clientContext()))
            self.assertEqual(self.download(implicit), b"served\n")


class MetricsParityTests(WorkersTestCase):
    """
    One scripted session gives the same metrics in one process and under
    C{--workers 2}.
    """

    def scripted(self, *options):
        """
        Run the script against a server with C{options}.

        @return: the counters and gauges scraped once every session
            ended (durations, whose values are times, left out).
        """
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "anonymous", "--auth",
            "memory:alice:secret", "--max-sessions-per-user", "2",
            *options], metrics=True)
        self.server.waitForLog(READY if options else "ftpkit listening on",
                               len(options) or 1)
        refused = ftplib.FTP()
        refused.connect("127.0.0.1", self.server.port, timeout=20)
        self.assertRaises(ftplib.error_perm, refused.login, "alice", "x")
        refused.close()
        first = ftplibLogin(self, self.server.port, binary=True)
        second = ftplibLogin(self, self.server.port, binary=True)
        third = ftplib.FTP()
        third.connect("127.0.0.1", self.server.port, timeout=20)
        self.assertRaises(ftplib.error_temp, third.login, "alice", "secret")
        third.close()
        first.storbinary("STOR up", io.BytesIO(b"u" * 3000))
        self.assertEqual(self.download(second, "up"), b"u" * 3000)
        self.assertRaises(ftplib.error_perm, self.download, second, "none")
        second.nlst()
        first.quit()
        second.quit()

        def scrape():
            with urllib.request.urlopen(self.server.metricsURL(),
                                        timeout=20) as response:
                return samples(response.read().decode())

        self.server.waitFor(
            lambda: scrape().get(("ftpkit_sessions", ())) == 0 or None,
            "every session ended")
        # Scraped again: under --workers one scrape reads each worker's
        # counter file before its gauge file, so a scrape that overlaps a
        # session's last reply and its end can see the end (the gauge at
        # zero) without the reply's count; one started after the zero was
        # seen reads every count the session made before it ended.
        return {key: value for key, value in scrape().items()
                if key[0].startswith("ftpkit_")
                and not key[0].endswith(("_sum", "_bucket"))}

    def test_sameCounts(self):
        one = self.scripted()
        self.server.stop()
        workers = self.scripted("--workers", "2")
        self.assertEqual(
            {key: (one.get(key), workers.get(key))
             for key in set(one) | set(workers)
             if one.get(key) != workers.get(key)}, {})
