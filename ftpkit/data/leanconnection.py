"""
L{LeanConnection}: a passive data connection that is the accepted socket
itself, with no Twisted transport around it, for the zero-copy transfers
of L{ftpkit.data.movers} (C{sendfile} and C{splice}); with the stall
watchdog of L{ftpkit.data.watchdog.WatchedConnection}.
L{ftpkit.data.channel.DataChannel} makes it; the Twisted protocol kind is
L{ftpkit.data.connection.DataConnection}.
"""

import socket

from twisted.internet import defer, error

from ftpkit.data.cork import uncork
from ftpkit.data.descriptors import closeSocket, resetOnClose
from ftpkit.data.linger import LINGER_TIMEOUT, lingerOn
from ftpkit.data.uploaddrain import BareDrain, drainSeconds
from ftpkit.data.watchdog import WatchedConnection
from ftpkit.errors import TransferAborted


class LeanConnection(WatchedConnection):
    """
    A passive data connection used only to send a file with C{sendfile} or
    receive one with C{splice}: the accepted socket itself, with no Twisted
    transport around it, since building and tearing one down is most of
    the cost of sending a small file, and since both move the bytes without
    passing them through Python. L{ftpkit.data.movers} asks for one (and uses
    it).

    Its watchdog starts only when a transfer has to wait for the socket
    (L{watch}): a small file sent at once never needs one. A user calls
    L{watch} whenever it has the reactor watch the socket, and only a
    socket the reactor may have watched keeps its descriptor number taken
    until the reactor's next turn once closed
    (L{ftpkit.data.descriptors.closeSocket}).

    @ivar socket: the connected, non-blocking socket.
    @ivar user: what moves bytes over the socket, or C{None}: before the
        socket is dropped, its C{stopWaiting()} takes it out of the
        reactor; after, its C{connectionAborted()} ends its transfer; its
        C{receiving} says whether it receives an upload.
    """

    bare = True
    isSecure = False
    bytesReceived = 0
    user = None
    _held = False
    _waited = False
    _abortPending = False
    _lingering = False

    def __init__(self, sock, reactor, timeout, currentTransfer):
        """
        @param sock: the accepted socket.
        @param reactor: an L{IReactorTime} for the watchdog.
        @param timeout: seconds without progress before it is dropped.
        @param currentTransfer: see
            L{ftpkit.data.connection.DataConnection.__init__}.
        """
        self.socket = sock
        self.lostReason = None
        self._lostWaiters = []
        self._reactor = reactor
        self._timeout = timeout
        self._currentTransfer = currentTransfer

    @property
    def reactor(self):
        """
        The reactor given to L{__init__}: the one a L{user} has watch the
        socket (adding and removing itself as a reader) and times its
        waits with.
        """
        return self._reactor

    def finish(self, linger=True):
        """
        Close: the kernel sends what is left, then the end of the data;
        after a download, once the client has ended its side too (or
        acknowledged everything, L{lingerOn}), or after L{LINGER_TIMEOUT}
        seconds (L{Linger}).

        @param linger: wait for the client (a download); an upload's
            client has ended its side already.
        @return: a Deferred firing once closed, failing with
            L{TransferAborted} if the connection was dropped before.
        """
        if not linger:
            try:
                self.closeReceived()
            except TransferAborted:
                return defer.fail()
            return defer.succeed(None)
        if self.lostReason is not None:
            return defer.fail(TransferAborted())
        # Every byte is in the kernel now: a client slow to read it is
        # not stalled, and the wait for it is bounded by the linger.
        self._stopWatch()
        lingering = self.user = lingerOn(self._reactor, self.socket,
                                         self._lingered, LINGER_TIMEOUT)
        if lingering is None:
            self._close()
            return defer.succeed(None)
        if lingering.watched:
            self._waited = True
        self._lingering = True
        return self.whenFinished()

    def allSent(self):
        """
        @return: whether a finishing download has sent everything (into
            the kernel, which sends its end after it on L{closeInOrder}):
            it waits for the client (L{finish}).
        """
        return self._lingering

    def closeReceived(self):
        """
        Close after an upload, whose client has ended its side already:
        L{finish} without the linger, and without a Deferred.

        @raise TransferAborted: when the connection was dropped before.
        """
        if self.lostReason is not None:
            raise TransferAborted()
        self._close()

    def _lingered(self):
        linger, self.user = self.user, None
        if linger.settled:
            # Closed at once, its number freed with it: the reactor had
            # taken it out of its set when the wait ended (see unwatched).
            self.unwatched()
        self._close()

    def streamUncorked(self):
        """
        The transfer streams (it is paced, or large): partial segments
        leave as they are sent, rather than held back as a passive
        connection's are when it comes (L{ftpkit.data.cork}).
        """
        uncork(self.socket)

    def _close(self):
        closeSocket(self._reactor, self.socket, self._waited)
        self._ended(error.ConnectionDone())

    def watch(self):
        """
        A transfer waits for the socket (in the reactor, a disk thread or
        a timer): start the watchdog (see L{WatchedConnection.watch}).
        """
        self._waited = True
        WatchedConnection.watch(self)

    def unwatched(self):
        """
        The reactor has not watched the socket since before the events it
        is handling now were fetched: its user took it out of the
        reactor's set in an earlier turn (or in the socket's own event)
        and has not put it back. Closing it then needs no protection of
        its number (L{ftpkit.data.descriptors.closeSocket}), until the
        next L{watch}.
        """
        self._waited = False

    def hold(self):
        """
        A disk thread is about to use the socket: until L{release}, an
        L{abort} waits, so that the descriptor is not closed (and reused)
        under it.
        """
        self._held = True

    def release(self):
        """
        The disk thread is done with the socket: carry out an L{abort}
        asked for meanwhile.

        @return: whether it did.
        """
        self._held = False
        if not self._abortPending:
            return False
        self._abortPending = False
        self.abort()
        return True

    def abort(self):
        """
        Drop the connection at once (a reset), discarding unsent data; the
        transfer using it fails. While a disk thread uses the socket (see
        L{hold}), the socket is closed only once it is done.
        """
        if self.lostReason is not None:
            return
        if self._held:
            self._abortPending = True
            return
        user = self.user
        if user is not None:
            user.stopWaiting()
        resetOnClose(self.socket)
        closeSocket(self._reactor, self.socket, self._waited)
        self._ended(error.ConnectionAborted())
        if user is not None:
            user.connectionAborted()

    def drainRefused(self):
        """
        The upload over this connection was refused (its reply is on its
        way): send the end of the data and drop what the client still
        sends until it ends its side, within the bounds of
        L{ftpkit.data.uploaddrain}, rather than reset it now. A socket a
        disk thread still uses is aborted as before (L{abort}).
        """
        if self.lostReason is not None or isinstance(self.user, BareDrain):
            return
        if self._held or self.user is not None:
            self.abort()
            return
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            self.abort()
            return
        self._waited = True
        self.user = BareDrain(self, drainSeconds(self._timeout))

    def drained(self):
        """
        The client of a refused upload ended its side (L{drainRefused}):
        close, in order.
        """
        drain, self.user = self.user, None
        drain.stopWaiting()
        self._close()

    def closeInOrder(self):
        """
        End the connection at once with a FIN, not a reset (ABOR of a
        download whose writer has stopped): what the kernel holds still
        goes out first. An upload is aborted instead (see
        L{ftpkit.data.connection.DataConnection.closeInOrder}).
        """
        if self.lostReason is not None:
            return
        user = self.user
        if self._held or (user is not None and user.receiving):
            self.abort()
            return
        if user is not None:
            user.stopWaiting()
        closeSocket(self._reactor, self.socket, self._waited)
        self._ended(error.ConnectionAborted())
        if user is not None:
            user.connectionAborted()

    def _peerText(self):
        try:
            peer = self.socket.getpeername()
        except OSError:
            return "unknown"
        return peer[0] if isinstance(peer, tuple) else str(peer)
