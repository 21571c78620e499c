"""
Tests for L{ftpkit.ops.xferlog} (C{--xferlog}), read back by ProFTPD's
C{ftpstats}, a real consumer of the format.
"""

import errno
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time

from twisted.logger import globalLogPublisher
from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.jsonformat import eventAsJSON
from ftpkit.ops.xferlog import XferLog, formatLine, formatTime
from tests.serverprocess import startServer
from tests.twistdrun import SOURCE


def transfer(**fields):
    """
    @return: a L{events.TRANSFER} event with C{fields}.
    """
    defaults = dict(peer="10.0.0.1", time=time.time(), user="alice",
                    command="RETR", path="/pub/a.bin", code=226, bytes=1000,
                    seconds=2.4)
    defaults.update(fields)
    return events.Event(events.TRANSFER, **defaults)


class FormatTests(unittest.TestCase):
    """
    L{formatLine} writes wu-ftpd's fields.
    """

    def test_fields(self):
        """
        A download by a real user, finished.
        """
        line = formatLine(transfer())
        self.assertTrue(line.endswith("\n"))
        fields = line.split()
        self.assertEqual(len(fields), 18)
        self.assertEqual(fields[5:], [
            "2", "10.0.0.1", "1000", "/pub/a.bin", "b", "_", "o", "r",
            "alice", "ftp", "0", "alice", "c"])

    def test_uploadAnonymousIncomplete(self):
        """
        An anonymous ASCII upload cut short: C{i}, C{a}, C{i}, C{a}.
        """
        fields = formatLine(transfer(
            command="STOR", anonymous=True, user="anonymous", binary=False,
            code=426, seconds=0.01)).split()
        self.assertEqual(fields[9:14], ["a", "_", "i", "a", "anonymous"])
        self.assertEqual(fields[16], "*")
        self.assertEqual(fields[-1], "i")

    def test_seconds(self):
        """
        The transfer time is the transfer's length rounded to whole
        seconds: 0 under half a second (it was at least 1, a sum of
        times overstated); 0 for a transfer refused before its data
        connection opened (C{425}), however long its command waited.
        """
        for seconds, beforeData, written in [
                (0.01, False, "0"), (0.6, False, "1"), (2.4, False, "2"),
                (0.0, True, "0"), (30.0, True, "0")]:
            line = formatLine(transfer(seconds=seconds, beforeData=beforeData,
                                       code=425 if beforeData else 226))
            self.assertEqual(line.split()[5], written, (seconds, beforeData))

    def test_whiteSpace(self):
        """
        White space and control characters in a path or user name become
        C{_}: the line keeps its fields.
        """
        line = formatLine(transfer(path="/a b\tc\nd", user="x y"))
        self.assertEqual(line.count("\n"), 1)
        fields = line.split()
        self.assertEqual(len(fields), 18)
        self.assertEqual(fields[8], "/a_b_c_d")
        self.assertEqual(fields[13], "x_y")

    def test_terminalControls(self):
        """
        The C1 control characters (U+0080 to U+009F: C{CSI} starts a
        terminal escape as C{ESC [} does) and C{DEL} become C{_} too, so
        that C{tail} or C{cat} of the log in a terminal runs no escape a
        file name carries; other non-ASCII text is kept.
        """
        line = formatLine(transfer(path="/a\x9b2J\x1b[31m\x7f\x80\u00e9"))
        self.assertEqual(line.split()[8], "/a_2J_[31m__\u00e9")

    def test_terminalControlBytes(self):
        """
        A name that is not UTF-8 reaches the log as its bytes: those from
        0x80 to 0x9f (the C1 controls of an 8-bit terminal: 0x9b is its
        C{CSI}) become C{_} as the characters do; and so do the Unicode
        controls of the text's direction (U+202E shows the rest of the
        line backwards: C{/pub/U+202Etxt.exe} read as C{/pub/exe.txt}),
        which a terminal does not show.
        """
        line = formatLine(transfer(
            path="/a\udc9b2J\udc80\udce9/\u202etxt.exe\u2066\u200f",
            user="x\udc9by"))
        fields = line.split()
        self.assertEqual(fields[8], "/a_2J_\udce9/_txt.exe__")
        self.assertEqual(fields[13], "x_y")

    def test_time(self):
        """
        The time is C{ctime}'s form, in English.
        """
        when = time.mktime((2026, 3, 4, 5, 6, 7, 0, 0, -1))
        self.assertEqual(formatTime(when), time.ctime(when))
        self.assertEqual(formatTime(when)[:10], "Wed Mar  4")


class XferLogFileTests(unittest.TestCase):
    """
    L{XferLog} appends a line per transfer, and follows a rotated file.
    """

    def test_appendAndRotate(self):
        path = self.mktemp()
        xferlog = XferLog(path)
        self.addCleanup(xferlog.close)
        xferlog(transfer(path="/one"))
        os.rename(path, path + ".1")
        xferlog(transfer(path="/two"))
        with open(path + ".1") as f:
            self.assertIn("/one", f.read())
        with open(path) as f:
            self.assertIn("/two", f.read())

    def test_late(self):
        """
        With C{late}, the file is made at the first line, not before (the
        acceptor of C{--workers}, started as root, would have made a file
        its C{--uid} workers could not write).
        """
        path = self.mktemp()
        xferlog = XferLog(path, late=True)
        self.addCleanup(xferlog.close)
        self.assertFalse(os.path.exists(path))
        xferlog(transfer(path="/one"))
        with open(path) as f:
            self.assertIn("/one", f.read())


_FILLING = """
import resource, signal, sys, time
from ftpkit.ops import events
from twisted.logger import formatEvent, globalLogPublisher
from ftpkit.ops.xferlog import XferLog

globalLogPublisher.addObserver(
    lambda event: print(formatEvent(event), file=sys.stderr))

def transfer(path):
    return events.Event(events.TRANSFER, peer="10.0.0.1", time=time.time(),
                        user="alice", command="RETR", path=path, code=226,
                        bytes=1000, seconds=2.4)

def limit(size):
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
xferlog = XferLog(sys.argv[1])
for step in sys.argv[2:]:
    size = len(open(sys.argv[1], "rb").read())
    if step == "cut":
        # The file may grow by half a line more: the next write is cut
        # short, and the ones after fail, as on a disk that filled up.
        limit(size + 40)
    elif step == "full":
        limit(size)
    elif step == "room":
        limit(resource.RLIM_INFINITY)
    else:
        xferlog(transfer(step))
"""


def fill(testCase, path, *steps, timeout=60):
    """
    Log transfers to an L{XferLog} in a child process whose files may
    grow only so far (C{RLIMIT_FSIZE}, as a full disk).

    @param path: the transfer log.
    @param steps: a path to log a transfer of, or C{"cut"} (the file
        may grow by half a line more), C{"full"} (no more), C{"room"}
        (no limit).
    @param timeout: seconds the child may take.
    @return: the lines the child logged.
    """
    done = subprocess.run(
        [sys.executable, "-c", _FILLING, path, *steps], capture_output=True,
        text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=SOURCE))
    testCase.assertEqual(done.returncode, 0, done.stderr)
    return done.stderr.splitlines()


class XferLogFullTests(unittest.TestCase):
    """
    L{XferLog} on a file the file system stops growing (a full disk; here
    C{RLIMIT_FSIZE}, in a process of its own).
    """

    def readLines(self, path):
        """
        @return: the lines of C{path}, each split into fields.
        """
        with open(path) as f:
            return [line.split() for line in f.read().splitlines()]

    def test_cutLineEnds(self):
        """
        A line cut short by a full disk is logged as an error, and the line
        written once there is room again starts on a line of its own
        instead of being joined to the broken one.
        """
        path = self.mktemp()
        logged = fill(self, path, "/one", "cut", "/two", "/three", "room",
                      "/four")
        self.assertEqual(len(logged), 2, logged)
        self.assertIn("bytes written (disk full?)", logged[0])
        lines = self.readLines(path)
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[0][8], "/one")
        self.assertLess(len(lines[1]), 18)
        self.assertEqual(lines[2][8], "/four")
        self.assertEqual(len(lines[2]), 18)

    def test_quietUntilWritten(self):
        """
        On a full disk only the first line that fails is an error in the
        log, not one per transfer; the first written again logs one line
        saying so and how many were lost. A file that fills again is an
        error again.
        """
        path = self.mktemp()
        logged = fill(self, path, "/one", "full", "/two", "/three", "/four",
                      "room", "/five", "/six", "full", "/seven", "room",
                      "/eight")
        self.assertEqual(len(logged), 4, logged)
        self.assertIn(f"cannot write the transfer log {path}: ", logged[0])
        self.assertIn("File too large", logged[0])
        self.assertEqual(
            logged[1], f"the transfer log {path} is written again; "
            "3 line(s) lost or cut meanwhile")
        self.assertIn("File too large", logged[2])
        self.assertIn("1 line(s) lost", logged[3])
        self.assertEqual([line[8] for line in self.readLines(path)],
                         ["/one", "/five", "/six", "/eight"])

    def test_cutByAnotherProcess(self):
        """
        A line another process cut short (a worker of C{--workers} on a
        full disk) is ended too before this process appends its own:
        the processes sharing the file look at its last byte, not at what
        each wrote itself.
        """
        path = self.mktemp()
        xferlog = XferLog(path)
        self.addCleanup(xferlog.close)
        xferlog(transfer(path="/one"))
        fill(self, path, "cut", "/two")
        xferlog(transfer(path="/three"))
        lines = self.readLines(path)
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[0][8], "/one")
        self.assertLess(len(lines[1]), 18)
        self.assertEqual(lines[2][8], "/three")
        self.assertEqual(len(lines[2]), 18)


class XferLogErrorTests(unittest.TestCase):
    """
    The error an L{XferLog} logs when a line cannot be written.
    """

    def test_errorAsText(self):
        """
        It holds the system's error as text, which C{--log-format json}
        keeps: it held the C{OSError}, written as C{{"unpersistable":
        true}}, so a log shipper never saw why (a full disk).
        """
        xferlog = XferLog(self.mktemp())
        self.addCleanup(xferlog.close)

        def full(line):
            raise OSError(errno.ENOSPC, "No space left on device")
        xferlog._append = full
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        xferlog(transfer())
        [error] = logged
        self.assertEqual(json.loads(eventAsJSON(dict(error)))["error"],
                         "[Errno 28] No space left on device")


class XferLogAccessTests(unittest.TestCase):
    """
    L{XferLog} never waits for a lock, and needs only to write its file.
    """

    def paths(self, path):
        """
        @return: the path field of each line of the transfer log C{path}.
        """
        with open(path) as f:
            return [line.split()[8] for line in f.read().splitlines()]

    def test_lockHeldElsewhere(self):
        """
        A lock another program holds on the transfer log does not stall
        the server (its reactor thread writes the log): the line is
        appended without waiting.
        """
        path = self.mktemp()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fill(self, path, "/one", "/two", timeout=20)
        self.assertEqual(self.paths(path), ["/one", "/two"])

    def test_writeOnly(self):
        """
        A file the server may write but not read (its last byte cannot
        be looked at) is appended to.
        """
        path = self.mktemp()
        XferLog(path).close()
        realOpen = os.open

        def writeOnly(name, flags, *args):
            if flags & os.O_RDWR:
                raise PermissionError(13, "Permission denied", name)
            return realOpen(name, flags, *args)

        self.patch(os, "open", writeOnly)
        xferlog = XferLog(path)
        self.addCleanup(xferlog.close)
        xferlog(transfer(path="/one"))
        xferlog(transfer(path="/two"))
        self.assertEqual(self.paths(path), ["/one", "/two"])

    def test_cannotMakeNew(self):
        """
        A transfer log renamed away where the server's account may not
        make a new one (a directory of root's, after C{--uid}) is an error
        saying so: it said C{No such file or directory}, the error of the
        second try, which opens without creating for a file it may write
        but not read.
        """
        path = self.mktemp()
        xferlog = XferLog(path)
        self.addCleanup(xferlog.close)
        os.rename(path, path + ".1")
        realOpen = os.open

        def noNewFiles(name, flags, *args):
            if flags & os.O_CREAT and not os.path.exists(name):
                raise PermissionError(13, "Permission denied", name)
            return realOpen(name, flags, *args)

        self.patch(os, "open", noNewFiles)
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        xferlog(transfer())
        [error] = logged
        self.assertIn("Permission denied", error["error"])


class FtpstatsTests(unittest.TestCase):
    """
    ProFTPD's C{ftpstats} reads the transfer log of a real server and
    reports the files, bytes and users that moved.
    """

    timeout = 120

    def setUp(self):
        if shutil.which("ftpstats") is None:
            raise unittest.SkipTest("ftpstats not installed (apt-get "
                                    "install proftpd-core)")

    def ftpstats(self, path, *args):
        """
        @return: C{(files, bytes)} from C{ftpstats -f PATH ARGS}.
        """
        done = subprocess.run(["ftpstats", "-f", path, *args],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        files = re.search(r"Files Transmitted During Summary Period\s+(\d+)",
                          done.stdout)
        moved = re.search(r"Bytes Transmitted During Summary Period\s+(\d+)",
                          done.stdout)
        return int(files.group(1)), int(moved.group(1)), done.stdout

    def test_ftpstats(self):
        """
        One process.
        """
        self.check()

    def test_workers(self):
        """
        Under C{--workers} the workers share the transfer log.
        """
        self.check("--workers", "2")

    def check(self, *options):
        path = os.path.abspath(self.mktemp())
        server, root = startServer(self, "--xferlog", path, *options,
                                   users="alice:secret:bob:pw")
        os.makedirs(os.path.join(root, "pub"))
        with open(os.path.join(root, "pub", "a.bin"), "wb") as f:
            f.write(b"a" * 3000)
        ftp = server.login("alice", "secret")
        ftp.storbinary("STOR /pub/up one.bin", io.BytesIO(b"u" * 1234))
        ftp.retrbinary("RETR /pub/a.bin", lambda data: None)
        ftp.quit()
        ftp = server.login("bob", "pw")
        ftp.retrbinary("RETR /pub/a.bin", lambda data: None)
        ftp.quit()
        ftp = server.login("anonymous", "guest@")
        ftp.retrbinary("RETR /pub/a.bin", lambda data: None)
        ftp.quit()

        def lines():
            with open(path) as f:
                return len(f.readlines()) >= 4

        server.waitFor(lines, "4 lines in the transfer log")
        files, moved, report = self.ftpstats(path, "-r", "-a")
        self.assertEqual((files, moved), (4, 1234 + 3 * 3000), report)
        self.assertIn("/pub", report)
        self.assertEqual(self.ftpstats(path, "-u", "alice")[:2],
                         (2, 1234 + 3000))
        self.assertEqual(self.ftpstats(path, "-u", "bob")[:2], (1, 3000))
        self.assertEqual(self.ftpstats(path, "-r", "-a", "-i")[:2],
                         (1, 1234))
        self.assertEqual(self.ftpstats(path, "-r", "-a", "-o")[:2],
                         (3, 9000))
