"""
What a session's control connection holds that it has not run yet
(L{PendingInput}, a mixin of L{ftpkit.control.connection.FTPProtocol}),
for an upload about to commit its file: in stream mode an upload ends
when the client closes its data connection, and a client that cuts its
upload closes it too, and sends C{ABOR}. Both reach the server together;
taken in the wrong order (the data connection's end first, in the same
batch of the reactor's events), the upload committed what it had as
complete (C{226}) and the C{ABOR} found nothing to abort (C{225}). An
upload that ends in order looks here first
(L{ftpkit.data.movers.Upload}): while the control connection holds input
(bytes in its socket, or a line read and not run), the commit waits
until the session has read and run it, so that an C{ABOR} that arrived
with the data connection's end, or before it, aborts the upload.
"""

import fcntl
import termios

from twisted.internet import defer

from ftpkit.control.hangup import socketOf
from ftpkit.protocol.commands import abortAmong

INPUT_WAIT = 1.0
"""Most seconds an upload's commit waits for the session to read the
input its control connection holds: a TLS record that has not all
arrived, for one, is read only once it has."""

_NOTHING = bytes(4)
"""What C{FIONREAD} gives for a socket with nothing to read."""


def unreadBytes(sock):
    """
    @param sock: a socket (any thread may ask).
    @return: whether the kernel holds bytes received on it that were not
        read yet; C{False} for a closed socket.
    """
    # A buffer of its own (disk threads ask too), and a writable one:
    # given bytes, ioctl first fails to take them as a writable buffer,
    # and that failure (an exception made and cleared) was most of the
    # call's cost (docs/benchmark-investigations.rst, bench-abor-25).
    count = bytearray(4)
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
    except (OSError, ValueError):
        return False
    return count != _NOTHING


class PendingInput:
    """
    Tells whether the session holds input it has not run, and when it
    has read it. The session gives C{_closed}, C{_queue}, C{paused},
    C{_repliesBlocked}, C{_afterHangup},
    C{_buffer} (L{twisted.protocols.basic.LineReceiver}'s),
    C{transport} and C{reactor}; L{inputRead} is called once each read
    has run its lines, and when the connection is lost.
    """

    _inputWaiters = None
    _inputTimer = None
    _inputSocket = None

    def inputPending(self):
        """
        Whether the session holds input it will read and run soon: bytes
        in its socket, or a line it read and has not run. Input it holds
        while it reads no commands, for too many waiting or replies its
        client leaves unread, is not: it will not run before the running
        command ends. Called from any thread (an upload's disk thread):
        it only reads.

        @return: C{True} or C{False}.
        """
        if (self._closed or self._queue.full or self._repliesBlocked
                or self._afterHangup is not None):
            # Nor is what a client that hung up sent: the session only
            # looks for a QUIT in it (ftpkit.control.readingcontrol).
            return False
        if self.paused and b"\n" in self._buffer:
            # Lines of a read that ran its turn's (LINES_PER_TURN).
            return True
        sock = self._inputSocket
        if sock is None:
            sock = self._inputSocket = socketOf(self.transport)
            if sock is None:
                return False
        return unreadBytes(sock)

    def abortRead(self):
        """
        Whether an C{ABOR} is among the lines the session read with the
        running command and has not run yet (the client sent them in one
        write): it will act on the command as soon as the command waits.

        @return: C{True} or C{False}.
        """
        return abortAmong(self._buffer)

    def whenInputRead(self):
        """
        @return: a Deferred that fires (with C{None}) once the session
            has read what it holds and run its lines (L{inputRead}), lost
            its connection, or waited L{INPUT_WAIT} seconds.
        """
        waiting = defer.Deferred()
        if self._inputWaiters is None:
            self._inputWaiters = []
            self._inputTimer = self.reactor.callLater(INPUT_WAIT,
                                                      self._inputWaited)
        self._inputWaiters.append(waiting)
        return waiting

    def inputRead(self):
        """
        A read ran its lines, or the connection ended: fire what
        L{whenInputRead} gave, unless the session still holds input (a
        read of nothing, when reading resumes, came first).
        """
        if self._inputWaiters is not None and not self.inputPending():
            self._inputWaited()

    def _inputWaited(self):
        """
        Fire what L{whenInputRead} gave.
        """
        waiters, self._inputWaiters = self._inputWaiters, None
        timer, self._inputTimer = self._inputTimer, None
        if timer.active():
            timer.cancel()
        for waiting in waiters:
            waiting.callback(None)
