"""
A smoke test of C{python -m bench.scaleout}: one tiny round through
HAProxy with one node and with two checks that both figures are made and
reported (no number is judged: the benchmark is run on purpose, not here).
"""

import io
import os
import sys

from twisted.trial import unittest

from bench import scaleout
from bench.balancer import haproxyInstalled


class ScaleOutBenchTests(unittest.TestCase):
    """
    L{bench.scaleout} runs end to end.
    """

    timeout = 180

    def test_quick(self):
        """
        In quick mode, one round measures logins and small files through
        each balancer, and the report has a line for each with both
        clusters and their ratio, then the CPU lines.
        """
        if not haproxyInstalled():
            raise unittest.SkipTest("haproxy is not installed")
        workdir = os.path.abspath(self.mktemp())
        os.mkdir(workdir)
        args = scaleout.parseArguments(["--quick", "--files", "8",
                                        "--logins", "8", "--clients", "2"])
        figures = scaleout.run(args, workdir)
        self.assertEqual(list(figures), list(scaleout.FIGURES))
        for values in figures.values():
            self.assertEqual(sorted(values), ["1 node", "2 nodes"])
            self.assertTrue(all(len(samples) == 1 and samples[0] >= 0
                                for samples in values.values()))
        for figure in ("logins/s", "16 KiB files/s"):
            self.assertTrue(all(samples[0] > 0
                                for samples in figures[figure].values()))
        heading, logins, files, *cpu = scaleout.report(figures)
        self.assertIn("2 nodes / 1 node", heading)
        self.assertEqual(logins.split()[0], "logins/s")
        self.assertEqual(files.split()[:3], ["16", "KiB", "files/s"])
        self.assertRegex(files, r"\d+\.\d\dx \(")
        self.assertEqual(len(cpu), 6)

    def test_noHaproxy(self):
        """
        Without HAProxy it says so and measures nothing.
        """
        self.patch(scaleout, "haproxyInstalled", lambda: False)
        self.patch(sys, "stderr", io.StringIO())
        self.assertEqual(scaleout.main(["--quick"]), 0)
        self.assertEqual(sys.stderr.getvalue(),
                         "haproxy is not installed (apt-get install haproxy):"
                         " nothing measured\n")
