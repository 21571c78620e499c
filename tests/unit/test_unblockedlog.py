"""
L{ftpkit.ops.unblockedlog}: the server's log on a pipe whose reader
stops reading never makes the writer wait.
"""

import fcntl
import io
import os
import socket

from twisted.logger import LogLevel
from twisted.trial import unittest

from ftpkit.ops import unblockedlog
from ftpkit.ops.textformat import textFileLogObserver
from ftpkit.ops.unblockedlog import (
    DROP,
    KEEP,
    START,
    UnblockedLogFile,
    admit,
    describedBy,
    standardOutput,
    unblockedEnd,
)
from tests.stalledpipes import HangGuard, drain

PIPE_ROOM = 4096
"""The room the tests give a pipe (a page, the least Linux keeps)."""

LINE = "x" * 99 + "\n"
"""A line of 100 bytes."""


class AdmitTests(unittest.TestCase):
    """
    L{admit}, the decision for a line written while the reader is behind.
    """

    def test_roomLeft(self):
        """
        A line that fits within the limit with what waits is kept.
        """
        self.assertEqual(admit(0, 10, 100, False), KEEP)
        self.assertEqual(admit(90, 10, 100, False), KEEP)

    def test_full(self):
        """
        A line past the limit starts the dropping.
        """
        self.assertEqual(admit(91, 10, 100, False), START)

    def test_dropping(self):
        """
        Once dropping, every line is dropped, however small, until the
        reader read what waits.
        """
        self.assertEqual(admit(0, 1, 100, True), DROP)
        self.assertEqual(admit(50, 1, 100, True), DROP)

    def test_longLineAlone(self):
        """
        A line longer than the limit is kept where nothing waits: it goes
        out at once, as much of it as the pipe takes.
        """
        self.assertEqual(admit(0, 1000, 100, False), KEEP)


class FakeReactor:
    """
    Records the writers added and removed; runs what is called from a
    thread at once.

    @ivar writers: the writers watched.
    """

    def __init__(self):
        self.writers = []

    def addWriter(self, writer):
        self.writers.append(writer)

    def removeWriter(self, writer):
        self.writers.remove(writer)

    def callFromThread(self, function, *args):
        function(*args)


def smallPipe(testCase):
    """
    @param testCase: the running test (which closes the pipe at its end).
    @return: C{(readEnd, writeEnd)} of a pipe of L{PIPE_ROOM}, its read
        end not blocking.
    """
    readEnd, writeEnd = os.pipe()
    for end in (readEnd, writeEnd):
        testCase.addCleanup(_closeQuietly, end)
    fcntl.fcntl(readEnd, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
    os.set_blocking(readEnd, False)
    return readEnd, writeEnd


def _closeQuietly(descriptor):
    try:
        os.close(descriptor)
    except OSError:
        pass


class UnblockedLogFileTests(unittest.TestCase):
    """
    L{UnblockedLogFile} over a pipe its reader stops reading.
    """

    def setUp(self):
        HangGuard(self)
        self.readEnd, writeEnd = smallPipe(self)
        fileno, send = unblockedEnd(writeEnd)
        self.addCleanup(_closeQuietly, fileno)
        self.reactor = FakeReactor()
        self.out = UnblockedLogFile(fileno, send, reactor=self.reactor,
                                    limit=10 * len(LINE), now=lambda: 0.0)

    def fill(self, count):
        """
        @param count: how many times to write L{LINE}.
        """
        for line in [LINE] * count:
            self.out.write(line)

    def test_ownDescriptor(self):
        """
        The descriptor written is one of its own: the pipe's end given
        stays blocking for its other holders.
        """
        readEnd, writeEnd = smallPipe(self)
        fileno, send = unblockedEnd(writeEnd)
        self.addCleanup(os.close, fileno)
        self.assertNotEqual(fileno, writeEnd)
        self.assertTrue(os.get_blocking(writeEnd))
        self.assertFalse(os.get_blocking(fileno))
        send(b"a\n")
        self.assertEqual(drain(readEnd), b"a\n")

    def test_regularFile(self):
        """
        A regular file is written as before.
        """
        with open(self.mktemp(), "w") as f:
            self.assertIsNone(unblockedEnd(f.fileno()))

    def test_streamSocket(self):
        """
        A stream socket (systemd's journal) is written without waiting
        too.
        """
        mine, theirs = socket.socketpair()
        self.addCleanup(mine.close)
        self.addCleanup(theirs.close)
        fileno, send = unblockedEnd(mine.fileno())
        [own] = send.args
        self.addCleanup(own.close)
        self.assertEqual(own.fileno(), fileno)
        with self.assertRaises(BlockingIOError):
            while True:
                send(b"x" * 65536)
        self.assertTrue(mine.getblocking())

    def test_stalledReader(self):
        """
        Lines the reader has no room for wait, up to the limit, written as
        it reads; past the limit, lines are dropped, one line saying so
        where the dropping starts, one with the count once the reader
        read everything that waited; then lines go on as before.
        """
        lines = PIPE_ROOM // len(LINE) + 10 + 5
        self.fill(lines)
        self.assertEqual(self.out.dropped, 5)
        self.assertEqual(self.reactor.writers, [self.out])
        read = drain(self.readEnd)
        # A line shorter than PIPE_BUF goes into a pipe whole or not.
        self.assertEqual(read, LINE.encode() * (PIPE_ROOM // len(LINE)))
        while self.reactor.writers:
            self.out.doWrite()
            read += drain(self.readEnd)
        text = read.decode()
        self.assertEqual(text.count(LINE), lines - 5)
        self.assertIn(" line(s) dropped", text)
        stalled, resumed = text.split(LINE)[-1].splitlines(keepends=True)
        self.assertIn("the log's reader is behind", stalled)
        self.assertEqual(resumed, "the log's reader caught up: 5 line(s) "
                                  "dropped meanwhile\n")
        self.assertEqual(self.out.dropped, 0)
        self.out.write("again\n")
        self.assertEqual(drain(self.readEnd), b"again\n")

    def test_ownFormat(self):
        """
        The lines saying that lines were dropped are in the format of the
        observer writing to the file (L{describedBy}).
        """
        observer = textFileLogObserver(self.out)
        describedBy(self.out, observer.formatEvent)
        while not self.out.dropped:
            observer({"log_format": LINE[:-1], "log_level": LogLevel.info,
                      "log_namespace": "x", "log_time": 0.0})
        read = b""
        while self.reactor.writers:
            read += drain(self.readEnd)
            self.out.doWrite()
        read += drain(self.readEnd)
        self.assertIn(" [ftpkit.ops.unblockedlog#warn] the log's reader "
                      "caught up: 1 line(s)", read.decode())

    def test_readerGone(self):
        """
        A reader that closed its end loses the lines, counted, with no
        exception.
        """
        os.close(self.readEnd)
        self.out.write(LINE)
        self.out.write(LINE)
        self.assertEqual(self.out.dropped, 2)
        self.assertEqual(self.reactor.writers, [])

    def test_finish(self):
        """
        At exit, what waits is dropped once the reader took nothing for
        the time given.
        """
        self.fill(PIPE_ROOM // len(LINE) + 3)
        self.out.finish(wait=0.01)
        self.assertEqual(self.out.dropped, 3)

    def test_finishReaderReads(self):
        """
        At exit, what waits is written while the reader reads.
        """
        self.fill(PIPE_ROOM // len(LINE) + 3)
        drain(self.readEnd)
        self.out.finish(wait=0.01)
        self.assertEqual(self.out.dropped, 0)
        self.assertEqual(drain(self.readEnd), 3 * LINE.encode())

    def test_stoppedReactor(self):
        """
        Once the reactor stopped, lines are written as they come (what
        waits for L{UnblockedLogFile.finish}), never handed to it.
        """
        self.out.connectionLost(None)
        self.fill(PIPE_ROOM // len(LINE) + 3)
        self.assertEqual(self.reactor.writers, [])
        drain(self.readEnd)
        self.out.write(LINE)
        self.assertEqual(drain(self.readEnd).count(b"\n"), 4)


class StandardOutputTests(unittest.TestCase):
    """
    L{standardOutput}.
    """

    def test_pipe(self):
        """
        Standard output on a pipe is written through an
        L{UnblockedLogFile}, finished at exit.
        """
        readEnd, writeEnd = smallPipe(self)
        stdout = io.TextIOWrapper(io.FileIO(writeEnd, "w", closefd=False),
                                  encoding="ascii", errors="replace")
        finished = []
        out = standardOutput(stdout, finished.append)
        self.addCleanup(os.close, out.fileno())
        self.assertIsInstance(out, UnblockedLogFile)
        self.assertEqual(finished, [out.finish])
        self.assertEqual(out.encoding, "ascii")

    def test_notAFile(self):
        """
        A standard output with no descriptor (a test's) is kept.
        """
        stdout = io.StringIO()
        self.assertIs(standardOutput(stdout), stdout)

    def test_limit(self):
        """
        The documented bound: 1 MiB.
        """
        self.assertEqual(unblockedlog.BUFFER_LIMIT, 1 << 20)
