"""
What every kind of data connection has (L{WatchedConnection}): a watchdog
that drops it once no byte has moved for a while, and the Deferreds of
those waiting for its end. L{ftpkit.data.connection.DataConnection} and
L{ftpkit.data.leanconnection.LeanConnection} are such connections; both
end a transfer's wait for their end with L{checkFinished} (a lean one
through L{WatchedConnection.whenFinished}).
"""

import fcntl
import struct
import termios

from twisted.internet import defer, error
from twisted.logger import Logger

from ftpkit.data.stallsweep import sweepFor
from ftpkit.errors import TransferAborted

_QUEUED = struct.Struct("i")

_UNREAD = object()
"""What a watch has read of the kernel's queue before its first look."""


def unacknowledged(sock):
    """
    @param sock: a TCP socket, or C{None}.
    @return: the bytes the kernel holds on it that its peer has not
        acknowledged yet (C{TIOCOUTQ}), or C{None} where it cannot tell
        (no socket, a closed one).
    """
    if sock is None:
        return None
    try:
        return _QUEUED.unpack(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                          b"\0" * _QUEUED.size))[0]
    except (OSError, ValueError):
        return None


def checkFinished(reason):
    """
    @param reason: why a finishing data connection ended.
    @return: C{reason}, if it ended in order.
    @raise TransferAborted: if it did not.
    """
    if not isinstance(reason, error.ConnectionDone):
        raise TransferAborted()
    return reason


class WatchedConnection:
    """
    What every kind of data connection has: a watchdog that drops it when
    no byte has moved for C{_timeout} seconds (neither received nor sent by
    the session's transfer over it, whose C{bytesMoved()} counts
    C{sendfile} progress, nor taken by the client from what the kernel
    holds for it: a socket whose send buffer is full becomes writable
    again only once a third of it has drained, longer than the timeout
    for a client reading slowly but steadily), and L{whenLost}.

    The connections of one reactor and timeout are looked at together, by
    one timer (L{ftpkit.data.stallsweep.StallSweep}).

    Subclasses set C{_reactor}, C{_timeout}, C{_currentTransfer},
    C{bytesReceived}, C{lostReason} and C{_lostWaiters}, and provide
    C{abort()} and C{_peerText()}; a bare connection its C{socket}, a
    Twisted one its C{socketTransport}.

    @ivar timedOut: the watchdog dropped the connection.
    """

    log = Logger()
    bare = False
    timedOut = False
    _sweep = None
    _finishWaiter = None

    @property
    def ending(self):
        """
        @return: whether the connection has ended (L{whenLost} fires at
            once), or is about to (a subclass whose transport ends first).
        """
        return self.lostReason is not None

    def whenLost(self):
        """
        @return: a Deferred firing with the reason (an exception, such as
            L{twisted.internet.error.ConnectionDone}) once the connection has
            ended (at once if it already has).
        """
        if self.lostReason is not None:
            return defer.succeed(self.lostReason)
        waiter = defer.Deferred()
        self._lostWaiters.append(waiter)
        return waiter

    def _ended(self, reason):
        """
        Stop the watchdog and tell everyone waiting in L{whenLost}, then
        the finishing transfer waiting in L{whenFinished}.

        @param reason: why the connection ended (an exception).
        """
        if self._sweep is not None:
            # (Most transfers end never watched: no call then.)
            self._stopWatch()
        self.lostReason = reason
        waiters, self._lostWaiters = self._lostWaiters, []
        for waiter in waiters:
            waiter.callback(reason)
        finishing, self._finishWaiter = self._finishWaiter, None
        if finishing is not None:
            if isinstance(reason, error.ConnectionDone):
                finishing.callback(reason)
            else:
                finishing.errback(TransferAborted())

    def whenFinished(self):
        """
        L{whenLost} with L{checkFinished} (for one waiter, the transfer
        finishing): its Deferred is fired with the outcome itself rather
        than through a callback of its own, which a download's resumed
        command paid for on every file whose client had not closed its
        side yet when the data ended.

        @return: a Deferred firing with the reason once the connection
            has ended in order, failing with L{TransferAborted} once it
            has ended otherwise (at once if it has).
        """
        if self.lostReason is not None:
            return defer.maybeDeferred(checkFinished, self.lostReason)
        waiter = self._finishWaiter = defer.Deferred()
        return waiter

    def watch(self):
        """
        Start the watchdog, unless it runs already or the connection has
        ended.
        """
        if self._sweep is None and self.lostReason is None:
            self._startWatch()

    def _startWatch(self):
        self._lastMoved = self._bytesMoved()
        # The queue is first read at the first look, not here: a system
        # call fewer for a transfer that ends before it (most do).
        self._lastQueued = _UNREAD
        self._lastMovedAt = self._reactor.seconds()
        self._sweep = sweepFor(self._reactor, self._timeout)
        self._sweep.add(self)

    def _stopWatch(self):
        sweep, self._sweep = self._sweep, None
        if sweep is not None:
            sweep.remove(self)

    def _transfer(self):
        transfer = self._currentTransfer()
        if transfer is not None and transfer.connection is self:
            return transfer
        return None

    def _watchedSocket(self):
        """
        @return: the TCP socket: a bare connection's own, else the one
            beneath its transport (under TLS too); C{None} if there is
            none.
        """
        sock = getattr(self, "socket", None)
        if sock is None:
            handle = getattr(getattr(self, "socketTransport", None),
                             "getHandle", None)
            try:
                sock = handle() if handle is not None else None
            except AttributeError:
                # Twisted's TCP transport drops its socket as the
                # connection is lost: the client's end of the control
                # connection can come in the same turn (a killed client).
                sock = None
        return sock

    def _bytesMoved(self):
        transfer = self._transfer()
        if transfer is None:
            return self.bytesReceived
        return self.bytesReceived + transfer.bytesMoved()

    def look(self, now):
        """
        The watchdog's look, from its sweep: drop the connection if no
        byte has moved for the timeout.

        @param now: the reactor's time.
        """
        moved = self._bytesMoved()
        queued = unacknowledged(self._watchedSocket())
        drained = (self._lastQueued is not _UNREAD
                   and queued != self._lastQueued)
        self._lastQueued = queued
        if moved != self._lastMoved or drained:
            self._lastMoved, self._lastMovedAt = moved, now
        elif now - self._lastMovedAt >= self._timeout:
            self._stalled()

    def _stalled(self):
        peer = self._peerText()
        self.log.warn("data connection from {peer} idle for {timeout}s; "
                      "closing", peer=peer, timeout=self._timeout)
        self.timedOut = True
        transfer = self._transfer()
        if transfer is not None:
            transfer.mover.abort()
        self.abort()
