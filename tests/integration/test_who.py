"""
Tests for L{ftpkit.ops.who}: C{/sessions} on the C{--metrics} endpoint and
C{python -m ftpkit.who}.
"""

import io
import json
import os
import subprocess
import sys
import urllib.request

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.ops import who
from tests.integration.test_metrics import MetricsTestCase
from tests.memorysessions import connect, makeFactory
from tests.scratch import scratchDirectory
from tests.serverprocess import freePort, startServer
from tests.stalledpipes import HangGuard
from tests.twistdrun import SOURCE


class _Transfer:
    description = "RETR /big.bin"
    started = 100.0

    def bytesMoved(self):
        return 5000


class RecordTests(unittest.TestCase):
    """
    L{who.sessionRecord} describes a session.
    """

    def test_loggedIn(self):
        clock = MemoryReactorClock()
        clock.advance(1700000000)
        factory = makeFactory(clock)
        protocol, _ = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        [record] = who.sessionRecords(factory)
        self.assertEqual(record["user"], "alice")
        self.assertEqual(record["peer"], "10.0.0.1")
        self.assertIsNone(record["host"])
        self.assertEqual(record["login_time"], "2023-11-14T22:13:20Z")
        self.assertIsNone(record["transfer"])
        self.assertIs(record["leaving"], False)
        protocol.transfer = _Transfer()
        record = who.sessionRecord(protocol, 102.0)
        self.assertEqual(record["transfer"], {
            "command": "RETR", "path": "/big.bin", "bytes": 5000,
            "seconds": 2.0, "rate": 2500})

    def test_beforeLogin(self):
        """
        A session that sent C{USER} but has not logged in shows no user
        (and is not anonymous): the name is only what the client chose,
        and showed in C{/sessions} as if someone had logged in as it.
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, _ = connect(factory)
        protocol.dataReceived(b"USER root\r\n")
        [record] = who.sessionRecords(factory)
        self.assertIsNone(record["user"])
        self.assertIsNone(record["login_time"])
        protocol.dataReceived(b"PASS wrong\r\nUSER anonymous\r\n")
        [record] = who.sessionRecords(factory)
        self.assertIsNone(record["user"])
        self.assertFalse(record["anonymous"])

    def test_host(self):
        """
        A session that sent HOST shows the name.
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, _ = connect(factory)
        protocol.dataReceived(b"HOST Ftp.Example.COM\r\n")
        [record] = who.sessionRecords(factory)
        self.assertEqual(record["host"], "ftp.example.com")

    def test_table(self):
        text = who.formatTable([
            {"session": 1, "peer": "10.0.0.1", "user": "al\nice",
             "anonymous": False, "login_time": "2026-01-01T00:00:00Z",
             "transfer": {"command": "STOR", "path": "/a", "bytes": 10,
                          "seconds": 1.0, "rate": 10}},
            {"session": 2, "peer": "::1", "user": None, "anonymous": False,
             "login_time": None, "transfer": None}])
        lines = text.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn("al\\nice", lines[1])
        self.assertIn(" - ", lines[1])
        self.assertIn("STOR /a: 10 bytes, 10 B/s", lines[1])
        self.assertIn("(not logged in)", lines[2])
        self.assertEqual(lines[3], "2 session(s)")

    def test_tableLeaving(self):
        """
        A transfer going on after its client left (C{leaving}) ends its
        C{DOING} with C{(client left)}; others, and a record without
        C{leaving} (a worker's of before session 48), do not.
        """
        transfer = {"command": "RETR", "path": "/a", "bytes": 10,
                    "seconds": 1.0, "rate": 10}
        text = who.formatTable([
            {"session": session, "peer": "10.0.0.1", "user": "alice",
             "login_time": "2026-01-01T00:00:00Z", "transfer": transfer,
             **leaving}
            for session, leaving in [(1, {"leaving": True}),
                                     (2, {"leaving": False}), (3, {})]])
        lines = text.splitlines()[1:4]
        self.assertEqual([line.endswith("RETR /a: 10 bytes, 10 B/s (client left)")
                          for line in lines], [True, False, False])
        self.assertEqual([line.rstrip().endswith("10 B/s") for line in lines],
                         [False, True, True])

    def test_tableClient(self):
        """
        The table has the name the client gave with C{CLNT}, a long one
        cut short so that the columns after it stay aligned; the JSON
        has it whole. The table left it out.
        """
        long = "FileZilla 3.66.4 built for x86_64-pc-linux-gnu, no less"
        text = who.formatTable([
            {"session": 1, "peer": "10.0.0.1", "user": "alice",
             "client": "lftp 4.9.2", "login_time": "2026-01-01T00:00:00Z",
             "transfer": None},
            {"session": 2, "peer": "10.0.0.2", "user": "bob",
             "client": long, "login_time": "2026-01-01T00:00:00Z",
             "transfer": None}])
        header, short, cut, _ = text.splitlines()
        self.assertIn("CLIENT", header)
        self.assertIn(" lftp 4.9.2 ", short)
        self.assertIn(" " + long[:who.CLIENT_WIDTH - 3] + "... ", cut)
        self.assertNotIn(long, cut)
        self.assertEqual([line.index("2026") for line in (short, cut)],
                         [header.index("LOGIN")] * 2)

    def test_snapshots(self):
        directory = scratchDirectory(self)
        who.writeSnapshot(directory, [{"session": 1}], pid=10)
        who.writeSnapshot(directory, [{"session": 2}], pid=11)
        self.assertEqual(who.readSnapshots(directory),
                         [{"session": 1}, {"session": 2}])
        who.forgetSnapshot(directory, 10)
        self.assertEqual(who.readSnapshots(directory), [{"session": 2}])

    def test_fifoSnapshot(self):
        """
        A FIFO among the snapshots is skipped: opened to read, it waited
        for a writer for good (the acceptor's C{/sessions}).
        """
        HangGuard(self)
        directory = scratchDirectory(self)
        who.writeSnapshot(directory, [{"session": 1}], pid=10)
        os.mkfifo(who.snapshotPath(directory, 11))
        self.assertEqual(who.readSnapshots(directory), [{"session": 1}])

    def test_fifoAside(self):
        """
        A FIFO where a snapshot is written aside is replaced: opened to
        write, it waited for a reader for good (the worker).
        """
        HangGuard(self)
        directory = scratchDirectory(self)
        os.mkfifo(who.snapshotPath(directory, 10) + ".new")
        who.writeSnapshot(directory, [{"session": 1}], pid=10)
        self.assertEqual(who.readSnapshots(directory), [{"session": 1}])
        self.assertEqual(os.listdir(directory), ["sessions_10.json"])


class SessionsPageTests(MetricsTestCase):
    """
    A real server lists its sessions at C{/sessions}, a running download
    with its bytes, and C{python -m ftpkit.who} prints them.
    """

    timeout = 120

    def fetch(self):
        with urllib.request.urlopen(self.url, timeout=30) as response:
            return json.loads(response.read())

    def check(self, *options):
        server, root = startServer(self, *options, metrics=True)
        self.url = server.metricsURL("/sessions")
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(b"b" * (32 * 1024 * 1024))
        idle = server.login("anonymous", "x")
        self.addCleanup(idle.close)
        busy = server.login("alice", "secret")
        self.addCleanup(busy.close)
        data = busy.transfercmd("RETR big.bin")
        self.addCleanup(data.close)
        data.recv(1024)

        def downloading():
            # Under --workers each worker's snapshot comes in its own time.
            records = self.fetch()
            running = [r for r in records if r["transfer"] is not None]
            users = {r["user"] for r in records}
            if (running and running[0]["transfer"]["bytes"] > 0
                    and {"alice", "anonymous"} <= users):
                return records
            return None

        records = server.waitFor(downloading, "a download in /sessions")
        users = sorted(r["user"] for r in records if r["user"])
        self.assertEqual(users, ["alice", "anonymous"])
        [running] = [r for r in records if r["transfer"] is not None]
        self.assertEqual(running["user"], "alice")
        self.assertEqual(running["transfer"]["command"], "RETR")
        self.assertEqual(running["transfer"]["path"], "/big.bin")
        self.assertIsNotNone(running["login_time"])
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit.who", self.url],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=SOURCE))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("RETR /big.bin", done.stdout)
        self.assertIn("anonymous", done.stdout)

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        self.check("--workers", "2")


class CommandTests(unittest.TestCase):
    """
    C{python -m ftpkit.who} fails with one line when it cannot ask.
    """

    def test_unreachable(self):
        """
        The error names the command as the docs do (it said
        C{ftpkit.ops.who}, the module behind it).
        """
        out, err = io.StringIO(), io.StringIO()
        url = f"http://127.0.0.1:{freePort()}/sessions"
        self.assertEqual(who.main([url], out, err), 1)
        self.assertEqual(out.getvalue(), "")
        self.assertTrue(err.getvalue().startswith(
            f"ftpkit.who: cannot read {url}: "))
        self.assertEqual(err.getvalue().count("\n"), 1)

    def test_usage(self):
        """
        Wrong arguments: one line on standard error saying what is wrong,
        then the usage line, status 1 as the server's usage errors. It was
        the usage line alone, whatever was wrong.
        """
        usage = "(usage: python -m ftpkit.who [--json] [URL])\n"
        for argv, why in [
                (["-x"], "unknown option '-x'"),
                (["--json", "--bogus", "http://a/"],
                 "unknown option '--bogus'"),
                (["http://a/", "http://b/"],
                 "one URL at most, not 2: 'http://a/', 'http://b/'"),
                (["a\x1b[2J", "b"], "one URL at most, not 2: "
                 "'a\\x1b[2J', 'b'")]:
            out, err = io.StringIO(), io.StringIO()
            self.assertEqual(who.main(argv, out, err), 1, argv)
            self.assertEqual((out.getvalue(), err.getvalue()),
                             ("", f"ftpkit.who: {why} {usage}"))

    def test_usageProcess(self):
        """
        C{python -m ftpkit.who --bogus}: that line, status 1.
        """
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit.who", "--bogus"],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=SOURCE))
        self.assertEqual((done.returncode, done.stdout, done.stderr),
                         (1, b"", b"ftpkit.who: unknown option '--bogus' "
                          b"(usage: python -m ftpkit.who [--json] [URL])\n"))

    def test_help(self):
        """
        C{--help} prints the usage line on standard output and succeeds (it
        was an error: status 1, on standard error), among other arguments
        too, as C{python -m ftpkit.passwd} and C{ftpkit.pgadmin} take it
        (with another it was C{unknown option '--help'}, status 1).
        """
        for argv in [["--help"], ["-h"], ["--json", "--help"],
                     ["http://a/", "-h"], ["--bogus", "--help"]]:
            out, err = io.StringIO(), io.StringIO()
            self.assertEqual(who.main(argv, out, err), 0, argv)
            self.assertEqual(out.getvalue(),
                             "usage: python -m ftpkit.who [--json] [URL]\n")
            self.assertEqual(err.getvalue(), "")
