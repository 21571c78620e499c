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
    unsentRest,
    writeNow,
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


class TriggersReactor(FakeReactor):
    """
    A L{FakeReactor} recording its system event triggers.

    @ivar triggers: C{(phase, event, callable)} of each.
    """

    def __init__(self):
        FakeReactor.__init__(self)
        self.triggers = []

    def addSystemEventTrigger(self, phase, event, callable):
        self.triggers.append((phase, event, callable))


BUFFER = 10 * len(LINE)
"""The bound of what waits, in L{FinishTests}."""


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
        self.complaints = []
        self.out = UnblockedLogFile(fileno, send, reactor=self.reactor,
                                    limit=10 * len(LINE), now=lambda: 0.0,
                                    complain=self.complaints.append)

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
        A reader that closed its end loses the lines, with no exception:
        one line says so on standard error, and none is counted (nothing
        would ever tell the count).
        """
        os.close(self.readEnd)
        self.out.write(LINE)
        self.out.write(LINE)
        self.assertEqual(self.out.dropped, 0)
        self.assertEqual(self.reactor.writers, [])
        self.assertEqual(self.complaints, [
            b"ftpkit: the log's reader is gone (Broken pipe): its lines are "
            b"lost from now on\n"])

    def test_finish(self):
        """
        At exit, what waits is dropped once the reader took nothing for
        the time given, and the line counting it takes its place, where
        the pipe has room for that line.
        """
        self.fill(PIPE_ROOM // len(LINE) + 3)
        self.out.finish(wait=0.01)
        self.assertEqual(self.out.dropped, 0)
        self.assertEqual(
            drain(self.readEnd), LINE.encode() * (PIPE_ROOM // len(LINE))
            + b"the log's reader is behind as the process stops: 3 line(s) "
            b"lost\n")

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


class ScriptedReader:
    """
    A reader taking, at each write, the bytes its script says.

    @ivar taken: the bytes taken.
    """

    def __init__(self, *rooms):
        """
        @param rooms: the bytes each write finds room for, in turn (none
            after the last).
        """
        self._rooms = list(rooms)
        self.taken = b""

    def send(self, data):
        room = self._rooms.pop(0) if self._rooms else 0
        if not room:
            raise BlockingIOError()
        self.taken += bytes(data[:room])
        return min(room, len(data))


class FinishTests(unittest.TestCase):
    """
    L{UnblockedLogFile.finish}: as the process stops, every line reaches
    the reader, or a line says how many did not.
    """

    def finished(self, *rooms, lines=5):
        """
        @param rooms: see L{ScriptedReader}.
        @param lines: the lines written before, while the reader takes
            nothing.
        @return: the reader, once the file was finished without waiting.
        """
        reader = ScriptedReader(0, *rooms)
        _, writeEnd = smallPipe(self)
        out = UnblockedLogFile(writeEnd, reader.send, reactor=FakeReactor(),
                               limit=BUFFER, now=lambda: 0.0)
        for line in [LINE] * lines:
            out.write(line)
        out.finish(wait=0)
        return reader

    def test_counted(self):
        """
        The lines the reader did not take are counted, in a line of their
        own after the rest of a line it took in part.
        """
        reader = self.finished(150, 0, 1000)
        self.assertEqual(
            reader.taken, LINE.encode() * 2 + b"the log's reader is behind "
            b"as the process stops: 3 line(s) lost\n")

    def test_allTaken(self):
        """
        A reader that took every line gets no count.
        """
        reader = self.finished(10000)
        self.assertEqual(reader.taken, LINE.encode() * 5)

    def test_droppedCounted(self):
        """
        The lines dropped before, past the limit, whose count the reader
        never got, are among those counted; the line saying that the
        dropping started, lost too, is none of the log's lines: it was
        counted as one.
        """
        reader = self.finished(BUFFER, 0, 1000,
                               lines=BUFFER // len(LINE) + 7)
        self.assertEqual(reader.taken, LINE.encode() * (BUFFER // len(LINE))
                         + b"the log's reader is behind as the process "
                         b"stops: 7 line(s) lost\n")

    def test_caughtUpLost(self):
        """
        The line counting the lines dropped before (the reader caught
        up), lost, counts as those lines: it was counted as one.
        """
        reader = self.finished(10 ** 7, 0, 1000,
                               lines=BUFFER // len(LINE) + 7)
        self.assertNotIn(b"caught up", reader.taken)
        self.assertTrue(reader.taken.endswith(
            b"the log's reader is behind as the process stops: 7 line(s) "
            b"lost\n"), reader.taken[-200:])

    def test_countLost(self):
        """
        The line counting the lines lost at exit, itself not taken in its
        time, is dropped as the lines it counts (L{UnblockedLogFile.dropped},
        which lines written after it add to): it was counted as one.
        """
        reader = ScriptedReader(0)
        _, writeEnd = smallPipe(self)
        out = UnblockedLogFile(writeEnd, reader.send, reactor=FakeReactor(),
                               now=lambda: 0.0)
        for line in [LINE] * 5:
            out.write(line)
        out.connectionLost(None)
        out.finish(wait=0)
        self.assertEqual((reader.taken, out.dropped), (b"", 5))
        out.write("shut down\n")
        self.assertEqual(out.dropped, 6)


class UnsentRestTests(unittest.TestCase):
    """
    L{unsentRest}.
    """

    def test_whole(self):
        """
        Lines none of which was begun are all lost.
        """
        self.assertEqual(unsentRest(b"a\nb\n", False), (b"", 2))

    def test_begun(self):
        """
        The rest of a line begun is kept.
        """
        self.assertEqual(unsentRest(b"a\nb\nc\n", True), (b"a\n", 2))
        self.assertEqual(unsentRest(b"a\n", True), (b"a\n", 0))

    def test_ownLines(self):
        """
        A line of the file's own counts as the lines it stands for; one
        kept (written in part) is not counted.
        """
        self.assertEqual(unsentRest(b"a\nM\nb\n", False, [(4, 0)]),
                         (b"", 2))
        self.assertEqual(unsentRest(b"C\nb\n", False, [(2, 9)]), (b"", 10))
        self.assertEqual(unsentRest(b"C\nb\n", True, [(2, 9)]),
                         (b"C\n", 1))


class WriteNowTests(unittest.TestCase):
    """
    L{writeNow}: a line on standard error, without waiting.
    """

    def test_fullPipe(self):
        """
        A pipe with no room loses the line, at once.
        """
        HangGuard(self)
        readEnd, writeEnd = smallPipe(self)
        os.write(writeEnd, b"x" * PIPE_ROOM)
        self.assertFalse(writeNow(writeEnd, b"line\n"))
        self.assertTrue(os.get_blocking(writeEnd))
        drain(readEnd)
        self.assertTrue(writeNow(writeEnd, b"line\n"))
        self.assertEqual(drain(readEnd), b"line\n")

    def test_regularFile(self):
        """
        A regular file is written.
        """
        with open(self.mktemp(), "w+b") as f:
            self.assertTrue(writeNow(f.fileno(), b"line\n"))
            f.seek(0)
            self.assertEqual(f.read(), b"line\n")

    def test_closed(self):
        """
        A descriptor not open loses the line, without an exception.
        """
        self.assertFalse(writeNow(1 << 24, b"line\n"))


class StandardOutputTests(unittest.TestCase):
    """
    L{standardOutput}.
    """

    def test_pipe(self):
        """
        Standard output on a pipe is written through an
        L{UnblockedLogFile}, finished once the reactor stopped, and at
        exit.
        """
        readEnd, writeEnd = smallPipe(self)
        stdout = io.TextIOWrapper(io.FileIO(writeEnd, "w", closefd=False),
                                  encoding="ascii", errors="replace")
        finished = []
        reactor = TriggersReactor()
        out = standardOutput(stdout, finished.append, reactor)
        self.addCleanup(os.close, out.fileno())
        self.assertIsInstance(out, UnblockedLogFile)
        self.assertEqual(finished, [out.finish])
        # C{twistd} and C{twist} stopped by SIGTERM end with the signal:
        # no atexit function runs.
        self.assertEqual(reactor.triggers,
                         [("after", "shutdown", out.finish)])
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
