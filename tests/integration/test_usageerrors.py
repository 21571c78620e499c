"""
Usage errors of a real C{python -m ftpkit}, where the check needs the
process itself (its privileges), or must come before anything listens.
"""

import os
import subprocess
import sys

from twisted.trial import unittest

from tests.fullpipes import fullPipe
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort
from tests.twistdrun import SOURCE, TWISTD, withoutFileCapabilities


class UnreadableTests(unittest.TestCase):
    """
    What the server cannot read stops it at start, with one line.
    """

    timeout = 120

    def test_unreadable(self):
        """
        A root or an C{--auth file:} the server cannot read is a usage
        error: the server started, and served nothing (every command
        C{550}) or let nobody in (every login a failed login, for
        fail2ban to ban). As root, C{python -m ftpkit} runs without the
        capabilities that bypass file permissions.
        """
        directory = scratchDirectory(self)
        secret = os.path.join(directory, "passwd")
        with open(secret, "w") as f:
            f.write("alice:pw\n")
        closed = os.path.join(directory, "closed")
        os.mkdir(closed)
        os.chmod(secret, 0)
        os.chmod(closed, 0)
        self.addCleanup(os.chmod, closed, 0o700)
        prefix = withoutFileCapabilities()
        for argv, expected in [
                (["--root", closed], f"ftpkit: --root: {closed!r}: cannot "
                 "read it (Permission denied) (see --help)\n"),
                (["--root", directory, "--auth", "file:" + secret],
                 f"ftpkit: --auth: cannot read {secret!r} (Permission "
                 "denied) (see --help)\n")]:
            done = subprocess.run(
                [*prefix, sys.executable, "-m", "ftpkit", "--listen",
                 "tcp:0:interface=127.0.0.1", *argv], capture_output=True,
                text=True, timeout=60,
                env=dict(os.environ, PYTHONPATH=SOURCE))
            self.assertEqual((done.returncode, done.stderr, done.stdout),
                             (1, expected, ""))


class PassivePortsTests(unittest.TestCase):
    """
    A C{--passive-ports} range holding a listener's port.
    """

    timeout = 120

    def test_listenPortInRange(self):
        """
        One process and C{--workers 2}: one line, exit status 1, before
        anything listens. The server started, and no passive connection
        could use that port (with it alone in the range, every C{PASV}
        got C{425}).
        """
        port = freePort()
        listen = f"tcp:{port}:interface=127.0.0.1"
        root = scratchDirectory(self)
        for extra in ([], ["--workers", "2"]):
            done = subprocess.run(
                [sys.executable, "-m", "ftpkit", "--listen", listen,
                 "--passive-ports", f"{port}-{port}", "--root",
                 root, "--auth", "anonymous", *extra],
                capture_output=True, text=True, timeout=60,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONPATH=SOURCE))
            self.assertEqual(
                (done.returncode, done.stderr, done.stdout),
                (1, f"ftpkit: --passive-ports: {port}-{port} holds port "
                 f"{port}, where --listen {listen!r} listens: no passive "
                 "connection could use it (leave it out of the range) (see "
                 "--help)\n", ""))

    def test_otherPortsLeft(self):
        """
        A range holding the control port among others starts, and
        C{PASV} gives one of the others (a range drawn at random beside
        a random control port, or C{1024-65535}, was refused).
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--auth", "anonymous"],
                               listen=lambda port: [
                                   "--listen", f"tcp:{port}:interface=127.0.0.1",
                                   "--passive-ports", f"{port}-{port + 50}"])
        server.waitForGreeting()
        client = server.login()
        self.addCleanup(client.close)
        host, port = client.makepasv()
        self.assertNotEqual(port, server.port)
        self.assertTrue(server.port <= port <= server.port + 50, port)


class HelpNotReadTests(unittest.TestCase):
    """
    Help whose reader stopped reading (C{--help | head}, a pager quit
    early) ends the process without a traceback.
    """

    timeout = 120

    def test_closedOutput(self):
        """
        C{python -m ftpkit --help} writing to a pipe nobody reads exits
        with status 1 and writes nothing to standard error: it wrote a
        C{BrokenPipeError} traceback.
        """
        for option in ("--help", "--help-realms"):
            readEnd, writeEnd = os.pipe()
            os.close(readEnd)
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "ftpkit", option],
                    stdout=writeEnd, stderr=subprocess.PIPE,
                    env=dict(os.environ, PYTHONPATH=SOURCE), timeout=60,
                    check=False)
            finally:
                os.close(writeEnd)
            self.assertEqual((done.returncode, done.stderr), (1, b""),
                             option)

    def test_fullOutput(self):
        """
        Help written to a full device exits with status 1 and one line
        saying why: it was an C{OSError} traceback.
        """
        if not os.path.exists("/dev/full"):
            raise unittest.SkipTest("no /dev/full")
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "ftpkit", "--help"], stdout=full,
                stderr=subprocess.PIPE,
                env=dict(os.environ, PYTHONPATH=SOURCE), timeout=60,
                check=False)
        self.assertEqual(
            (done.returncode, done.stderr),
            (1, b"ftpkit: cannot write to standard output: No space left "
                b"on device\n"))


class StandardErrorFullTests(unittest.TestCase):
    """
    A bad option where standard error is a pipe nobody reads, full (a
    supervisor's): the server exits 1, the line lost; it waited on its
    write for good (found by session 55's tester).
    """

    timeout = 120

    def exitsWith(self, argv):
        """
        @param argv: the command.
        @return: its exit status, or a failure where it still runs after
            a minute.
        """
        writeEnd = fullPipe(self)
        try:
            process = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=writeEnd,
                env=dict(os.environ, PYTHONPATH=SOURCE))
        finally:
            os.close(writeEnd)
        try:
            return process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            self.fail(f"{argv[1:]} waited on its standard error")

    def test_badOption(self):
        """
        C{python -m ftpkit} and C{twistd -n ftpkit}, an option ftpkit does
        not know and a bad value, one process and C{--workers 2}.
        """
        for command in ([sys.executable, "-m", "ftpkit"],
                        [sys.executable, "-c", TWISTD, "-n", "--pidfile=",
                         "ftpkit"]):
            for options in (["--bogus-option"],
                            ["--max-connections", "abc"],
                            ["--workers", "2", "--max-connections", "abc"]):
                self.assertEqual(self.exitsWith(
                    [*command, "--listen", "tcp:0:interface=127.0.0.1",
                     *options]), 1, options)
