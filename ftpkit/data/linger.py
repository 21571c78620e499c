"""
A lingering close for a download's bare data socket (L{Linger}): after the
last byte, the server's end of the data (a FIN), then a wait for the
client's before the transfer counts as finished, as ProFTPD does.

The final C{226} then leaves only once the client has taken the data
(and, to have connected its reading of the data to the transfer, its
C{150}). Sent at once, a small file's C{226} reaches a client that has not
yet read the C{150}, and aria2c, which reads the two together and then
waits for the socket to say more, hangs until its timeout (it does so
against pyftpdlib too, and, rarely, vsftpd). Every client ftpkit is tested
with closes its data connection when the data ends; one that waits for the
C{226} first gets it after L{LINGER_TIMEOUT}.
"""

import socket

from twisted.internet import defer

LINGER_TIMEOUT = 5.0
"""Seconds a finished download waits for the client to close its side."""

_READ_SIZE = 65536


def peerEnded(sock):
    """
    Read and drop what a socket holds, without waiting (whether the socket
    blocks or not).

    @param sock: the socket.
    @return: whether the peer has ended its side (or the connection
        failed): there is nothing more to wait for.
    """
    while True:
        try:
            data = sock.recv(_READ_SIZE, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True


class Linger:
    """
    Ends a bare socket's sending side and waits, watching it for reading,
    until the client ends its side too (or resets it), or for
    L{LINGER_TIMEOUT} seconds. What the client sends meanwhile is read and
    dropped.

    It is the L{ftpkit.data.connection.LeanConnection}'s C{user} meanwhile,
    so that an abort takes it out of the reactor (L{stopWaiting}) and ends
    the wait (L{connectionAborted}).

    @cvar receiving: it does not receive an upload.
    @ivar done: fires with C{None} once the wait is over.
    @ivar watched: the reactor watched the socket (see
        L{ftpkit.data.descriptors.closeSocket}).
    """

    receiving = False
    watched = False
    _registered = False
    _timer = None

    def __init__(self, reactor, sock, timeout=LINGER_TIMEOUT):
        """
        @param reactor: the reactor.
        @param sock: the connected, non-blocking socket, its data all sent.
        @param timeout: the longest wait, in seconds.
        """
        self.reactor = reactor
        self.socket = sock
        self.timeout = timeout
        self.done = defer.Deferred()

    def start(self):
        """
        Send the end of the data and start waiting, unless the client has
        ended its side already (then L{done} has fired on return).

        @return: L{done}.
        """
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            self._end()
            return self.done
        if peerEnded(self.socket):
            self._end()
            return self.done
        self.reactor.addReader(self)
        self._registered = self.watched = True
        self._timer = self.reactor.callLater(self.timeout, self._end)
        return self.done

    def fileno(self):
        """
        @return: the socket's descriptor.
        """
        return self.socket.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-linger"

    def doRead(self):
        """
        The client sent something, or ended its side.
        """
        if peerEnded(self.socket):
            self._end()

    def connectionLost(self, reason):
        """
        The reactor gave up on the descriptor.
        """
        self._end()

    def stopWaiting(self):
        """
        Leave the reactor (before the socket is closed).
        """
        if self._registered:
            self._registered = False
            self.reactor.removeReader(self)
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def connectionAborted(self):
        """
        The connection was dropped meanwhile: the wait is over.
        """
        self._end()

    def _end(self):
        self.stopWaiting()
        if not self.done.called:
            self.done.callback(None)
