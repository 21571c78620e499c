"""
The server's log written to a pipe, a terminal or a stream socket
(standard output: C{twistd -n ftpkit} without C{--logfile}, C{python -m
ftpkit}, a worker's records for the acceptor under C{--workers}) without
ever waiting for its reader (L{UnblockedLogFile}).

Written blocking, a reader that stopped reading (a supervisor, C{| less},
a stopped log shipper, an acceptor busy elsewhere) froze the process
once the pipe was full (64 KiB): no login answered, C{SIGTERM} ignored
until the reader read again. Here the descriptor is opened again without
blocking (L{unblockedEnd}: an open file description of this process's
own, so the flag never reaches the other holders of the pipe or the
terminal, a shell among them), and what the reader has no room for waits
in this process, up to L{BUFFER_LIMIT} bytes, written by the reactor as
the reader reads. Past that, lines are dropped and counted: one line
(L{stalledEvent}) says where the dropping starts, and one
(L{resumedEvent}) how many were dropped, once the reader read all that
waited. As the process stops (the reactor's shutdown, whose C{SIGTERM}
ends the process without running C{atexit}; or its exit) the lines still
waiting get at most L{EXIT_WAIT} seconds, the last part of which is for
the line (L{lostEvent}) counting those the reader did not take. A reader
that closed its end (C{EPIPE}) is told nothing more: one line on
standard error says so (L{writeNow}), and the lines from then on are
neither written nor counted.

The transfer log on a FIFO (L{ftpkit.ops.xferlog}) loses the lines its
pipe has no room for at once: each is a record of its own, whose reader
is a program. This log keeps a reader that is only slow whole.
"""

import atexit
import os
import select
import socket
import stat
import sys
import threading
import time
from functools import partial

from twisted.internet.interfaces import IWriteDescriptor
from twisted.logger import LogLevel, formatEvent
from zope.interface import implementer

BUFFER_LIMIT = 1 << 20
"""Bytes of log lines that may wait in the process for a reader that is
behind, on top of what its pipe holds (64 KiB by default)."""

EXIT_WAIT = 1.0
"""Seconds a process that stops waits for its reader to take the lines
still waiting and the line counting those it did not take; those left
are lost."""

COUNT_SHARE = 0.2
"""The share of L{EXIT_WAIT} kept for the line counting the lines lost
at exit (L{lostEvent}), when the reader did not take them all before."""

KEEP = "keep"
"""L{admit}: keep the line, to be written as the reader reads."""

START = "start"
"""L{admit}: drop the line, the first of a run of dropped lines."""

DROP = "drop"
"""L{admit}: drop the line, dropping already."""

NAMESPACE = "ftpkit.ops.unblockedlog"
"""The namespace of the lines saying that lines were dropped."""


def admit(waiting, size, limit, dropping):
    """
    Decide what becomes of a line written while the reader is behind.

    @param waiting: the bytes waiting for the reader now.
    @param size: the line's bytes.
    @param limit: the most that may wait (L{BUFFER_LIMIT}).
    @param dropping: whether lines are being dropped (until all that
        waits was read).
    @return: L{KEEP}, L{START} or L{DROP}. A line is kept where nothing
        waits, however long it is (it is written at once, as much of it
        as the pipe takes).
    """
    if dropping:
        return DROP
    if waiting and waiting + size > limit:
        return START
    return KEEP


def stalledEvent(when, limit):
    """
    @param when: the time (seconds since the epoch).
    @param limit: the bytes waiting for the reader (L{BUFFER_LIMIT}).
    @return: the log event of the line put where lines start being
        dropped.
    """
    return {"log_time": when, "log_level": LogLevel.warn,
            "log_namespace": NAMESPACE, "ftpkit_event": "log-stalled",
            "log_format": "the log's reader is behind ({limit} bytes wait "
                          "for it): lines are dropped until it read them",
            "limit": limit}


def resumedEvent(when, count):
    """
    @param when: the time (seconds since the epoch).
    @param count: the lines dropped.
    @return: the log event of the line saying how many were dropped, once
        the reader read everything that waited.
    """
    return {"log_time": when, "log_level": LogLevel.warn,
            "log_namespace": NAMESPACE, "ftpkit_event": "log-resumed",
            "log_format": "the log's reader caught up: {count} line(s) "
                          "dropped meanwhile", "count": count}


def lostEvent(when, count):
    """
    @param when: the time (seconds since the epoch).
    @param count: the lines lost.
    @return: the log event of the line saying how many lines the reader
        did not take before the process stopped.
    """
    return {"log_time": when, "log_level": LogLevel.warn,
            "log_namespace": NAMESPACE, "ftpkit_event": "log-lost",
            "log_format": "the log's reader is behind as the process "
                          "stops: {count} line(s) lost", "count": count}


def unsentRest(waiting, midLine, own=()):
    """
    Split what waits for a reader that has no more time.

    @param waiting: the bytes waiting for the reader.
    @param midLine: whether the first of their lines was written in part.
    @param own: C{(end, stands)} for each line among them that the file
        added itself (L{UnblockedLogFile.addOwn}): where it ends in
        C{waiting}, and how many of the log's lines it stands for (none
        for L{stalledEvent}'s, the count it gives for L{resumedEvent}'s
        and L{lostEvent}'s).
    @return: C{(kept, lost)}: the bytes still to write (the rest of a
        line written in part, which a line after it must not be glued
        to), and how many of the log's lines are lost with the others: a
        line of the file's own among them counts as the lines it stands
        for (the one saying that the dropping started was counted as a
        line lost, and one counting lines dropped as one line).
    """
    kept = b""
    if midLine:
        end = waiting.find(b"\n") + 1 or len(waiting)
        kept, waiting = waiting[:end], waiting[end:]
    if not waiting:
        return bytes(kept), 0
    lost = _lines(waiting)
    for end, stands in own:
        if end > len(kept):
            lost += stands - 1
    return bytes(kept), lost


def plainLine(event):
    """
    @param event: a log event.
    @return: its text, as a line (for a file whose observer gave no
        format of its own, L{UnblockedLogFile.formatEvent}).
    """
    return formatEvent(event) + "\n"


def unblockedEnd(descriptor):
    """
    @param descriptor: a descriptor written to (C{1}).
    @return: C{(fileno, send)}: a descriptor of this process's own for the
        same pipe, FIFO, terminal or stream socket, and a callable taking
        bytes that writes what it can of them without waiting (returning
        how many, raising C{BlockingIOError} where it can write none); or
        C{None} for a regular file (whose writes never wait for a reader),
        or where no such end can be had (then the descriptor is written
        as before, blocking).
    """
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError:
        return None
    if stat.S_ISSOCK(mode):
        try:
            own = os.dup(descriptor)
        except OSError:
            return None
        try:
            sock = socket.socket(fileno=own)
        except OSError:
            os.close(own)
            return None
        if sock.type != socket.SOCK_STREAM:
            sock.close()
            return None
        return sock.fileno(), partial(_sendNow, sock)
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return None
    try:
        # Opened again through /proc: a new open file description, whose
        # O_NONBLOCK no other holder of the pipe or terminal shares.
        own = os.open(f"/proc/self/fd/{descriptor}", os.O_WRONLY
                      | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None
    return own, partial(os.write, own)


def writeNow(descriptor, data):
    """
    Write to a descriptor without waiting for its reader: a line on
    standard error, whose reader may have stopped reading (its pipe
    full); where it has no room now, or is gone, the line is lost.

    @param descriptor: the descriptor (C{2}).
    @param data: bytes, a few lines at most.
    @return: whether they were written whole.
    """
    try:
        regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
    except OSError:
        return False
    if regular:
        return _sent(partial(os.write, descriptor), data)
    end = unblockedEnd(descriptor)
    if end is None:
        return False
    try:
        return _sent(end[1], data)
    finally:
        _closeEnd(end[1])


def _sent(send, data):
    """
    @param send: writes bytes (L{unblockedEnd}'s).
    @param data: bytes.
    @return: whether it wrote them whole.
    """
    try:
        return send(data) == len(data)
    except OSError:
        return False


def _closeEnd(send):
    """
    @param send: the sender of an end of L{unblockedEnd}'s, which is
        closed.
    """
    owner = send.args[0]
    if isinstance(owner, socket.socket):
        owner.close()
    else:
        os.close(owner)


def _sendNow(sock, data):
    """
    @param sock: a stream socket.
    @param data: bytes.
    @return: how many of them it took, without waiting.
    """
    return sock.send(data, socket.MSG_DONTWAIT)


@implementer(IWriteDescriptor)
class UnblockedLogFile:
    """
    A text file, as log observers write to, over a descriptor that never
    makes its writer wait (L{unblockedEnd}); what the reader has no room
    for is written by the reactor when it has. Writes may come from any
    thread.

    @ivar formatEvent: makes the text of the lines this file adds itself
        (L{stalledEvent}, L{resumedEvent}, L{lostEvent}) from their
        events, in the format of the observer writing to it
        (L{describedBy}).
    @ivar dropped: the lines dropped since lines were last written (none
        is counted once the reader is gone).
    @ivar limit: see L{BUFFER_LIMIT}.
    @ivar encoding: the encoding of the text written.
    """

    def __init__(self, fileno, send, encoding="utf-8", errors="strict",
                 reactor=None, limit=BUFFER_LIMIT, now=time.time,
                 complain=None):
        """
        @param fileno: the descriptor written to (L{unblockedEnd}).
        @param send: writes bytes to it without waiting.
        @param encoding: the encoding of the text written.
        @param errors: how characters it cannot encode are encoded.
        @param reactor: the reactor writing what waits; the global one when
            C{None}.
        @param limit: see L{BUFFER_LIMIT}.
        @param now: the clock of the lines this file adds.
        @param complain: writes bytes where the process says that the
            reader is gone [default: standard error, L{writeNow}].
        """
        if reactor is None:
            from twisted.internet import reactor
        self._fileno = fileno
        self._send = send
        self.encoding = encoding
        self._errors = errors
        self._reactor = reactor
        self.limit = limit
        self._now = now
        self.formatEvent = plainLine
        self.dropped = 0
        self._waiting = bytearray()
        self._watched = False
        self._stopped = False
        self._broken = False
        self._complain = complain or partial(writeNow, 2)
        self._midLine = False
        self._own = []
        self._linesBy = self._deadline = None
        self._lock = threading.RLock()

    def fileno(self):
        """
        @return: the descriptor written to.
        """
        return self._fileno

    def logPrefix(self):
        """
        @return: the prefix of what is logged about it.
        """
        return "UnblockedLogFile"

    def write(self, text):
        """
        Write C{text} now, or as the reader reads (or drop it: L{admit});
        once L{finish} was called, within what is left of its time.

        @param text: one or more whole lines.
        """
        data = text.encode(self.encoding, self._errors)
        with self._lock:
            if self._broken:
                return
            decision = admit(len(self._waiting), len(data), self.limit,
                             self.dropped > 0)
            if decision == KEEP:
                self._waiting += data
            elif decision == START:
                self.addOwn(stalledEvent(self._now(), len(self._waiting)), 0)
                self.dropped = _lines(data)
                return
            else:
                self.dropped += _lines(data)
                return
            if self._watched:
                return
            if self._deadline is not None:
                self._flushAtExit()
                return
            self._sendWaiting()
            watch = bool(self._waiting) and not self._stopped
            self._watched = watch
        if watch:
            self._reactor.callFromThread(self._watch)

    def flush(self):
        """
        Nothing to do: what is written goes out at once, or as the reader
        reads.
        """

    def _line(self, event):
        """
        @param event: a log event of this file's own.
        @return: its line's bytes.
        """
        return self.formatEvent(event).encode(self.encoding, "replace")

    def addOwn(self, event, stands):
        """
        Add a line of this file's own to what waits. With the lock held.

        @param event: its log event.
        @param stands: how many of the log's lines it stands for, should
            it be lost (L{unsentRest}).
        """
        self._waiting += self._line(event)
        self._own.append((len(self._waiting), stands))

    def _sendWaiting(self):
        """
        Write what waits, as much as the reader has room for; once all of
        it is written, the count of lines dropped meanwhile, if any. With
        the lock held.
        """
        while self._waiting:
            try:
                written = self._send(self._waiting)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            except OSError as e:
                self._readerGone(e)
                return
            if written:
                self._midLine = self._waiting[written - 1] != ord("\n")
            del self._waiting[:written]
            if self._own:
                self._own = [(end - written, stands)
                             for end, stands in self._own if end > written]
            if not self._waiting and self.dropped:
                self.addOwn(resumedEvent(self._now(), self.dropped),
                            self.dropped)
                self.dropped = 0

    def _readerGone(self, error):
        """
        The reader is gone (C{EPIPE}), the terminal hung up (C{EIO}): for
        good. Nothing it could read says so: one line on standard error
        does, and no line is counted from then on. With the lock held.

        @param error: the error writing.
        """
        self._broken = True
        self.dropped = 0
        del self._waiting[:]
        self._own = []
        self._complain(f"ftpkit: the log's reader is gone ({error.strerror}"
                       f"): its lines are lost from now on\n".encode(
                           "utf-8", "replace"))

    def _watch(self):
        """
        In the reactor's thread: write what waits when the reader has
        room.
        """
        if not self._stopped:
            self._reactor.addWriter(self)

    def doWrite(self):
        """
        The reader has room: write what waits; stop watching once all of
        it is written.
        """
        with self._lock:
            self._sendWaiting()
            done = not self._waiting
            if done:
                self._watched = False
        if done:
            self._reactor.removeWriter(self)

    def connectionLost(self, reason):
        """
        The reactor stops: what waits (and what comes after) waits for
        L{finish}.

        @param reason: why.
        """
        with self._lock:
            self._stopped = True
            self._watched = False

    def finish(self, wait=EXIT_WAIT):
        """
        The process stops (a reactor's C{after shutdown} trigger; its
        exit): give the reader C{wait} seconds from the first call to take
        what waits, and the lines written meanwhile, then the line
        counting those it did not take (L{lostEvent}), in the last
        L{COUNT_SHARE} of them; drop the rest.

        @param wait: seconds.
        """
        with self._lock:
            if self._deadline is None:
                start = time.monotonic()
                self._linesBy = start + wait * (1 - COUNT_SHARE)
                self._deadline = start + wait
            self._stopped = True
            self._flushAtExit()

    def _flushAtExit(self):
        """
        Write what waits until L{finish}'s time for lines is over; then
        replace the lines left by the count of them, written until its
        time is over; drop what is left then. With the lock held.
        """
        self._waitFor(self._linesBy)
        if self._waiting and not self._broken:
            kept, lost = unsentRest(self._waiting, self._midLine, self._own)
            lost += self.dropped
            self._waiting[:] = kept
            self._own = [own for own in self._own if own[0] <= len(kept)]
            self.dropped = 0
            if lost:
                self.addOwn(lostEvent(self._now(), lost), lost)
        self._waitFor(self._deadline)
        if self._waiting:
            self.dropped += unsentRest(self._waiting, False, self._own)[1]
            del self._waiting[:]
            self._own = []

    def _waitFor(self, deadline):
        """
        Write what waits as the reader reads, until C{deadline}. With the
        lock held.

        @param deadline: a time of C{time.monotonic}.
        """
        self._sendWaiting()
        while self._waiting and not self._broken:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            poller = select.poll()
            poller.register(self._fileno, select.POLLOUT)
            poller.poll(left * 1000)
            self._sendWaiting()


def _lines(data):
    """
    @param data: bytes of log text.
    @return: the lines they hold (a part of one counting as one).
    """
    return data.count(b"\n") or 1


def describedBy(outFile, format):
    """
    Have an L{UnblockedLogFile} write its own lines in the format of the
    observer writing to it.

    @param outFile: the file an observer writes to (any other is left
        alone).
    @param format: a callable making an event's line (the observer's
        C{formatEvent}).
    """
    if isinstance(outFile, UnblockedLogFile) and callable(format):
        outFile.formatEvent = format


def standardOutput(stdout=None, register=atexit.register, reactor=None):
    """
    @param stdout: the standard output file (C{sys.stdout} when C{None}).
    @param register: registers what runs as the process exits.
    @param reactor: the reactor writing what waits; the global one when
        C{None}.
    @return: an L{UnblockedLogFile} writing where C{stdout} writes, where
        it is a pipe, FIFO, terminal or stream socket (L{unblockedEnd});
        else C{stdout} itself. It is finished (L{UnblockedLogFile.finish})
        once the reactor has stopped (its C{after shutdown} trigger: a
        C{twistd} or C{twist} stopped by C{SIGTERM} ends with that signal,
        which runs no C{atexit} function), and at exit.
    """
    if stdout is None:
        stdout = sys.stdout
    try:
        descriptor = stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return stdout
    end = unblockedEnd(descriptor)
    if end is None:
        return stdout
    try:
        stdout.flush()
    except (OSError, ValueError):
        pass
    if reactor is None:
        from twisted.internet import reactor
    outFile = UnblockedLogFile(*end, encoding=stdout.encoding or "utf-8",
                               errors=stdout.errors or "strict",
                               reactor=reactor)
    reactor.addSystemEventTrigger("after", "shutdown", outFile.finish)
    register(outFile.finish)
    return outFile
