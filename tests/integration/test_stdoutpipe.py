"""
The server's log on standard output, a pipe whose reader stops reading
(a supervisor, C{| less}, a stopped log shipper): the server goes on
serving, and stops on C{SIGTERM}; once the reader reads again it gets
the lines that waited, and how many were dropped
(L{ftpkit.ops.unblockedlog}). Written blocking, the log froze the server
once the pipe was full: no login answered, C{SIGTERM} ignored.
"""

import fcntl
import os
import re
import signal
import time

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, TIMEOUT, ServerProcess
from tests.stalledpipes import drain

PIPE_ROOM = 4096
"""The room the tests give the pipe (a page, the least Linux keeps)."""

NAME = "n" * 250
"""A directory name of 250 characters: its log lines are long."""

PAIRS = 1200
"""C{MKD} and C{RMD} pairs a flood sends: some 1.4 MB of log lines, more
than the pipe and the server's 1 MiB hold."""

CLIENTS = 8
"""Clients that log in and send C{NOOP} while the reader reads nothing."""

HELD = 600
"""C{MKD} and C{RMD} pairs sent before C{SIGTERM}: some 0.7 MB of log
lines, which the server holds (none dropped)."""

LAST = "Main loop terminated."
"""A line the reactor writes once it stopped, in every process."""

LOST = re.compile(r"the log's reader is behind as the process stops: "
                  r"(\d+) line\(s\) lost\n")
"""The line counting the lines a stopping server's reader did not get."""


class StalledStdoutTests(unittest.TestCase):
    """
    A server whose standard output the test stops reading.
    """

    timeout = 6 * TIMEOUT

    def start(self, twistd=False, workers=None, twist=False):
        """
        Start a server whose standard output is a pipe of L{PIPE_ROOM}
        the test reads until the server serves.

        @param twistd: run it as C{twistd -n ftpkit}, not C{python -m
            ftpkit}.
        @param workers: the C{--workers} count, or C{None}.
        @param twist: run it as C{python -m twisted ftpkit} (C{twist}).
        @return: C{(server, readEnd)}.
        """
        readEnd, writeEnd = os.pipe()
        self.addCleanup(os.close, readEnd)
        fcntl.fcntl(readEnd, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
        os.set_blocking(readEnd, False)
        root = scratchDirectory(self)
        os.mkdir(os.path.join(root, NAME))
        options = ["--root", root, "--auth", "memory:alice:secret"]
        if workers:
            options += ["--workers", str(workers)]
        try:
            twistOptions = {}
            if twist:
                twistOptions = dict(python=["-m", "twisted"],
                                    twistdOptions=["--log-format", "text"])
            server = ServerProcess(self, options, twistd=twistd or twist,
                                   cwd=root, stdout=writeEnd, **twistOptions)
        finally:
            os.close(writeEnd)
        output = b""
        deadline = time.monotonic() + TIMEOUT
        while True:
            output += drain(readEnd)
            if workers:
                serving = output.decode("utf-8", "replace").count(
                    READY) >= workers
            else:
                serving = (server.listensHere()
                           and server.greeting().startswith(b"220"))
            if serving:
                return server, readEnd
            if server.process.poll() is not None:
                self.fail(f"the server exited: {output!r} {server.log()}")
            if time.monotonic() > deadline:
                self.fail(f"the server did not serve: {output!r}")
            time.sleep(0.05)

    def flood(self, server, pairs=PAIRS):
        """
        Have the server log more than the pipe and its bound hold: a
        client makes and removes a directory of a long name in another
        of a long name, C{pairs} times.

        @param server: the L{ServerProcess}.
        @param pairs: how many times [default: L{PAIRS}].
        """
        ftp = ftplibLogin(self, server.port)
        ftp.cwd(NAME)
        for _ in range(pairs):
            ftp.mkd(NAME)
            ftp.rmd(NAME)
        ftp.quit()

    def readAgain(self, server, readEnd):
        """
        Read the pipe until the server says how many lines it dropped.

        @return: what was read.
        """
        output = b""
        deadline = time.monotonic() + TIMEOUT
        while b"caught up: " not in output:
            if time.monotonic() > deadline:
                self.fail(f"no count of lines dropped: {output[-2000:]!r}")
            output += drain(readEnd)
            time.sleep(0.05)
        return output + drain(readEnd)

    def check(self, twistd=False, workers=None, twist=False):
        """
        Stop reading the server's standard output, and flood its log: the
        server still answers logins and C{NOOP}. Read again: the lines
        come, then the line where dropping started, and the count of the
        lines dropped. Stop reading again and flood again: C{SIGTERM}
        stops the server.
        """
        server, readEnd = self.start(twistd, workers, twist)
        self.flood(server)
        for _ in range(CLIENTS):
            ftp = ftplibLogin(self, server.port)
            self.assertEqual(ftp.voidcmd("NOOP")[:3], "200")
            ftp.quit()
        output = self.readAgain(server, readEnd).decode("utf-8", "replace")
        stalled = output.index("the log's reader is behind (")
        # The lines of one read of a worker's pipe are one write (at most
        # 64 KiB), kept or dropped whole.
        self.assertGreater(stalled, (1 << 20) - (64 << 10))
        self.assertIn("MKD from 127.0.0.1 user 'alice' path '/" + NAME,
                      output[:stalled])
        self.assertEqual(output.count("the log's reader is behind"), 1)
        # Under python -m twisted the line is plain text, twist's
        # observers being made after the file (their format unknown to it).
        [dropped] = re.findall(
            r"(?:\] |^)the log's reader caught up: (\d+) line\(s\) "
            r"dropped meanwhile\n", output, re.MULTILINE)
        self.assertGreater(int(dropped), 0)
        self.flood(server)
        server.signal(signal.SIGTERM)
        server.process.wait(TIMEOUT)

    def stopBehind(self, twistd=False, workers=None, twist=False):
        """
        Stop reading the server's standard output, have it log less than
        it holds, and stop it (C{SIGTERM}) while the reader is far behind;
        read slowly until it exits: every C{MKD} line reached the reader,
        and the server's last line, or a line says how many did not
        (before session 55 they were lost, uncounted: the count was left
        to C{atexit}, which a process ended by the signal C{twistd}
        raises again never runs).
        """
        server, readEnd = self.start(twistd, workers, twist)
        self.flood(server, HELD)
        server.signal(signal.SIGTERM)
        output = readSlowly(readEnd).decode("utf-8", "replace")
        server.process.wait(TIMEOUT)
        made = output.count(f"MKD from 127.0.0.1 user 'alice' path "
                            f"'/{NAME}/{NAME}'")
        lost = sum(int(count) for count in LOST.findall(output))
        if lost:
            self.assertGreaterEqual(made + lost, HELD, output[-2000:])
        else:
            self.assertEqual(made, HELD, output[-2000:])
            self.assertIn(LAST, output[-2000:])

    def test_stopBehind(self):
        self.stopBehind()

    def test_stopBehindTwistd(self):
        self.stopBehind(twistd=True)

    def test_stopBehindWorkers(self):
        self.stopBehind(workers=2)

    def test_stopBehindTwist(self):
        self.stopBehind(twist=True)

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        self.check(workers=2)

    def test_twistd(self):
        self.check(twistd=True)

    def test_twistdWorkers(self):
        self.check(twistd=True, workers=2)

    def test_twist(self):
        """
        C{python -m twisted ftpkit}: C{twist}'s own observers write to
        standard output (tester54b H1: the server froze).
        """
        self.check(twist=True)

    def test_twistWorkers(self):
        """
        C{python -m twisted ftpkit --workers 2}.
        """
        self.check(twist=True, workers=2)


def readSlowly(readEnd):
    """
    Read a pipe a page at a time, a moment between reads, until its
    writers are gone.

    @param readEnd: its read end, not blocking.
    @return: what was read.
    """
    chunks = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = os.read(readEnd, PIPE_ROOM)
        except BlockingIOError:
            chunk = None
        if chunk == b"":
            break
        if chunk:
            chunks.append(chunk)
        time.sleep(0.01)
    return b"".join(chunks)
