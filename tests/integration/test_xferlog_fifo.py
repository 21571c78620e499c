"""
C{--xferlog} on a FIFO (a log shipper's): its lines never stall the
server. A blocking write held the reactor for good once the reader
stopped reading and the pipe filled (no connection served, C{SIGTERM}
ignored).
"""

import fcntl
import os
import signal
import subprocess
import time

from twisted.logger import globalLogPublisher
from twisted.trial import unittest

from ftpkit.ops.xferlog import XferLog
from tests.integration.test_xferlog import transfer
from tests.serverprocess import TIMEOUT, startServer
from tests.stalledpipes import HangGuard, drain

PIPE_ROOM = 4096
"""The room the tests give a FIFO's pipe (C{F_SETPIPE_SZ}; a page, the
least Linux keeps), so that a few lines fill it."""

LONG_NAME = "n" * 250
"""A file name of 250 characters: some 330 bytes of transfer log line."""


def makeFifo(testCase):
    """
    @param testCase: the running test.
    @return: the path of a new FIFO.
    """
    path = os.path.abspath(testCase.mktemp())
    os.mkfifo(path)
    return path


def openReader(testCase, path):
    """
    Open a reader's end of the FIFO at C{path}, whose pipe has
    L{PIPE_ROOM}, and which reads nothing until the test reads it.

    @param testCase: the running test (which closes it at its end).
    @param path: the FIFO.
    @return: the descriptor.
    """
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    testCase.addCleanup(os.close, reader)
    fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
    return reader


def logged(testCase):
    """
    @param testCase: the running test.
    @return: a list that receives the log events until the test ends.
    """
    events = []
    globalLogPublisher.addObserver(events.append)
    testCase.addCleanup(globalLogPublisher.removeObserver, events.append)
    return events


class XferLogFifoTests(unittest.TestCase):
    """
    L{XferLog} on a FIFO, in this process.
    """

    def setUp(self):
        HangGuard(self)
        self.path = makeFifo(self)

    def xferlog(self):
        """
        @return: a new L{XferLog} on the FIFO, closed at the test's end.
        """
        xferlog = XferLog(self.path)
        self.addCleanup(xferlog.close)
        return xferlog

    def test_readerBehind(self):
        """
        Lines a reader has no room for are lost and counted, the first
        loss logged, whole lines kept; once it reads again, the next line
        goes to it and the count is logged.
        """
        reader = openReader(self, self.path)
        xferlog = self.xferlog()
        events = logged(self)
        lines = 3 * PIPE_ROOM // len(LONG_NAME)
        for n in range(lines):
            xferlog(transfer(path=f"/{n}/{LONG_NAME}"))
        kept = drain(reader).decode().splitlines(keepends=True)
        self.assertEqual(len(kept) + xferlog.lost, lines)
        self.assertTrue(all(line.endswith(f"{LONG_NAME} b _ o r alice ftp "
                                          "0 alice c\n") for line in kept))
        self.assertGreater(xferlog.lost, 0)
        [error] = events
        self.assertEqual(error["error"],
                         "a FIFO whose reader is behind (its pipe is full)")
        xferlog(transfer(path="/again"))
        self.assertIn(b" /again ", drain(reader))
        self.assertEqual(xferlog.lost, 0)
        self.assertEqual(events[1]["lost"], lines - len(kept))

    def test_noReader(self):
        """
        With nothing reading the FIFO, a line is lost (where opening it
        to write waited for a reader); one written after a reader opened
        it goes to that reader.
        """
        xferlog = self.xferlog()
        events = logged(self)
        xferlog(transfer(path="/lost"))
        self.assertEqual(xferlog.lost, 1)
        self.assertEqual(events[0]["error"], "a FIFO nothing reads")
        reader = openReader(self, self.path)
        xferlog(transfer(path="/kept"))
        self.assertIn(b" /kept ", drain(reader))

    def test_readerGone(self):
        """
        The server holds no reader's end of the FIFO: once its reader
        closed it, lines are lost (not kept in the pipe for a later
        reader to get late), and a new reader gets the next.
        """
        reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        xferlog = self.xferlog()
        xferlog(transfer(path="/first"))
        self.assertIn(b" /first ", drain(reader))
        os.close(reader)
        xferlog(transfer(path="/lost"))
        self.assertEqual(xferlog.lost, 1)
        reader = openReader(self, self.path)
        xferlog(transfer(path="/kept"))
        self.assertEqual(drain(reader).count(b"\n"), 1)

    def test_longLineCut(self):
        """
        A line longer than the pipe's room goes in only in part (a write
        over C{PIPE_BUF} is not whole or nothing): it is counted as lost,
        and the next line starts on a line of its own.
        """
        reader = openReader(self, self.path)
        xferlog = self.xferlog()
        xferlog(transfer(path="/" + "n" * 2 * PIPE_ROOM))
        self.assertEqual(xferlog.lost, 1)
        self.assertEqual(len(drain(reader)), PIPE_ROOM)
        xferlog(transfer(path="/next"))
        self.assertEqual(drain(reader)[:1], b"\n")
        self.assertEqual(xferlog.lost, 0)

    def test_fifoInPlace(self):
        """
        A FIFO put in the place of the file being written (removed) is
        opened without waiting too, and its lines lost when it is full.
        """
        regular = os.path.abspath(self.mktemp())
        xferlog = XferLog(regular)
        self.addCleanup(xferlog.close)
        xferlog(transfer(path="/file"))
        os.remove(regular)
        os.rename(self.path, regular)
        openReader(self, regular)
        for n in range(3 * PIPE_ROOM // len(LONG_NAME)):
            xferlog(transfer(path=f"/{n}/{LONG_NAME}"))
        self.assertGreater(xferlog.lost, 0)


class ServerFifoTests(unittest.TestCase):
    """
    A server whose C{--xferlog} is a FIFO that its reader never reads.
    """

    timeout = 3 * TIMEOUT

    def check(self, *options):
        """
        Download a file with a long name until the FIFO is full and then
        some: each is answered, so is C{NOOP}, and C{SIGTERM} stops the
        server.

        @param options: more options of the server.
        """
        path = makeFifo(self)
        openReader(self, path)
        server, root = startServer(self, "--xferlog", path, *options)
        with open(os.path.join(root, LONG_NAME), "wb") as f:
            f.write(b"x")
        ftp = server.login("alice", "secret")
        for _ in range(3 * PIPE_ROOM // len(LONG_NAME)):
            ftp.retrbinary("RETR " + LONG_NAME, lambda data: None)
        self.assertEqual(ftp.voidcmd("NOOP")[:3], "200")
        server.waitForLog("a FIFO whose reader is behind")
        ftp.close()
        server.signal(signal.SIGTERM)
        server.process.wait(TIMEOUT)

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        self.check("--workers", "2")


class ShipperTests(unittest.TestCase):
    """
    A log shipper reading the FIFO as C{cat} does (an open that waits for
    a writer, then reads until the last writer goes) gets every line: the
    start's check of the option, and the opening of the log, closed the
    server's only writer's end a moment, and the shipper, given an end of
    file, was gone before the first transfer (tester53c).
    """

    timeout = 3 * TIMEOUT

    def check(self, *options):
        """
        Start C{cat FIFO > FILE}, then the server, and download three
        times: the file gets the three lines.

        @param options: more options of the server.
        """
        path = makeFifo(self)
        shipped = os.path.abspath(self.mktemp())
        with open(shipped, "wb") as out:
            shipper = subprocess.Popen(["cat", path], stdout=out)
        self.addCleanup(shipper.wait)
        self.addCleanup(shipper.kill)
        server, root = startServer(self, "--xferlog", path, *options)
        with open(os.path.join(root, "a.bin"), "wb") as f:
            f.write(b"x")
        ftp = server.login("alice", "secret")
        for _ in range(3):
            ftp.retrbinary("RETR a.bin", lambda data: None)
        ftp.quit()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with open(shipped, "rb") as f:
                if f.read().count(b"/a.bin") == 3:
                    break
            time.sleep(0.05)
        self.assertIsNone(shipper.poll(), "the shipper was given an end")
        with open(shipped, "rb") as f:
            self.assertEqual(f.read().count(b"/a.bin"), 3)

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        self.check("--workers", "2")
