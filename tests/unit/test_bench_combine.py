"""
Tests for L{bench.combine}, the median of several benchmark runs.
"""

import io
import json
import statistics
from contextlib import redirect_stderr, redirect_stdout

from twisted.trial import unittest

from bench import combine


def entry(*samples, metric="files/s"):
    """
    @param samples: one figure per round.
    @param metric: the figure's name.
    @return: a server's results for one scenario, as C{--json} writes them.
    """
    return {"samples": [{metric: s} for s in samples],
            "rounds": list(range(len(samples))), "errors": [],
            "median": {metric: statistics.median(samples)}}


def run(**servers):
    """
    @param servers: server name to its L{entry} in the C{small} scenario.
    @return: a run's C{--json} record.
    """
    names = [n.replace("_", "-") for n in servers]
    return {"servers": names,
            "scenarios": {"small": {n.replace("_", "-"): e
                                    for n, e in servers.items()}}}


class CombineTests(unittest.TestCase):
    """
    L{combine.combine} puts each figure of several runs on one line.
    """

    def test_medianOfRuns(self):
        """
        ftpkit's figure is the median of the runs' medians with their
        range; each ratio is the median over the runs with its range, the
        best peer may change from run to run, and the worst run and the
        worst round are given apart.
        """
        runs = [run(ftpkit=entry(100, 110, 90), pyftpdlib=entry(50, 50, 50),
                    pure_ftpd=entry(200, 200, 200)),
                run(ftpkit=entry(120, 120, 120), pyftpdlib=entry(60, 60, 60),
                    pure_ftpd=entry(100, 100, 100)),
                run(ftpkit=entry(80, 80, 80), pyftpdlib=entry(100, 50, 50),
                    pure_ftpd=entry(40, 40, 40))]
        header, row = combine.combine(runs)
        self.assertEqual(header[1], "ftpkit, median of 3")
        self.assertEqual(row, [
            "small files/s", "100 (80.0-120)", "2.00x (1.60-2.00)",
            "pure-ftpd/pyftpdlib 1.20x (0.50-1.60)", "0.50x", "0.45x"])

    def test_lowerIsBetter(self):
        """
        For a figure where lower is better, a ratio above 1 still means
        ftpkit is better.
        """
        metric = "server CPU ms/file"
        runs = [run(ftpkit=entry(1.0, metric=metric),
                    pyftpdlib=entry(2.0, metric=metric))]
        row = combine.combine(runs)[1]
        self.assertEqual(row[2], "2.00x (2.00-2.00)")
        self.assertEqual(row[3], "pyftpdlib 2.00x (2.00-2.00)")

    def test_otherServer(self):
        """
        C{--server ftpkit-w2} compares the runs' C{--workers 2} server with
        the peers in ftpkit's place (never with ftpkit itself).
        """
        runs = [run(ftpkit=entry(100), ftpkit_w2=entry(150),
                    pyftpdlib=entry(50), pure_ftpd=entry(200))]
        header, row = combine.combine(runs, "ftpkit-w2")
        self.assertEqual(header[1], "ftpkit-w2, median of 1")
        self.assertEqual(row[1:4], ["150 (150-150)", "3.00x (3.00-3.00)",
                                    "pure-ftpd 0.75x (0.75-0.75)"])
        out = io.StringIO()
        with open(self.mktemp(), "w") as f:
            json.dump(runs[0], f)
        with redirect_stdout(out):
            self.assertEqual(combine.main(["--server", "ftpkit-w2", f.name]), 0)
        self.assertIn("ftpkit-w2, median of 1", out.getvalue())

    def test_baseline(self):
        """
        Runs with an C{ftpkit-base} get a column of ftpkit's ratio to it.
        """
        runs = [run(ftpkit=entry(100), ftpkit_base=entry(50),
                    pyftpdlib=entry(100))]
        header, row = combine.combine(runs)
        self.assertEqual(header[-1], "/ftpkit-base")
        self.assertEqual(row[-1], "2.00x (2.00-2.00)")

    def test_zeroLeftOut(self):
        """
        A figure that is zero for ftpkit in every run has no ratio and no
        line (a slow reader's memory growth of 0.00 MiB).
        """
        metric = "peak MiB growth"
        runs = [run(ftpkit=entry(0.0, metric=metric),
                    pyftpdlib=entry(0.0, metric=metric))]
        self.assertEqual(combine.combine(runs)[1:], [])

    def test_main(self):
        """
        C{python -m bench.combine} prints a reStructuredText table of the
        runs named.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            json.dump(run(ftpkit=entry(100), pyftpdlib=entry(50)), f)
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(combine.main([path, path]), 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], lines[2])
        self.assertEqual(lines[0], lines[-1])
        self.assertIn("ftpkit, median of 2", lines[1])
        self.assertTrue(lines[3].startswith("small files/s"))

    def test_unreadableRun(self):
        """
        A run file that is missing or not JSON is a usage error naming it
        (status 2), not a traceback.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("not json")
        for bad in (path, self.mktemp()):
            err = io.StringIO()
            with redirect_stderr(err), self.assertRaises(SystemExit) as e:
                combine.main([bad])
            self.assertEqual(e.exception.code, 2)
            self.assertIn(bad, err.getvalue())


class BeforeAfterTests(unittest.TestCase):
    """
    L{combine.beforeAfter} sets ftpkit and its baseline side by side
    against the same peers, run by run.
    """

    def test_sideBySide(self):
        """
        Each tree's ratio to each peer is the median over the runs with
        its range; ftpkit over the baseline is given for each run, in
        order; a peer missing from a run is left out of that run's
        figures, and from a line it never has, a C{-}; so is a run
        without the baseline's figure, in its place among the runs.
        """
        runs = [run(ftpkit=entry(100), ftpkit_base=entry(50),
                    pyftpdlib=entry(50), vsftpd=entry(25)),
                run(ftpkit=entry(90), ftpkit_base=entry(100),
                    pyftpdlib=entry(100))]
        header, row = combine.beforeAfter(runs)
        self.assertEqual(header, [
            "line", "ftpkit / pyftpdlib", "ftpkit-base / pyftpdlib",
            "ftpkit / vsftpd", "ftpkit-base / vsftpd",
            "ftpkit / ftpkit-base, each run"])
        self.assertEqual(row, [
            "small files/s", "1.45x (0.90-2.00)", "1.00x (1.00-1.00)",
            "4.00x (4.00-4.00)", "2.00x (2.00-2.00)", "2.00, 0.90"])
        _, row = combine.beforeAfter([run(ftpkit=entry(1), ftpkit_base=entry(1)),
                                      run(ftpkit=entry(1))],
                                     peers=("vsftpd",))
        self.assertEqual(row, ["small files/s", "-", "-", "1.00, -"])

    def test_ratesOnly(self):
        """
        Only rates are compared (a figure where lower is better, such as
        CPU a file, has no line).
        """
        metric = "server CPU ms/file"
        runs = [run(ftpkit=entry(1.0, metric=metric),
                    ftpkit_base=entry(2.0, metric=metric),
                    pyftpdlib=entry(2.0, metric=metric))]
        self.assertEqual(combine.beforeAfter(runs)[1:], [])

    def test_mainOption(self):
        """
        C{python -m bench.combine --before-after} prints that table.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            json.dump(run(ftpkit=entry(100), ftpkit_base=entry(50),
                          pyftpdlib=entry(50)), f)
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(combine.main(["--before-after", path]), 0)
        lines = out.getvalue().splitlines()
        self.assertIn("ftpkit-base / pyftpdlib", lines[1])
        self.assertTrue(lines[3].endswith("2.00"))
