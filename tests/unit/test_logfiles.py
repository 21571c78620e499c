"""
L{ftpkit.compat.logfiles}: C{twistd --logfile}'s file rotates as
C{twistd}'s does, and is opened again at its path once moved away.
"""

import os
import shutil
import threading

from twisted.trial import unittest

from ftpkit.compat import logfiles
from ftpkit.compat.logfiles import MovableLogFile, movedAway, openLogFile

startShift = MovableLogFile.startShift
"""The renaming's start, as the server has it (the tests patch it)."""


def readBytes(path):
    """
    @return: the bytes of the file at C{path}.
    """
    with open(path, "rb") as f:
        return f.read()


class MovableLogFileTests(unittest.TestCase):
    """
    L{MovableLogFile.rotate} and L{movedAway}.
    """

    def setUp(self):
        # The renaming of a rotation at once, not in a thread (see
        # test_renamedInThread).
        self.patch(MovableLogFile, "startShift",
                   staticmethod(lambda shift: shift()))
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.path = os.path.join(self.directory, "ftpkit.log")
        self.log = MovableLogFile.fromFullPath(self.path)
        self.addCleanup(self.log.close)
        self.log.write(b"first\n")

    def test_rotatesInPlace(self):
        """
        A file still at its path rotates as C{twistd}'s does: renamed
        C{.1}, a new one at the path.
        """
        self.assertFalse(movedAway(self.path, self.log._file))
        self.log.rotate()
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path + ".1"), b"first\n")
        self.assertEqual(readBytes(self.path), b"second\n")

    def test_renamedInThread(self):
        """
        A rotation's renaming runs apart (L{MovableLogFile.startShift}, a
        thread): the lines written meanwhile go on into the file; once
        it is renamed C{.1} (the older C{.2}), the next line opens a new
        file at the path.
        """
        with open(self.path + ".1", "wb") as f:
            f.write(b"older\n")
        held = []
        self.patch(MovableLogFile, "startShift", staticmethod(held.append))
        self.log.rotate()
        self.log.write(b"meanwhile\n")
        self.log.rotate()
        [shift] = held
        self.assertEqual(readBytes(self.path), b"first\nmeanwhile\n")
        shift()
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path + ".2"), b"older\n")
        self.assertEqual(readBytes(self.path + ".1"), b"first\nmeanwhile\n")
        self.assertEqual(readBytes(self.path), b"second\n")
        self.assertFalse(os.path.exists(self.path + ".3"))

    def test_startShift(self):
        """
        L{MovableLogFile.startShift} runs the renaming in a thread the
        process waits for as it exits (not a daemon's).
        """
        ran = []
        done = threading.Event()

        def shift():
            ran.append(threading.current_thread())
            done.set()

        startShift(shift)
        self.assertTrue(done.wait(60))
        [thread] = ran
        self.assertIsNot(thread, threading.current_thread())
        self.assertFalse(thread.daemon)
        thread.join()

    def test_failedShiftNotRetried(self):
        """
        A renaming that failed is not tried again at each line, but
        after L{logfiles.SHIFT_RETRY} seconds.
        """
        clock = [1e9]
        self.log.now = lambda: clock[0]
        started = []
        self.patch(MovableLogFile, "startShift",
                   staticmethod(lambda shift: started.append(shift())))
        self.patch(self.log, "listLogs", lambda: [1])
        self.log.rotate()
        self.log.rotate()
        self.assertEqual(len(started), 1)
        clock[0] += logfiles.SHIFT_RETRY
        self.log.rotate()
        self.assertEqual(len(started), 2)
        self.assertEqual(readBytes(self.path), b"first\n")

    def test_rotatedMode(self):
        """
        The file a rotation makes gets the mode of the one before it,
        whatever the umask now (C{twistd} made the first before it became
        a daemon, the next under its daemon's C{077}).
        """
        os.chmod(self.path, 0o644)
        self.addCleanup(os.umask, os.umask(0o077))
        self.log.rotate()
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o644)
        self.log.rotate()
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o644)

    def test_createdModeKept(self):
        """
        A file found at the path (C{logrotate}'s C{create 0640}) keeps
        its own mode.
        """
        os.chmod(self.path, 0o644)
        os.rename(self.path, self.path + ".1")
        with open(self.path, "wb"):
            pass
        os.chmod(self.path, 0o640)
        self.log.rotate()
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o640)

    def test_movedAway(self):
        """
        A file moved away: the rotation opens a new one at the path and
        renames nothing; the moved file gets no more lines.
        """
        os.rename(self.path, self.path + ".moved")
        self.assertTrue(movedAway(self.path, self.log._file))
        self.log.rotate()
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path + ".moved"), b"first\n")
        self.assertEqual(readBytes(self.path), b"second\n")
        self.assertEqual(sorted(os.listdir(self.directory)),
                         ["ftpkit.log", "ftpkit.log.moved"])

    def test_replaced(self):
        """
        A file moved away and another made at its path (C{logrotate}'s
        C{create}): the lines go on in that one, appended, and nothing is
        renamed (C{twistd}'s rotation renamed C{logrotate}'s C{.1} to
        C{.2} and the new file to C{.1}).
        """
        os.rename(self.path, self.path + ".1")
        with open(self.path, "wb") as f:
            f.write(b"made\n")
        self.assertTrue(movedAway(self.path, self.log._file))
        self.log.rotate()
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path + ".1"), b"first\n")
        self.assertEqual(readBytes(self.path), b"made\nsecond\n")
        self.assertFalse(os.path.exists(self.path + ".2"))

    def test_sizeRotationAfterMove(self):
        """
        The rotation at each megabyte, after a move, opens a new file
        too: the lines went into the moved file however long it grew.
        """
        os.rename(self.path, self.path + ".moved")
        self.log.rotateLength = 10
        self.log.write(b"0123456789\n")
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path), b"second\n")

    def test_noDirectory(self):
        """
        Where no file can be opened at the path (its directory removed),
        the lines go on into the moved file, with no error.
        """
        moved = os.path.abspath(self.mktemp())
        os.rename(self.path, moved)
        shutil.rmtree(self.directory)
        self.log.rotate()
        self.log.write(b"second\n")
        self.assertEqual(readBytes(moved), b"first\nsecond\n")

    def test_truncated(self):
        """
        A file cut short under the server (C{logrotate}'s
        C{copytruncate}) gets the next line at its new end: it was
        written at the old offset, after as many zero bytes.
        """
        os.truncate(self.path, 0)
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path), b"second\n")
        self.log.rotate()
        self.log.write(b"third\n")
        os.truncate(self.path, 0)
        self.log.write(b"fourth\n")
        self.assertEqual(readBytes(self.path), b"fourth\n")

    def test_sizeReadAfterTruncation(self):
        """
        The size rotation counts what the file has, not what was written
        to it: a file cut short (C{copytruncate}) is not renamed C{.1}
        when the count of the lines written since the start reaches the
        size, only when the file does (it was, at the next line).
        """
        self.log.rotateLength = 20
        self.log.write(b"0123456789abcde\n")
        os.truncate(self.path, 0)
        self.log.write(b"second\n")
        self.log.write(b"third\n")
        self.assertFalse(os.path.exists(self.path + ".1"))
        self.assertEqual(readBytes(self.path), b"second\nthird\n")
        self.log.write(b"0123456789\n")
        self.log.write(b"fourth\n")
        self.assertEqual(readBytes(self.path + ".1"),
                         b"second\nthird\n0123456789\n")
        self.assertEqual(readBytes(self.path), b"fourth\n")

    def test_movedNoticedWithoutSignal(self):
        """
        A file moved away is noticed at the first line written
        L{logfiles.MOVE_LOOK} seconds or more after the last look,
        without C{SIGUSR1}, as the transfer log's is at its next line:
        the lines went on into the moved file until the next signal or
        rotation.
        """
        clock = [1e9]
        self.log.now = lambda: clock[0]
        self.log.write(b"looked\n")
        os.rename(self.path, self.path + ".1")
        self.log.write(b"within a second\n")
        self.assertFalse(os.path.exists(self.path))
        clock[0] += logfiles.MOVE_LOOK
        self.log.write(b"second\n")
        self.assertEqual(readBytes(self.path + ".1"),
                         b"first\nlooked\nwithin a second\n")
        self.assertEqual(readBytes(self.path), b"second\n")


class NoSizeRotationTests(unittest.TestCase):
    """
    L{openLogFile} without a size (C{--log-rotate-size 0}): C{logrotate}
    rotates the file, ftpkit renames nothing.
    """

    def setUp(self):
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.path = os.path.join(self.directory, "ftpkit.log")

    def open(self, rotateLength):
        """
        @return: the log file L{openLogFile} opens with C{rotateLength}.
        """
        log = openLogFile(self.path, rotateLength)
        self.addCleanup(log.close)
        return log

    def test_defaultSize(self):
        """
        By default the file rotates at Twisted's size, a million bytes.
        """
        self.assertEqual(self.open(logfiles.ROTATE_LENGTH).rotateLength,
                         1000000)

    def test_neverBySize(self):
        """
        Without a size the file grows past any count of bytes, never
        renamed.
        """
        log = self.open(0)
        for _ in range(3):
            log.write(b"x" * 1000000)
        self.assertEqual(os.listdir(self.directory), ["ftpkit.log"])
        self.assertEqual(os.path.getsize(self.path), 3000000)

    def test_signalRenamesNothing(self):
        """
        C{SIGUSR1} (L{MovableLogFile.rotate}) without a size leaves a
        file still at its path as it is: C{logrotate}'s C{ftpkit.log.1}
        is not renamed C{.2}, nor the file C{.1}.
        """
        log = self.open(None)
        log.write(b"first\n")
        with open(self.path + ".1", "wb") as f:
            f.write(b"logrotate's\n")
        log.rotate()
        log.write(b"second\n")
        self.assertEqual(readBytes(self.path), b"first\nsecond\n")
        self.assertEqual(readBytes(self.path + ".1"), b"logrotate's\n")
        self.assertEqual(sorted(os.listdir(self.directory)),
                         ["ftpkit.log", "ftpkit.log.1"])

    def test_movedNoticedWithoutSize(self):
        """
        Without a size, a file moved away (C{logrotate}'s C{create}
        without C{postrotate}) is noticed at a line all the same.
        """
        log = self.open(0)
        log.write(b"first\n")
        os.rename(self.path, self.path + ".1")
        log.now = lambda: 1e9
        log.write(b"second\n")
        self.assertEqual(readBytes(self.path), b"second\n")
        self.assertEqual(readBytes(self.path + ".1"), b"first\n")

    def test_signalOpensMovedFile(self):
        """
        C{SIGUSR1} without a size, after C{logrotate} moved the file
        away (its C{create} made a new one): the lines go into the new
        file.
        """
        log = self.open(None)
        log.write(b"first\n")
        os.rename(self.path, self.path + ".1")
        with open(self.path, "wb"):
            pass
        log.rotate()
        log.write(b"second\n")
        self.assertEqual(readBytes(self.path), b"second\n")
        self.assertEqual(readBytes(self.path + ".1"), b"first\n")

    def test_fallbackSize(self):
        """
        Where Twisted lacks the names L{MovableLogFile} overrides, its own
        C{LogFile} gets the same size (none for C{0}).
        """
        self.patch(logfiles, "_usable", False)
        self.assertIsNone(self.open(0).rotateLength)
        self.assertEqual(self.open(5000).rotateLength, 5000)
