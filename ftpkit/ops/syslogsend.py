"""
Syslog messages sent without ever waiting for the syslog daemon
(L{SyslogSender}), for C{twistd --syslog} in either C{--log-format}.

The C library's C{syslog(3)} (what Python's C{syslog} module and
C{twistd}'s own syslog observer call) sends on a blocking socket: a
syslog daemon that stopped reading (stopped, hung, busy) froze the
server once the socket's queue was full (ten datagrams by default on
Linux, C{net.unix.max_dgram_qlen}): no login answered, C{SIGTERM}
ignored. Here each message goes on a socket of our own, without
blocking, framed as the C library frames it (RFC 3164: C{<PRI>Mmm dd
hh:mm:ss IDENT: TEXT}, the local time, no process id), to the same
socket (L{SYSLOG_SOCKET}): a datagram each, or, to a daemon listening
on a stream socket, each message ended by a C{NUL}. A message the
daemon has no room for is dropped and counted: one message
(L{stalledEvent}, of the time the dropping started) says where it
starts, and one (L{ftpkit.ops.unblockedlog.resumedEvent}) how many were
dropped, both sent once the daemon takes messages again: with the next
message, or by a try every L{RETRY_INTERVAL} seconds while they wait (an
idle server's count waited for its next message, for hours maybe). As
the process stops, the daemon gets L{ftpkit.ops.unblockedlog.EXIT_WAIT}
seconds to take what is still owed (L{SyslogSender.finish}); the
messages whose count it did not take then are counted in one line on
standard error (they were lost without a word). As
with the C library, a message sent where
nothing listens is lost without a word, and each message tries to
connect again (a daemon restarting).
"""

import errno
import select
import socket
import threading
import time
from functools import partial

from twisted.logger import LogLevel

from ftpkit.ops.unblockedlog import EXIT_WAIT, NAMESPACE, resumedEvent, writeNow

SYSLOG_SOCKET = "/dev/log"
"""Where the C library's C{syslog} sends its messages (its
C{_PATH_LOG})."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")

_FACILITY_MASK = 0x3F8
"""C{LOG_FACMASK}: the bits of a priority that are its facility."""

SENT = "sent"
"""L{SyslogSender.sendBytes}: the daemon took the message."""

BLOCKED = "blocked"
"""L{SyslogSender.sendBytes}: the daemon has no room for it now."""

LOST = "lost"
"""L{SyslogSender.sendBytes}: nothing takes it (no daemon listens)."""

RETRY_INTERVAL = 1.0
"""Seconds between the tries to send the messages a L{SyslogSender} owes
(saying that messages were dropped, and how many) while no other
message comes."""


def frame(priority, facility, ident, text, when):
    """
    @param priority: the message's priority, with or without a facility.
    @param facility: the facility of a priority that has none.
    @param ident: the name the message is under (C{twistd}'s C{--prefix}).
    @param text: the message.
    @param when: its time (seconds since the epoch).
    @return: the datagram C{syslog(3)} would send for it (glibc's RFC 3164
        framing, in the C locale, without C{LOG_PID}).
    """
    if not priority & _FACILITY_MASK:
        priority |= facility
    t = time.localtime(when)
    stamp = (f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
             f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}")
    return f"<{priority}>{stamp} {ident}: {text}".encode("utf-8", "replace")


def stalledEvent(when, path):
    """
    @param when: the time (seconds since the epoch).
    @param path: the socket the daemon reads.
    @return: the log event of the message saying where messages start
        being dropped.
    """
    return {"log_time": when, "log_level": LogLevel.warn,
            "log_namespace": NAMESPACE, "ftpkit_event": "log-stalled",
            "log_format": "syslog at {path} takes no more messages: they "
                          "are dropped until it does", "path": path}


class SyslogSender:
    """
    Sends syslog messages without waiting (C{syslog.syslog}'s signature:
    a priority, the text); drops and counts those the daemon has no room
    for. Calls may come from any thread.

    @ivar dropped: the messages dropped since one was last sent.
    @ivar path: the socket the messages go to.
    """

    def __init__(self, ident, facility, describe, path=None,
                 now=time.time, reactor=None, complain=None):
        """
        @param ident: see L{frame}.
        @param facility: see L{frame}.
        @param describe: makes C{(priority, text)} of a log event of this
            sender's own (L{stalledEvent}, L{resumedEvent}), in the format
            of the observer sending through it.
        @param path: see L{path} [default: L{SYSLOG_SOCKET}].
        @param now: the clock of the messages' times.
        @param reactor: provides C{IReactorTime} and C{IReactorThreads},
            for the tries to send what is owed (L{RETRY_INTERVAL}); the
            global one when C{None}.
        @param complain: writes bytes where the process says that
            messages were lost as it stopped (L{finish}) [default:
            standard error, L{writeNow}].
        """
        if reactor is None:
            from twisted.internet import reactor
        self._ident = ident
        self._facility = facility
        self._describe = describe
        self.path = path or SYSLOG_SOCKET
        self._now = now
        self.dropped = 0
        self._owed = []
        self._socket = None
        self._rest = b""
        self._reactor = reactor
        self._retrying = False
        self._complain = complain or partial(writeNow, 2)
        self._lock = threading.Lock()

    def __call__(self, priority, text):
        """
        Send a message now, or drop it (where the daemon has no room, or
        messages of this sender's own wait for room).

        @param priority: see L{frame}.
        @param text: see L{frame}.
        """
        with self._lock:
            if not self._catchUp():
                self.dropped += 1
                return
            if self.sendBytes(self._frame(priority, text)) != BLOCKED:
                return
            self.dropped = 1
            self._owed.append((self._own(stalledEvent(self._now(),
                                                      self.path)), 0))
            retry, self._retrying = not self._retrying, True
        if retry:
            self._reactor.callFromThread(self._retryLater)

    def _retryLater(self):
        """
        In the reactor's thread: try to send what is owed in
        L{RETRY_INTERVAL} seconds.
        """
        self._reactor.callLater(RETRY_INTERVAL, self._retry)

    def _retry(self):
        """
        Send what is owed, if the daemon has room for it now; else try
        again later. Once nothing is owed, no try is left.
        """
        with self._lock:
            owed = not self._catchUp()
            self._retrying = owed
        if owed:
            self._retryLater()

    def _frame(self, priority, text):
        """
        @param priority: see L{frame}.
        @param text: see L{frame}.
        @return: the message's datagram, at this time.
        """
        return frame(priority, self._facility, self._ident, text,
                     self._now())

    def _own(self, event):
        """
        @param event: a log event of this sender's own.
        @return: its datagram.
        """
        return self._frame(*self._describe(event))

    def _catchUp(self):
        """
        Send the messages of this sender's own that wait; once all are
        sent, the count of those dropped meanwhile. With the lock held.

        @return: whether none waits any more.
        """
        while self._owed:
            if self.sendBytes(self._owed[0][0]) == BLOCKED:
                return False
            del self._owed[0]
            if not self._owed and self.dropped:
                self._owed.append((self._own(resumedEvent(self._now(),
                                                          self.dropped)),
                                   self.dropped))
                self.dropped = 0
        return True

    def finish(self, wait=EXIT_WAIT):
        """
        The process stops (the reactor's C{after shutdown} trigger,
        L{finishAtShutdown}): give the daemon C{wait} seconds to take what
        is owed (where the dropping started, how many were dropped); then
        say on standard error how many messages it did not take the count
        of, in one line (syslog itself has no room for it).

        @param wait: seconds.
        """
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._catchUp():
                left = deadline - time.monotonic()
                if left <= 0 or self._socket is None:
                    break
                poller = select.poll()
                poller.register(self._socket.fileno(), select.POLLOUT)
                poller.poll(left * 1000)
            lost = self.dropped + sum(stands for _, stands in self._owed)
            self._owed, self.dropped = [], 0
        if lost:
            self._complain(f"ftpkit: syslog at {self.path} takes no more "
                           f"messages as the process stops: {lost} "
                           f"message(s) lost\n".encode("utf-8", "replace"))

    def sendBytes(self, data):
        """
        @param data: a message, framed (L{frame}).
        @return: L{SENT}, L{BLOCKED} or L{LOST}. A socket refused (the
            daemon restarted) is connected again once, as the C library
            does.
        """
        for _attempt in range(2):
            if self._socket is None:
                self._socket = _connect(self.path)
                if self._socket is None:
                    return LOST
                self._rest = b""
            try:
                if self._socket.type == socket.SOCK_STREAM:
                    self._sendStream(data + b"\0")
                else:
                    self._socket.send(data)
                return SENT
            except BlockingIOError:
                return BLOCKED
            except OSError as e:
                if e.errno == errno.EMSGSIZE:
                    return LOST
                self._socket.close()
                self._socket = None
        return LOST

    def _sendStream(self, data):
        """
        Send a message on a stream socket (a daemon listening as
        C{unix-stream}, where the C library ends each message with a
        C{NUL}): the rest of one sent in part goes first, and a message
        the socket takes in part is sent, its rest kept for the next.

        @param data: the message, its C{NUL} included.
        @raise BlockingIOError: where the socket takes none of it (nor all
            of the rest of the one before).
        """
        if self._rest:
            self._rest = self._rest[self._socket.send(self._rest):]
            if self._rest:
                raise BlockingIOError()
        self._rest = data[self._socket.send(data):]


def finishAtShutdown(sender, reactor=None):
    """
    Have a sender given its last time (L{SyslogSender.finish}) once the
    reactor has stopped (its C{after shutdown} trigger, which runs under
    C{twistd} stopped by C{SIGTERM}, where C{atexit} does not).

    @param sender: a L{SyslogSender}.
    @param reactor: provides C{IReactorCore}; the global one when
        C{None}.
    @return: C{sender}.
    """
    if reactor is None:
        from twisted.internet import reactor
    reactor.addSystemEventTrigger("after", "shutdown", sender.finish)
    return sender


def _connect(path):
    """
    @param path: the socket the daemon reads.
    @return: a socket connected to it that never blocks: a datagram one,
        or a stream one where the daemon listens as one (as the C library
        does); or C{None} where nothing listens there.
    """
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        sock = socket.socket(socket.AF_UNIX, kind | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        try:
            sock.connect(path)
            return sock
        except OSError as e:
            sock.close()
            if e.errno != errno.EPROTOTYPE:
                return None
    return None
