"""
A smoke test of C{python -m bench.cpuperop}: a few operations of each
scenario against ftpkit, and the table it prints (no number is judged: the
benchmark is run on purpose, not here).
"""

import contextlib
import io
import os

from twisted.trial import unittest

from bench import cpuperop
from bench.servers import ServerFailed
from tests.scratch import scratchDirectory


class CPUPerOperationTests(unittest.TestCase):
    """
    L{cpuperop.main} runs end to end.
    """

    timeout = 120

    def test_quick(self):
        """
        Three operations of each scenario give a line each, with a median
        and a min-max of microseconds.
        """
        out, workdir = io.StringIO(), self.mktemp()
        os.makedirs(workdir)
        with contextlib.redirect_stdout(out):
            cpuperop.main(["--ops", "3", "--repeat", "1", "--entries", "20",
                           "--tmp", workdir])
        lines = out.getvalue().splitlines()
        self.assertIn("server CPU microseconds per operation", lines[0])
        self.assertEqual([line.split()[:2] for line in lines[1:]],
                         [[scenario, "ftpkit"]
                          for scenario in cpuperop.SCENARIOS])
        for line in lines[1:]:
            self.assertRegex(line, r"\d+  \(\d+-\d+\)$")

    def test_ftpkitArgument(self):
        """
        C{--ftpkit-arg} reaches the server: one it does not take stops it
        from starting.
        """
        workdir = scratchDirectory(self)
        with contextlib.redirect_stdout(io.StringIO()):
            error = self.assertRaises(
                ServerFailed, cpuperop.main,
                ["--ops", "3", "--repeat", "1", "--tmp", workdir, "--only",
                 "login", "--ftpkit-arg=--no-such-option"])
        self.assertIn("no-such-option", str(error))

    def test_unknownScenario(self):
        """
        A scenario it does not know is a usage error.
        """
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertRaises(SystemExit, cpuperop.main, ["--only", "nope"])
