"""
Signals under C{--workers 2}: C{SIGHUP} reaches every worker, a
worker killed with C{SIGKILL} is replaced, what it held released in the
acceptor, and one given C{SIGTERM} while it starts is replaced at once.
As in L{tests.integration.test_workers_parity}, each test runs a
two-worker server and holds a session open in each worker.
"""

import ftplib
import io
import json
import os
import signal
import urllib.request

from tests.ftpclient import ftplibLogin
from tests.integration.test_metrics import samples
from tests.integration.test_workers_parity import WorkersTestCase, eventWorkers
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath
from tests.sockreads import readToEnd
from tests.tlssupport import clientContext, derOf, makeCertificate
from tests.usersfiles import ALICE_HASH

TERM_FIRST_WORKER = """\
import os, signal, sys

if "ftpkit.deploy.worker" in sys.orig_argv:
    try:
        os.close(os.open(os.environ["FTPKIT_TEST_TERMED"],
                         os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        pass
    else:
        os.kill(os.getpid(), signal.SIGTERM)
"""
"""
A C{sitecustomize} sending the first worker of C{--workers} to start
C{SIGTERM} at its first moment (the others make the file
C{$FTPKIT_TEST_TERMED} names is there already).
"""


def killWorkerOf(test, user, client):
    """
    SIGKILL the worker serving C{user}'s session, see C{client}'s control
    connection end, and wait for the worker started in its place.

    @param test: a L{WorkersTestCase} whose server runs with
        C{--log-format json}.
    @param user: the user name.
    @param client: the user's C{ftplib.FTP}.
    """
    [victim] = test.server.waitFor(
        lambda: eventWorkers(test.server.log(), "login", user),
        f"{user}'s login")
    os.kill(victim, signal.SIGKILL)
    client.sock.settimeout(20)
    test.assertEqual(client.sock.recv(100), b"")
    test.server.waitForLog(' ready"', 3)


class SignalTests(WorkersTestCase):
    """
    C{SIGHUP}, a worker's C{SIGKILL}, and C{SIGTERM} to a worker still
    starting.
    """

    def test_reloadReachesEveryWorker(self):
        """
        After C{SIGHUP}, a user added to the users file logs in, and gets
        the renewed certificate, in each worker.
        """
        certs = scratchDirectory(self)
        os.mkdir(os.path.join(certs, "new"))
        cert, key, _ = makeCertificate(certs)
        newCert, newKey, _ = makeCertificate(os.path.join(certs, "new"))
        users = os.path.join(certs, "users.toml")
        entry = '[users.{}]\npassword = "{}"\npermissions = ["list", "read"]\n'
        with open(users, "w") as f:
            f.write(entry.format("alice", ALICE_HASH))
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--log-format", "json", users=f"users:{users}")
        held = [ftplibLogin(self, self.server.port) for _ in range(2)]
        with open(users, "a") as f:
            f.write(entry.format("bob", ALICE_HASH))
        os.replace(newCert, cert)
        os.replace(newKey, key)
        self.server.signal(signal.SIGHUP)
        # One line each, naming both workers (ftpkit.ops.workerechoes).
        self.server.waitForLog("reloaded the TLS certificate")
        self.server.waitForLog('"reloaded {count} users from {path}"')
        log = self.server.log()
        for logFormat in ["reloaded the TLS certificate from {path} (valid "
                          "until {until} UTC)",
                          "reloaded {count} users from {path}"]:
            [record] = [record for record in map(json.loads,
                                                 log.splitlines())
                        if record.get("log_format") == logFormat]
            self.assertEqual(len(record["ftpkit_workers"]), 2)
        new = [ftplibLogin(self, self.server.port, "bob",
                           client=ftplib.FTP_TLS(context=clientContext()))
               for _ in range(2)]
        for ftp in new:
            self.assertEqual(ftp.sock.getpeercert(binary_form=True),
                             derOf(cert))
        self.server.waitFor(
            lambda: len(eventWorkers(self.server.log(), "login", "bob")) == 2,
            "two logins of bob")
        self.assertEqual(
            len(set(eventWorkers(self.server.log(), "login", "bob"))), 2)
        del held

    def test_workerKilledMidTransfer(self):
        """
        A worker killed during a download: its client's connection ends,
        the other worker's session downloads on, another worker starts,
        and the metrics count one session open and both started.
        """
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"b" * (1024 * 1024))
        self.start("--log-format", "json", "--max-download-rate", "200K",
                   metrics=True)
        doomed = ftplibLogin(self, self.server.port, "alice", binary=True)
        survivor = ftplibLogin(self, self.server.port, "anonymous",
                               binary=True)
        data = doomed.transfercmd("RETR big.bin")
        self.addCleanup(data.close)
        data.recv(1024)
        alive = survivor.transfercmd("RETR big.bin")
        self.addCleanup(alive.close)
        received = alive.recv(1024)
        killWorkerOf(self, "alice", doomed)
        received += readToEnd(alive)
        alive.close()
        self.assertEqual(len(received), 1024 * 1024)
        self.assertEqual(survivor.voidresp()[:3], "226")
        self.assertEqual(self.download(survivor), b"served\n")

        def scraped():
            with urllib.request.urlopen(self.server.metricsURL(),
                                        timeout=20) as response:
                found = samples(response.read().decode())
            return found if found.get(("ftpkit_sessions", ())) == 1 else None

        found = self.server.waitFor(scraped, "one session in the metrics")
        self.assertEqual(found[("ftpkit_sessions_started_total", ())], 2)

    def test_termWhileStarting(self):
        """
        A worker given C{SIGTERM} alone while it starts (before it handles
        the signal: its default action ends it) was stopped by someone,
        not a failure to start: one information line, another started at
        once, and the server serves with both. It was 'exited before it
        was ready', an error, with the restart delayed.
        """
        termed = os.path.join(scratchDirectory(self), "termed")
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--log-format", "json"],
            env={"PYTHONPATH": sitePath(self, TERM_FIRST_WORKER),
                 "FTPKIT_TEST_TERMED": termed})
        self.server.waitForLog(' ready"', 2)
        held = [ftplibLogin(self, self.server.port) for _ in range(2)]
        self.server.waitFor(
            lambda: len(eventWorkers(self.server.log(), "login",
                                     "alice")) == 2,
            "a login in each worker")
        records = [json.loads(line) for line in self.server.log().splitlines()]
        [stopped] = [record for record in records
                     if "while starting" in record.get("log_format", "")]
        self.assertEqual(stopped["log_level"]["name"], "info")
        self.assertEqual(stopped["signal"], "SIGTERM")
        self.assertEqual(
            [record for record in records
             if record.get("log_level", {}).get("name") in ("error",
                                                            "critical")],
            [])
        for ftp in held:
            ftp.quit()


class KilledWorkerReleaseTests(WorkersTestCase):
    """
    What a worker killed with C{SIGKILL} held is released in the acceptor.
    """

    def test_userAndSessionsReleased(self):
        """
        Under C{--max-sessions-per-user 1}, a user whose session died with
        its worker logs in again at once, and C{/sessions} lists only the
        new session.
        """
        self.start("--log-format", "json", "--max-sessions-per-user", "1",
                   metrics=True)
        other = ftplibLogin(self, self.server.port, "anonymous")
        doomed = ftplibLogin(self, self.server.port, "alice")
        killWorkerOf(self, "alice", doomed)
        again = ftplibLogin(self, self.server.port, "alice")
        self.assertEqual(self.download(again), b"served\n")
        self.assertEqual(self.download(other), b"served\n")

        def listed():
            with urllib.request.urlopen(self.server.metricsURL("/sessions"),
                                        timeout=20) as response:
                records = json.load(response)
            users = sorted(record["user"] for record in records)
            return users if users == ["alice", "anonymous"] else None

        self.server.waitFor(listed, "the live sessions in /sessions")


    def test_cutUploadResumable(self):
        """
        An upload replacing a file, cut by its worker's death, becomes a
        partial upload the client resumes at once (C{SIZE}, C{REST} and
        C{STOR}), as a single process's does after its restart: its
        temporary file stayed hidden, and the old size was answered, until
        the server restarted.
        """
        with open(os.path.join(self.root, "t.bin"), "wb") as f:
            f.write(b"old")
        self.start("--log-format", "json")
        doomed = ftplibLogin(self, self.server.port, "alice", binary=True)
        data = doomed.transfercmd("STOR t.bin")
        self.addCleanup(data.close)
        data.sendall(b"n" * 100000)

        def temporarySize():
            names = [name for name in os.listdir(self.root)
                     if name.startswith(".ftpkit-upload.")]
            return names and os.path.getsize(
                os.path.join(self.root, names[0])) == 100000

        self.server.waitFor(temporarySize, "the upload written")
        [victim] = eventWorkers(self.server.log(), "login", "alice")
        os.kill(victim, signal.SIGKILL)
        self.server.waitForLog("kept for a resume")
        again = ftplibLogin(self, self.server.port, "alice", binary=True)
        self.assertEqual(again.sendcmd("SIZE t.bin"), "213 100000")
        again.storbinary("STOR t.bin", io.BytesIO(b"m" * 100), rest=100000)
        with open(os.path.join(self.root, "t.bin"), "rb") as f:
            self.assertTrue(f.read() == b"n" * 100000 + b"m" * 100)
        self.assertEqual([name for name in os.listdir(self.root)
                          if name.startswith(".")], [])
