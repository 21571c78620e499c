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
from bench.servers import SERVERS, ServerFailed
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


class SplitTests(unittest.TestCase):
    """
    C{--split} prints the main process's share of each figure.
    """

    timeout = 120

    def test_acceptor(self):
        """
        Under C{--workers 2} the main process is the acceptor, whose
        share is part of the whole tree's figure.
        """
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cpuperop.main(["--repeat", "1", "--ops", "20", "--only",
                           "retr", "--split", "--ftpkit-arg=--workers=2"])
        [line] = out.getvalue().splitlines()[1:]
        words = line.split()
        self.assertEqual(words[:2] + words[4:6],
                         ["retr", "ftpkit", "main", "process"])
        self.assertLessEqual(int(words[6]), int(words[2]))


class PeerTests(unittest.TestCase):
    """
    C{--peer} adds a C server, started as C{python -m bench} starts it.
    """

    timeout = 120

    def cpuperop(self, *argv):
        """
        Run C{python -m bench.cpuperop} with C{argv}, in a directory of its
        own below C{$TMPDIR} (which it removes): the C servers' sessions,
        running as the C{ftp} user, could not reach one inside trial's
        private directory.

        @return: its table's lines, the header left out.
        """
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cpuperop.main(["--repeat", "1", *argv])
        return out.getvalue().splitlines()[1:]

    def requirePeer(self, name):
        """
        Skip unless the server C{name} can be started here.

        @param name: a key of L{SERVERS}.
        """
        if not SERVERS[name].installed():
            raise unittest.SkipTest(f"{name} is not installed")

    def test_forkingServerCounted(self):
        """
        ProFTPD's CPU time is its session process's too, a process that
        has ended by the time the run is over. Once reaped, its time is
        known only to the clock tick, each of user and system time cut
        short by up to one, where the reading before the downloads had
        the live process's to the nanosecond: 200 downloads (some 40 ms)
        once came out below zero under a loaded full suite; 1,000 (some
        200 ms) leave the cut far below the total.
        """
        self.requirePeer("proftpd")
        lines = self.cpuperop("--ops", "1000", "--only", "retr", "--peer",
                              "proftpd")
        self.assertEqual([line.split()[:2] for line in lines],
                         [["retr", "ftpkit"], ["retr", "proftpd"]])
        self.assertGreater(int(lines[1].split()[2]), 0)

    def test_unsupportedLeftOut(self):
        """
        vsftpd has no C{MLSD}: its line is left out.
        """
        self.requirePeer("vsftpd")
        lines = self.cpuperop("--ops", "3", "--entries", "20", "--only",
                              "list,mlsd", "--peer", "vsftpd")
        self.assertEqual([line.split()[:2] for line in lines],
                         [["list", "ftpkit"], ["list", "vsftpd"],
                          ["mlsd", "ftpkit"]])

    def test_unknownPeer(self):
        """
        A server C{--peer} does not know is a usage error.
        """
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertRaises(SystemExit, cpuperop.main, ["--peer", "nope"])
