"""
Tests for the parts of L{bench} that decide when to measure.
"""

import io
import json
import os
from contextlib import redirect_stdout

from twisted.trial import unittest

from bench import listfloor, run
from bench.procstat import timeWaitSockets
from tests.scratch import scratchDirectory

SOCKSTAT = """sockets: used 10
TCP: inuse 3 orphan 0 tw 53787 alloc 3 mem 162
UDP: inuse 0 mem 0
"""


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
