"""
C{twistd --logfile}'s file (L{MovableLogFile}, opened by L{openLogFile}):
rotated as C{twistd}'s own is (on C{SIGUSR1}, and at each megabyte, or
the size C{--log-rotate-size} gives; with a size of C{None}, never:
C{logrotate} rotates it, and C{SIGUSR1} only opens the file at the path
again where it was moved away), unless something moved it away first
(C{logrotate} without C{copytruncate}, C{mv}): then it is opened again
at its path, where C{twistd}'s did nothing (its C{rotate} needs a file
at the path) and every later line went on into the moved file, which
C{logrotate} then compresses or removes. It is written appending
(C{O_APPEND}), so a file cut short under it (C{logrotate}'s
C{copytruncate}) gets its next line at its new end, where C{twistd}'s
wrote it at the old offset, after as many zero bytes. Its size, which
C{twistd}'s counts from the writes it made, is read from the file again
before a rotation at that size: a file cut short under it was renamed
C{NAME.1} as soon as the count, not the file, reached the size (after a
C{copytruncate} of a full file, at its next line). A move is noticed at
the first line written a second or more after the last look, without a
signal, as the transfer log's (L{ftpkit.ops.xferlog}) is at its next
line: a C{logrotate} without C{postrotate} (or C{copytruncate}) left the
lines going into the moved file until the next C{SIGUSR1} or rotation.

C{twisted.python.logfile.LogFile} says nothing public of its open file,
so this reads and overrides:

    - C{LogFile._openFile}: where it opens (and reopens) its file, to set
      C{O_APPEND} on it and to open it again after a move;
    - C{BaseLogFile._file}: the open file, to compare it with what the
      path names;
    - C{LogFile.rotate}'s renaming, done here in a thread (L{MovableLogFile.rotate})
      with C{LogFile.listLogs} and C{maxRotatedFiles}.

Fallback: without C{_openFile}, L{openLogFile} opens Twisted's own
C{LogFile} with the same size (a moved file keeps its lines, and a
C{SIGUSR1} renames the file even without a size, as before).
"""

import fcntl
import os
import stat
import threading
import time

from twisted.python import logfile

_usable = callable(getattr(logfile.LogFile, "_openFile", None))

ROTATE_LENGTH = 1000000
"""The size at which C{twistd}'s log file rotates, in bytes (Twisted's
C{LogFile}'s own default)."""

MOVE_LOOK = 1.0
"""Seconds at least between two looks, each at a line written, at whether
the file was moved away."""

SHIFT_RETRY = 60.0
"""Seconds after a rotation's renaming failed before another is tried
(each line past the size would try one)."""


def movedAway(path, opened):
    """
    @param path: the path a log file was opened at.
    @param opened: that open file.
    @return: whether C{path} no longer names C{opened}: nothing is there,
        or another file (one C{logrotate}'s C{create} made); C{False}
        where C{path} cannot be looked at (then C{twistd}'s rotation
        decides, as before).
    """
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    mine = os.fstat(opened.fileno())
    return (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino)


class MovableLogFile(logfile.LogFile):
    """
    A L{logfile.LogFile} whose rotation, once its file was moved away,
    opens a new file at its path instead of renaming anything, which
    renames nothing without a C{rotateLength}, and which always writes
    at the file's end.

    @ivar now: the clock of the looks at a move (L{MOVE_LOOK}).
    """

    now = staticmethod(time.monotonic)
    _looked = None
    _mode = None
    """The mode of the file before a rotation, for the file it makes."""
    _shifting = False
    """Whether a thread renames the rotated files now (L{_shift})."""
    _shifted = False
    """Whether the file was renamed C{.1} by that thread: the next line
    opens a new one at the path."""
    _shiftFailed = None
    """When (L{now}) the last renaming failed, or C{None}."""

    @staticmethod
    def startShift(shift):
        """
        Run the renaming of a rotation (L{_shift}) in a thread of its own,
        one the process waits for as it exits (a renaming cut short would
        leave a number missing).

        @param shift: a callable taking no argument.
        """
        threading.Thread(target=shift, name="ftpkit log rotation").start()

    def shouldRotate(self):
        """
        @return: whether to rotate before the next line: the file reached
            C{rotateLength} (its size read from the file once the count
            of what was written says so: a file cut short since has
            less, and the count starts again from what it has), or, at
            most once every L{MOVE_LOOK} seconds, it was moved away (as
            C{--xferlog}'s is noticed at its next line, with no signal).
        """
        if self._shifted:
            # Renamed .1 by the thread: a new file at the path (unless a
            # look at a move opened one already).
            self._shifted = False
            return movedAway(self.path, self._file)
        if self.rotateLength and self.size >= self.rotateLength:
            self.size = os.fstat(self._file.fileno()).st_size
            if self.size >= self.rotateLength:
                return True
        now = self.now()
        if self._looked is not None and now - self._looked < MOVE_LOOK:
            return False
        self._looked = now
        return movedAway(self.path, self._file)

    def _openFile(self):
        """
        Open the file as L{logfile.LogFile} does, then set C{O_APPEND}
        on it; a file it made (after a rotation, or a move) gets the mode
        of the file before it. C{twistd} made the first before it became
        a daemon, under the umask it was started with (C{0644} under
        C{022}), and the next under its daemon's C{077}: a log its
        readers (a C{adm} group, a shipper) could read until the first
        C{SIGUSR1}, and not after. A file found at the path (made by
        C{logrotate}'s C{create}) keeps its own.
        """
        made = not os.path.exists(self.path)
        logfile.LogFile._openFile(self)
        descriptor = self._file.fileno()
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags | os.O_APPEND)
        if made and self._mode is not None:
            os.fchmod(descriptor, self._mode)

    def rotate(self):
        """
        Rotate the file as L{logfile.LogFile} does; or, where the file
        was moved away, write from now on to the file at the path (made
        if there is none). A file that cannot be opened there (its
        directory removed) leaves the lines going to the moved one, as
        C{twistd}'s rotation leaves them where it cannot rotate. Without
        a C{rotateLength} a file still at its path is left as it is
        (C{logrotate} names the rotated files).

        The renaming (C{NAME.N} to C{NAME.N+1} for each rotated file, then
        the file to C{NAME.1}) runs in a thread (L{startShift}), the lines
        going on into the file meanwhile; the first line after it opens a
        new file at the path (as after a move). In the reactor, C{twistd}'s
        renamed every rotated file at each rotation: 66 ms with 1,000 of
        them beside the log, 1.4 s with 20,000 (measured; a megabyte of
        log each, by default, and none ever removed). A C{SIGUSR1} while
        the files are renamed does nothing more; a file past its size
        rotates again at the first line after the renaming.
        """
        self._mode = stat.S_IMODE(os.fstat(self._file.fileno()).st_mode)
        if not movedAway(self.path, self._file):
            if not self.rotateLength:
                return
            self._rotateInThread()
            if not self._shifted:
                return
            # Renamed already (L{startShift} ran it at once).
            self._shifted = False
        moved = self._file
        try:
            self._openFile()
        except OSError:
            self._file = moved
            return
        moved.close()

    def _rotateInThread(self):
        """
        Start the renaming of a rotation (L{_shift}), unless one runs, or
        the last failed less than L{SHIFT_RETRY} seconds ago, or the file
        or its directory cannot be written (as C{twistd}'s rotation does
        nothing then).
        """
        if self._shifting or (
                self._shiftFailed is not None
                and self.now() - self._shiftFailed < SHIFT_RETRY):
            return
        if not (os.access(self.directory, os.W_OK)
                and os.access(self.path, os.W_OK)):
            return
        self.flush()
        self._shifting = True
        self.startShift(self._shift)

    def _shift(self):
        """
        Rename each rotated file C{NAME.N} to C{NAME.N+1}, highest first
        (or remove it, past C{maxRotatedFiles}), then the file to
        C{NAME.1}, as C{twistd}'s rotation does (in a thread: see
        L{rotate}).
        """
        try:
            for number in reversed(self.listLogs()):
                old = f"{self.path}.{number}"
                if (self.maxRotatedFiles is not None
                        and number >= self.maxRotatedFiles):
                    os.remove(old)
                else:
                    os.rename(old, f"{self.path}.{number + 1}")
            os.rename(self.path, self.path + ".1")
        except OSError:
            self._shiftFailed = self.now()
        else:
            self._shifted = True
        finally:
            self._shifting = False


def openLogFile(path, rotateLength=ROTATE_LENGTH):
    """
    @param path: the path of C{twistd --logfile}'s file.
    @param rotateLength: the size at which it rotates, in bytes; C{None}
        (or C{0}) for never.
    @return: an open L{MovableLogFile} there; a C{LogFile} where Twisted
        no longer has the names it overrides.
    """
    factory = MovableLogFile if _usable else logfile.LogFile
    return factory.fromFullPath(path, rotateLength=rotateLength or None)
