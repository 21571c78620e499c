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
      path names.

Fallback: without C{_openFile}, L{openLogFile} opens Twisted's own
C{LogFile} with the same size (a moved file keeps its lines, and a
C{SIGUSR1} renames the file even without a size, as before).
"""

import fcntl
import os
import stat
import time

from twisted.python import logfile

_usable = callable(getattr(logfile.LogFile, "_openFile", None))

ROTATE_LENGTH = 1000000
"""The size at which C{twistd}'s log file rotates, in bytes (Twisted's
C{LogFile}'s own default)."""

MOVE_LOOK = 1.0
"""Seconds at least between two looks, each at a line written, at whether
the file was moved away."""


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

    def shouldRotate(self):
        """
        @return: whether to rotate before the next line: the file reached
            C{rotateLength} (its size read from the file once the count
            of what was written says so: a file cut short since has
            less, and the count starts again from what it has), or, at
            most once every L{MOVE_LOOK} seconds, it was moved away (as
            C{--xferlog}'s is noticed at its next line, with no signal).
        """
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
        """
        self._mode = stat.S_IMODE(os.fstat(self._file.fileno()).st_mode)
        if not movedAway(self.path, self._file):
            if self.rotateLength:
                logfile.LogFile.rotate(self)
            return
        moved = self._file
        try:
            self._openFile()
        except OSError:
            self._file = moved
            return
        moved.close()


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
