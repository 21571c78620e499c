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
waited. At exit the lines still waiting get at most L{EXIT_WAIT} seconds.

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
"""Seconds a process that exits waits for its reader to take the lines
still waiting; those left are lost."""

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
        (L{stalledEvent}, L{resumedEvent}) from their events, in the
        format of the observer writing to it (L{describedBy}).
    @ivar dropped: the lines dropped since lines were last written.
    @ivar limit: see L{BUFFER_LIMIT}.
    @ivar encoding: the encoding of the text written.
    """

    def __init__(self, fileno, send, encoding="utf-8", errors="strict",
                 reactor=None, limit=BUFFER_LIMIT, now=time.time):
        """
        @param fileno: the descriptor written to (L{unblockedEnd}).
        @param send: writes bytes to it without waiting.
        @param encoding: the encoding of the text written.
        @param errors: how characters it cannot encode are encoded.
        @param reactor: the reactor writing what waits; the global one when
            C{None}.
        @param limit: see L{BUFFER_LIMIT}.
        @param now: the clock of the lines this file adds.
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
        Write C{text} now, or as the reader reads (or drop it: L{admit}).

        @param text: one or more whole lines.
        """
        data = text.encode(self.encoding, self._errors)
        with self._lock:
            if self._broken:
                self.dropped += _lines(data)
                return
            decision = admit(len(self._waiting), len(data), self.limit,
                             self.dropped > 0)
            if decision == KEEP:
                self._waiting += data
            elif decision == START:
                self._waiting += self._line(stalledEvent(self._now(),
                                                         len(self._waiting)))
                self.dropped = _lines(data)
                return
            else:
                self.dropped += _lines(data)
                return
            if self._watched:
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
            except OSError:
                # The reader is gone (EPIPE), the terminal hung up (EIO):
                # for good.
                self._broken = True
                self.dropped += _lines(self._waiting)
                del self._waiting[:]
                return
            del self._waiting[:written]
            if not self._waiting and self.dropped:
                self._waiting += self._line(resumedEvent(self._now(),
                                                         self.dropped))
                self.dropped = 0

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
        The process exits: give the reader C{wait} seconds to take what
        waits; drop the rest.

        @param wait: seconds.
        """
        deadline = time.monotonic() + wait
        with self._lock:
            self._stopped = True
            self._sendWaiting()
            while self._waiting and not self._broken:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                poller = select.poll()
                poller.register(self._fileno, select.POLLOUT)
                poller.poll(left * 1000)
                self._sendWaiting()
            if self._waiting:
                self.dropped += _lines(self._waiting)
                del self._waiting[:]


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


def standardOutput(stdout=None, register=atexit.register):
    """
    @param stdout: the standard output file (C{sys.stdout} when C{None}).
    @param register: registers what runs as the process exits.
    @return: an L{UnblockedLogFile} writing where C{stdout} writes, where
        it is a pipe, FIFO, terminal or stream socket (L{unblockedEnd});
        else C{stdout} itself.
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
    outFile = UnblockedLogFile(*end, encoding=stdout.encoding or "utf-8",
                               errors=stdout.errors or "strict")
    register(outFile.finish)
    return outFile
