"""
Tests for the parts of L{bench} that decide when to measure.
"""

import io
import json
import os
import sys
from contextlib import redirect_stdout

from twisted.trial import unittest

from bench import firstbanner, listfloor, run, scenarios
from bench.procstat import timeWaitSockets
from bench.servers import SERVERS
from tests.scratch import scratchDirectory

SOCKSTAT = """sockets: used 10
TCP: inuse 3 orphan 0 tw 53787 alloc 3 mem 162
UDP: inuse 0 mem 0
"""


class HeapRoomServer:
    """
    A server whose sessions cost 1 KiB each once they have filled the
    room its start-up left in the heap, for L{scenarios.idleSessions}.

    @ivar held: how many sessions it holds.
    @ivar room: the sessions that fit in the heap room, in KiB.
    """

    def __init__(self, room):
        self.held = 0
        self.room = room
        self.tree = self

    def memory(self):
        """
        @return: KiB: a base, plus 1 a session past the room.
        """
        return 10000 + max(0, self.held - self.room)

    def hold(self, instance, count, measure):
        """
        Stand in for L{scenarios._holdSessions}: hold C{count} sessions
        while C{measure} runs.

        @param instance: the server (unused).
        @param count: how many sessions.
        @param measure: called while they are held.
        @return: one second, and what C{measure} returned.
        """
        self.held += count
        try:
            return 1.0, measure()
        finally:
            self.held -= count


class IdleSessionsTests(unittest.TestCase):
    """
    L{scenarios.idleSessions} measures what an idle session costs.
    """

    def test_heapRoom(self):
        """
        Room that start-up left in the heap does not make sessions read
        as free: the growth past a held first batch is what counts.
        """
        server = HeapRoomServer(room=800)
        self.patch(scenarios, "_holdSessions", server.hold)
        self.patch(scenarios.time, "sleep", lambda seconds: None)

        class Work:
            sessions = 1000

        figures = scenarios.idleSessions(server, Work)
        self.assertEqual(figures["KiB/session"], 1.0)
        self.assertEqual(server.held, 0)


class TimeWaitSocketsTests(unittest.TestCase):
    """
    L{timeWaitSockets} reads the C{TIME_WAIT} count the benchmark waits on.
    """

    def write(self, text):
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_count(self):
        """
        The figure after C{tw} on the C{TCP:} line.
        """
        self.assertEqual(timeWaitSockets(self.write(SOCKSTAT)), 53787)

    def test_unknown(self):
        """
        A missing file or one without the figure counts as none waiting.
        """
        self.assertEqual(timeWaitSockets(self.mktemp()), 0)
        self.assertEqual(timeWaitSockets(self.write("TCP: inuse 3\n")), 0)


class ListFloorTests(unittest.TestCase):
    """
    C{python -m bench.listfloor} measures each way of reading a directory.
    """

    def test_smallRun(self):
        """
        A run over a few entries prints a line for each way.
        """
        tmp = scratchDirectory(self)
        out = io.StringIO()
        with redirect_stdout(out):
            listfloor.main(["--entries", "3", "--repeat", "1", "--tmp", tmp])
        lines = out.getvalue().splitlines()
        self.assertEqual([line.split("  ")[1].strip() for line in lines[1:]],
                         [name for name, _ in listfloor.MEASURED])
        self.assertEqual(os.listdir(tmp), [])


class BaselineArgumentsTests(unittest.TestCase):
    """
    C{python -m bench --baseline DIR}, repeatable, adds one ftpkit per
    checkout to the servers measured.
    """

    def checkout(self):
        path = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(path, "ftpkit"))
        return path

    def test_several(self):
        """
        The first is C{ftpkit-base}, the next C{ftpkit-base2}, each run
        from its own checkout, after C{ftpkit} and before the others.
        """
        first, second = self.checkout(), self.checkout()
        args = run.parseArguments([
            "--servers", "ftpkit,pure-ftpd",
            "--baseline", first, "--baseline", second])
        self.assertEqual(args.servers, ["ftpkit", "ftpkit-base",
                                        "ftpkit-base2", "pure-ftpd"])
        self.assertEqual(
            {name: kind.directory for name, kind in args.baselines.items()},
            {"ftpkit-base": first, "ftpkit-base2": second})
        self.assertEqual(args.baselines["ftpkit-base2"].name, "ftpkit-base2")

    def test_twoWorkers(self):
        """
        With C{ftpkit-w2} among the servers, each baseline also runs with
        C{--workers 2}, after C{ftpkit-w2}: the change measured under
        C{--workers} has its before in the same run.
        """
        first = self.checkout()
        args = run.parseArguments([
            "--servers", "ftpkit,ftpkit-w2,pure-ftpd", "--baseline", first])
        self.assertEqual(args.servers, ["ftpkit", "ftpkit-base", "ftpkit-w2",
                                        "ftpkit-base-w2", "pure-ftpd"])
        kind = args.baselines["ftpkit-base-w2"]
        self.assertEqual((kind.name, kind.directory),
                         ("ftpkit-base-w2", first))
        server = kind("/srv", "/work", "/pem", ["--x"])
        command = server.command(2121, False)
        self.assertEqual(command[-2:], ["--workers", "2"])
        self.assertIn("--x", command)

    def test_none(self):
        """
        Without C{--baseline}, no baseline runs.
        """
        args = run.parseArguments(["--servers", "ftpkit"])
        self.assertEqual((args.servers, args.baselines), (["ftpkit"], {}))

    def test_json(self):
        """
        The options as recorded in the C{--json} file are plain values,
        the baselines as their directories.
        """
        first = self.checkout()
        args = run.parseArguments(["--baseline", first])
        record = json.loads(json.dumps(run.optionsRecord(args)))
        self.assertEqual(record["baseline"], [first])


class ServerListTests(unittest.TestCase):
    """
    The servers C{python -m bench --servers} takes.
    """

    def test_pyftpdlibInfo(self):
        """
        C{pyftpdlib-info} is pyftpdlib with L{bench.pyftpd}'s C{--info}
        (its own default logging); C{pyftpdlib} stays quiet.
        """
        args = run.parseArguments(
            ["--servers", "ftpkit,pyftpdlib,pyftpdlib-info"])
        self.assertEqual(args.servers,
                         ["ftpkit", "pyftpdlib", "pyftpdlib-info"])
        commands = [SERVERS[name]("/srv", "/work", "/pem", ["--x"]).command(
            2121, True) for name in ("pyftpdlib", "pyftpdlib-info")]
        start = [sys.executable, "-m", "bench.pyftpd"]
        end = ["2121", "/srv", "/pem", "--x"]
        self.assertEqual(commands, [start + end, start + ["--info"] + end])

    def test_help(self):
        """
        C{--help} names every server.
        """
        out = io.StringIO()
        with redirect_stdout(out), self.assertRaises(SystemExit):
            run.parseArguments(["--help"])
        text = " ".join(out.getvalue().split()).replace("- ", "-")
        for name in SERVERS:
            self.assertIn(name, text)


_LATE_GREETER = (
    "import socket, sys, time\n"
    "time.sleep(0.2)\n"
    "listener = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n"
    "connection, _ = listener.accept()\n"
    "connection.sendall(b'220 late\\r\\n')\n"
    "time.sleep(30)\n"
)
"""A server that listens only after a moment, greets one client, and
waits to be stopped."""


class LateGreeter:
    """
    A L{bench.servers.Server} running L{_LATE_GREETER}.
    """

    name = "late"
    directory = os.getcwd()

    def command(self, port, tls):
        return [sys.executable, "-c", _LATE_GREETER, str(port)]


class FirstBannerTests(unittest.TestCase):
    """
    C{python -m bench.firstbanner} times a server's start to its first 220.
    """

    def test_waitsForListener(self):
        """
        Connections refused while the server starts are retried until the
        greeting, whose time counts the start.
        """
        self.assertGreaterEqual(firstbanner.firstBanner(LateGreeter()), 0.2)

    def test_exited(self):
        """
        A server that exits before greeting is an error naming it.
        """
        server = LateGreeter()
        server.command = lambda port, tls: [sys.executable, "-c", "pass"]
        self.assertRaises(RuntimeError, firstbanner.firstBanner, server)

    def test_summary(self):
        """
        A line holds the median, the range, and the ratio to pyftpdlib's
        median.
        """
        self.assertEqual(firstbanner.summary("ftpkit", [0.3, 0.1, 0.2], 0.1),
                         "ftpkit               0.200 (0.100-0.300)  2.00x")


class ReportTableTests(unittest.TestCase):
    """
    L{bench.report.table}'s layout.
    """

    def test_tableColumns(self):
        """
        A server name wider than the table's first column (C{pyftpdlib-
        info}) widens every column: its rows were shifted out of line.
        """
        from types import SimpleNamespace

        from bench import report
        names = ["ftpkit", "pyftpdlib-info"]
        scenario = SimpleNamespace(name="idle", title="logins")
        runner = SimpleNamespace(
            servers=[SimpleNamespace(name=n) for n in names],
            args=SimpleNamespace(big_mib=1, files=1, entries=1, clients=1,
                                 sessions=1, slow_seconds=1),
            scenarios=lambda: [scenario],
            results={"idle": {n: {"samples": [{"logins/s": 100.0 + i}]}
                              for i, n in enumerate(names)}})
        medians = {"idle": {n: {"logins/s": 100.0 + i}
                            for i, n in enumerate(names)}}
        lines = report.table(runner, medians).splitlines()
        rows = [line for line in lines if line.startswith("  ")]
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[1].index("100"), rows[2].index("101"))
        self.assertEqual(rows[0].index("median") + len("median"),
                         rows[1].index("100") + len("100"))
