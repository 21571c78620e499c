"""
C{--xferlog PATH}: the transfer log format of wu-ftpd, which vsftpd,
ProFTPD and Pure-FTPd also write and tools such as ProFTPD's C{ftpstats}
read. One line per file transfer, finished (C{c}) or not (C{i})::

    Mon Nov 30 06:10:00 2026 1 10.0.0.1 1000 /pub/a.bin b _ i r alice ftp 0 alice c

The fields: the time the transfer ended, its length in whole seconds
(L{transferSeconds}), the client's address, the bytes moved, the path as the user
sees it, the type (C{a} ASCII, C{b} binary), the special-action flag
(C{_}: none), the direction (C{o} out, C{i} in), the access mode (C{a}
anonymous, C{r} real user), the user name, the service (C{ftp}), the
authentication method (C{0}: no RFC 931 look-up), the authenticated user
id (the user name a password was checked for; C{*} for anonymous users,
who proved nothing; C{ftpstats -u USER} selects on this field) and the
completion status. Fields are split at white space by their readers,
so white space and control characters in a path or user name become
C{_} (L{_UNSAFE}), as do the marks that reorder the text a terminal
shows.

A transfer that failed before its data connection opened (C{425}: a
C{RETR} of an existing file with no C{PASV} first) moved nothing, and a
client can have one as fast as it sends the command: a session gets
L{ftpkit.ops.eventlog.REFUSAL_LINES} lines of them a minute, as in the
server's log (whose C{refusals-not-logged} line counts the others). They
had a line each, with the file's whole path: 8-byte C{RETR f} commands
in a deep directory appended some 4 KB each.
"""

import errno
import fcntl
import os
import re
import stat
import time

from twisted.logger import Logger

from ftpkit.ops import events
from ftpkit.ops.eventlog import REFUSAL_LINES
from ftpkit.ops.logthrottle import LogThrottle
from ftpkit.protocol.replies import DIRECTION_CONTROLS

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")
_UNSAFE = re.compile(
    f"[\\s\x00-\x1f\x7f-\x9f\udc80-\udc9f{DIRECTION_CONTROLS}]")
"""White space, the C0 and C1 controls, as characters or as the bytes of a
name that is not UTF-8 (its surrogates: written back as bytes 0x80 to
0x9f, an 8-bit terminal's C1 controls), and the controls of the text's
direction (a terminal shows what follows them reordered)."""


def _field(text):
    """
    @return: C{text} with white space and control characters as C{_}
        (C{_} for an empty or missing value).
    """
    return _UNSAFE.sub("_", text) if text else "_"


def formatTime(when):
    """
    @param when: seconds since the epoch.
    @return: the local time in C{ctime} form, C{"Mon Nov  3 06:10:00
        2026"}, with English names whatever the locale.
    """
    t = time.localtime(when)
    return "%s %s %2d %02d:%02d:%02d %d" % (
        _DAYS[t.tm_wday], _MONTHS[t.tm_mon - 1], t.tm_mday, t.tm_hour,
        t.tm_min, t.tm_sec, t.tm_year)


def transferSeconds(event):
    """
    The transfer-time field, which xferlog(5) defines as the total time
    in seconds for the transfer.

    @param event: an L{events.TRANSFER} event.
    @return: its length rounded to the nearest whole second (0 for one
        shorter than half a second, as ProFTPD and Pure-FTPd write it;
        vsftpd writes at least 1, which a sum of times over many small
        transfers overstates); 0 for a transfer that failed before its
        data connection was ready (L{events.Event.beforeData}), which
        moved nothing, however long its command waited (ProFTPD's 0 too).
    """
    if event.beforeData:
        return 0
    return round(event.seconds)


def formatLine(event):
    """
    @param event: an L{events.Event} of kind L{events.TRANSFER}.
    @return: its xferlog line, ending with a line feed.
    """
    user = _field(event.user)
    return "%s %d %s %d %s %s _ %s %s %s ftp 0 %s %s\n" % (
        formatTime(event.time),
        transferSeconds(event),
        _field(event.peer),
        event.bytes,
        _field(event.path),
        "b" if event.binary else "a",
        "i" if event.upload else "o",
        "a" if event.anonymous else "r",
        user,
        "*" if event.anonymous else user,
        "c" if event.code == 226 else "i",
    )


_FLAGS = os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC
"""The flags the transfer log is opened with, besides its access mode:
appending, and never waiting (for a FIFO's reader, or room in its
pipe)."""

_NO_READER = (errno.ENXIO, errno.EPIPE)
"""The errors of a FIFO that nothing reads (at its opening, at a write)."""

_held = {}
"""Writers' ends of FIFOs the start's check of C{--xferlog} opened, by
path (L{holdFifo}), until the L{XferLog} of that path takes one."""


def openForAppending(path):
    """
    Open C{path} as the transfer log opens it, creating a missing file:
    what the start's check of C{--xferlog} tries. A FIFO's descriptor is
    kept for the L{XferLog} that will write it (L{holdFifo}), not closed:
    a log shipper reading it as C{cat} does (waiting for a writer, then
    reading until the last writer goes) took the close of the check's,
    the server's only writer then, for the end of its input, and was gone
    before the first line.

    @param path: the transfer log's path.
    @raise OSError: when it cannot be opened (C{ENXIO}: a FIFO nothing
        reads).
    """
    fd = os.open(path, os.O_WRONLY | _FLAGS | os.O_CREAT, 0o640)
    if stat.S_ISFIFO(os.fstat(fd).st_mode):
        old = _held.pop(path, None)
        _held[path] = fd
        if old is not None:
            os.close(old)
    else:
        os.close(fd)


def _reason(error):
    """
    @param error: the C{OSError} of a line that could not be written.
    @return: why, as text: the system's error, said plainly for a FIFO
        whose reader is behind or gone.
    """
    if error.errno == errno.EAGAIN:
        return "a FIFO whose reader is behind (its pipe is full)"
    if error.errno in _NO_READER:
        return "a FIFO nothing reads"
    return str(error)


class XferLog:
    """
    Subscribes to L{events.TRANSFER} events and appends their lines to a
    file. Each line is one C{write} to a file opened C{O_APPEND}, so the
    worker processes of C{--workers} can share it; a file renamed away
    (by logrotate, say) is noticed and a new one started.

    A write the file system cuts short (its disk full) leaves part of a
    line: the next line written to that file, by this process or another
    sharing it, starts on a new line, so that readers see one broken line
    rather than two joined. The processes take an exclusive C{flock} on
    the file around looking at its last byte and writing, without ever
    waiting for it: a lock held elsewhere (by another program) must not
    stall the server, so the line is then appended as it is, as it is to
    a file the server may write but not read, or a FIFO (after a line
    feed only where this process's own last line there was cut short).

    The file is opened without blocking (C{O_NONBLOCK}), so that no
    write can stall the reactor: a FIFO (a log shipper's) whose reader
    is behind, or gone, loses the lines it has no room for, counted as
    lines that failed, where a blocking write held the whole server (no
    connection served, C{SIGTERM} ignored) once the pipe was full. A
    FIFO is opened for writing only, so that the server never holds a
    reader's end of it: with no reader, each line is lost (and the FIFO
    opened again at the next), as ProFTPD's log (opened without
    blocking) and vsftpd's (a process per session) never stall more
    than one session.

    The first line that cannot be written is an error in the log; the
    next failures of that file are not logged, and the first line
    written again afterwards logs how many were lost.

    @ivar lost: how many lines have failed (wholly or in part) since the
        last one written; C{0} while the file is written.
    """

    log = Logger()

    def __init__(self, path, clock=None, late=False):
        """
        @param path: the file to append to (created if missing). One that
            cannot be opened now (the options checked it at start: a
            worker of C{--workers} started again after its directory was
            removed, say) is opened at each transfer, its first failure
            logged, as one that became unusable later is.
        @param clock: the C{IReactorTime} timing the lines of transfers
            that failed before their data connection; the reactor when
            C{None}.
        @param late: open the file at the first line, not now: the
            acceptor of C{--workers} writes one only for a worker that
            died, and, started as root, would make a file its workers
            (the C{--uid} account) could not write.
        """
        if clock is None:
            from twisted.internet import reactor as clock
        self._unopened = LogThrottle(clock, burst=REFUSAL_LINES)
        self.path = path
        self._fd = None
        self._inode = None
        self._cut = False
        self.lost = 0
        if late:
            return
        try:
            self._open()
        except OSError:
            # Logged with the first transfer's line that fails.
            self._fd = None

    def _open(self):
        held = _held.pop(self.path, None)
        if held is not None:
            self._fd, self._readable = held, False
            self._inode = os.fstat(held).st_ino
            return
        try:
            fifo = stat.S_ISFIFO(os.stat(self.path).st_mode)
        except FileNotFoundError:
            fifo = False
        if fifo:
            # For writing only, and at once: see below, and the closing
            # of a writer's end (openForAppending).
            self._fd = os.open(self.path, os.O_WRONLY | _FLAGS)
            self._readable = False
            self._inode = os.fstat(self._fd).st_ino
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | _FLAGS | os.O_CREAT,
                               0o640)
            self._readable = True
        except PermissionError as e:
            # A file it may write but not read; with no file at all, the
            # reason is the one above (no new file in that directory).
            try:
                self._fd = os.open(self.path, os.O_WRONLY | _FLAGS)
            except FileNotFoundError:
                raise e from None
            self._readable = False
        opened = os.fstat(self._fd)
        if stat.S_ISFIFO(opened.st_mode) and self._readable:
            # Made a FIFO since the look above. Opened for reading too,
            # the server would hold a reader's end: the lines would wait
            # in the pipe, its own reader gone. The writer's end is
            # opened before this one is closed, never leaving the FIFO
            # without a writer (its reader's end of input).
            both, self._fd = self._fd, os.open(self.path,
                                               os.O_WRONLY | _FLAGS)
            os.close(both)
            self._readable = False
        self._inode = opened.st_ino

    def _reopenIfMoved(self):
        try:
            moved = (self._fd is None
                     or os.stat(self.path).st_ino != self._inode)
        except FileNotFoundError:
            moved = True
        if moved:
            self.close()
            self._open()

    def _append(self, line):
        """
        Append C{line}, after a line feed when the file ends in part of a
        line (cut short by a full disk, in any process).

        @param line: the line's bytes.
        @return: how many of them were written.
        @raise OSError: when nothing could be.
        """
        if not self._readable:
            return self._appendUnread(line)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._appendUnread(line)
        try:
            end = os.fstat(self._fd).st_size
            cut = end > 0 and os.pread(self._fd, 1, end - 1) != b"\n"
            ending = b"\n" if cut else b""
            return os.write(self._fd, ending + line) - len(ending)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _appendUnread(self, line):
        """
        Append C{line} to a file whose end this process cannot read (one
        it may not read, or locked elsewhere, or a FIFO), after a line
        feed when its own last write there was cut short (in a FIFO's
        pipe, a line longer than C{PIPE_BUF} that it had only part of
        the room for).

        @param line: the line's bytes.
        @return: how many of them were written.
        @raise OSError: when nothing could be.
        """
        ending = b"\n" if self._cut else b""
        written = os.write(self._fd, ending + line) - len(ending)
        self._cut = written < len(line)
        return written

    def __call__(self, event):
        """
        @param event: a L{events.TRANSFER} event to log.
        """
        if event.beforeData and self._unopened.admit(event.session) is None:
            # No count is kept for a line (the format has none).
            self._unopened.takeSkipped(event.session)
            return
        line = formatLine(event).encode("utf-8", "surrogateescape")
        try:
            self._reopenIfMoved()
            written = self._append(line)
        except OSError as e:
            if e.errno in _NO_READER:
                # Opened again at the next line: a reader may be back.
                self.close()
            self._failed("{error}", error=_reason(e))
            return
        if written < len(line):
            self._failed("{written} of a line's {size} bytes written "
                         "(disk full?)",
                         written=max(written, 0), size=len(line))
        elif self.lost:
            self.log.info("the transfer log {path} is written again; "
                          "{lost} line(s) lost or cut meanwhile",
                          path=self.path, lost=self.lost)
            self.lost = 0

    def _failed(self, why, **fields):
        """
        Count a line that failed, logging the first of a run.

        @param why: the format of the reason.
        @param fields: its fields.
        """
        if not self.lost:
            self.log.error("cannot write the transfer log {path}: " + why
                           + " (further failures are not logged until a "
                           "line is written again)", path=self.path,
                           **fields)
        self.lost += 1

    def subscribeTo(self, hub):
        """
        @param hub: the L{events.EventHub} whose transfers to log.
        """
        hub.subscribe(self, [events.TRANSFER])

    def close(self):
        """
        Close the file.
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
