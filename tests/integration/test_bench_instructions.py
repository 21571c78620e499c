"""
A smoke test of C{python -m bench.instructions}: a few counted operations
against ftpkit under callgrind, this checkout against itself as a
baseline and against pyftpdlib, and the table it prints (no count is
judged beyond being one: the counts are taken on purpose, not here).
"""

import contextlib
import io
import os
import re
import shutil

from twisted.trial import unittest

from bench import instructions
from bench.servers import REPO
from tests.scratch import scratchDirectory


class InstructionsTests(unittest.TestCase):
    """
    L{instructions.main} runs end to end.
    """

    timeout = 300

    def setUp(self):
        if shutil.which("valgrind") is None:
            raise unittest.SkipTest("valgrind is not installed")

    def test_quick(self):
        """
        Three counted downloads, against this checkout and against it again
        as C{--baseline}, give the scenario's line: each checkout's median
        and min-max of instructions per download (a 16 KiB C{RETR} is
        hundreds of thousands: one counted while the instrumentation was
        off would be none), and the ratio of the two; the callgrind file
        of each count is kept in C{--keep}.
        """
        workdir = scratchDirectory(self)
        keep = os.path.join(workdir, "kept")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            instructions.main(["--ops", "3", "--warmup", "1", "--repeat", "1",
                               "--only", "retr", "--baseline", REPO,
                               "--tmp", workdir, "--keep", keep])
        lines = out.getvalue().splitlines()
        self.assertIn("instructions per operation", lines[0])
        self.assertEqual(len(lines), 2)
        match = re.fullmatch(
            r"  retr +ftpkit ([\d,]+) \([\d,]+-[\d,]+\)"
            r"  ftpkit-base ([\d,]+) \([\d,]+-[\d,]+\) (\d+\.\d\d)x",
            lines[1])
        self.assertIsNotNone(match, lines[1])
        for count in match.group(1, 2):
            self.assertGreater(int(count.replace(",", "")), 100000)
        self.assertEqual(sorted(os.listdir(keep)),
                         ["ftpkit-base-retr-0.out", "ftpkit-retr-0.out"])

    def test_peerAndTLS(self):
        """
        C{--peer pyftpdlib} counts pyftpdlib's process in the same rounds,
        on C{stor50} (C{small-stor}'s uploads, 50 clients), on
        C{login-tls}, whose server offers C{AUTH TLS}: an FTPS login
        (a full handshake) is millions of instructions, which a count of
        plain logins never reaches, and on C{noop-tls}, a command on an
        FTPS session (tens of thousands: the session's handshake is not
        counted).
        """
        workdir = scratchDirectory(self)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            instructions.main(["--ops", "2", "--warmup", "1", "--repeat", "1",
                               "--only", "stor50,login-tls,noop-tls",
                               "--peer", "pyftpdlib", "--tmp", workdir])
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 4)
        counts = {}
        for line in lines[1:]:
            match = re.fullmatch(
                r"  (\S+) +ftpkit ([\d,]+) \([\d,]+-[\d,]+\)"
                r"  pyftpdlib ([\d,]+) \([\d,]+-[\d,]+\) \d+\.\d\dx",
                line)
            self.assertIsNotNone(match, line)
            counts[match.group(1)] = [int(c.replace(",", ""))
                                      for c in match.group(2, 3)]
        self.assertEqual(sorted(counts), ["login-tls", "noop-tls", "stor50"])
        for count in counts["stor50"]:
            self.assertGreater(count, 100000)
        for count in counts["login-tls"]:
            self.assertGreater(count, 1000000)
        for count in counts["noop-tls"]:
            self.assertGreater(count, 10000)
            self.assertLess(count, 1000000)

    def test_workers(self):
        """
        C{--ftpkit-arg=--workers=2} starts ftpkit with two workers, which
        run under callgrind too: the count is the whole tree's, the
        acceptor's and its workers' (a download is served by a worker,
        so the acceptor's count alone would be a fraction of one); with
        C{--keep}, each worker's callgrind file is kept next to the
        acceptor's, named with its pid.
        """
        workdir = scratchDirectory(self)
        keep = os.path.join(workdir, "kept")
        counted = []
        measure = instructions.measure

        def measuring(*args, **kwargs):
            counted.append(args[9])
            return measure(*args, **kwargs)
        self.patch(instructions, "measure", measuring)
        spawned = []
        call = instructions.Callgrind.__call__

        def reading(counter):
            total = call(counter)
            spawned.append(list(counter.pids))
            return total
        self.patch(instructions.Callgrind, "__call__", reading)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            instructions.main(["--ops", "3", "--warmup", "1", "--repeat", "1",
                               "--only", "retr", "--tmp", workdir,
                               "--keep", keep, "--ftpkit-arg=--workers=2"])
        line = out.getvalue().splitlines()[1]
        match = re.fullmatch(r"  retr +ftpkit ([\d,]+) \([\d,]+-[\d,]+\)",
                             line)
        self.assertIsNotNone(match, line)
        self.assertGreater(int(match.group(1).replace(",", "")), 100000)
        self.assertEqual(counted, [["--workers=2"]])
        self.assertEqual([len(pids) for pids in spawned], [3, 3])
        self.assertEqual(
            sorted(os.listdir(keep)),
            sorted(["ftpkit-retr-0.out"] + [f"ftpkit-retr-0.out.{pid}"
                                            for pid in spawned[-1][1:]]))

    def test_unknownScenario(self):
        """
        A scenario it does not know is a usage error.
        """
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertRaises(SystemExit, instructions.main,
                              ["--only", "nope"])
