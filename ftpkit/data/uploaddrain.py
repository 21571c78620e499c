"""
How the data connection of an upload the server refused (past
C{--max-upload-size}, a quota, a file that stopped taking bytes) ends: the
refusal's reply (C{552}) must reach the client before anything it can take
for a network error. A connection closed while the client's bytes are
still coming is reset (the kernel answers unread bytes with a RST), and a
client that sees the reset first, as lftp does when it writes into it,
takes it for a broken network and sends the upload again, where C{552}
is permanent (lftp: C{ftpclass.cc}, an error on the data connection while
a reply is awaited reconnects; a C{5xx} reply to C{STOR} is final).

So the connection is drained instead: this side's end is sent (a FIN; under
TLS its close_notify first), and what the client still sends is read and
dropped, never kept, until the client ends its side (having read the
reply, or sent its whole file as curl and ftplib do before they read it),
at most L{DRAIN_BYTES} bytes and L{DRAIN_SECONDS} seconds (never longer
than the data timeout); past either, the connection is reset as before.
L{ftpkit.data.connection.DataConnection.drainRefused} drains a Twisted
transport; L{BareDrain}, a bare socket's
(L{ftpkit.data.leanconnection.LeanConnection.drainRefused}).
"""

import socket

DRAIN_BYTES = 8 << 20
"""The most bytes a refused upload's connection reads and drops before it
is reset: the bytes a client has in flight when the reply reaches it (its
socket buffers and the network's), with room to spare."""

DRAIN_SECONDS = 5.0
"""The longest a refused upload's connection is drained (less when the
data timeout is shorter) before it is reset."""

_READ_SIZE = 65536
_buffer = bytearray(_READ_SIZE)
"""What a bare drain reads into and drops (reactor thread only)."""


def drainSeconds(timeout):
    """
    @param timeout: the data timeout, in seconds.
    @return: how long a refused upload's connection is drained.
    """
    return min(DRAIN_SECONDS, timeout)


class BareDrain:
    """
    The drain of a bare socket whose sending side was shut down: the
    reactor watches it, and each read drops what the socket holds. It is
    the L{ftpkit.data.leanconnection.LeanConnection}'s C{user} meanwhile,
    so that an abort of the connection stops it (L{stopWaiting}).

    @cvar receiving: it does not receive an upload.
    """

    receiving = False
    _watching = False

    def __init__(self, connection, seconds):
        """
        Start draining.

        @param connection: the L{ftpkit.data.leanconnection.LeanConnection};
            told C{drained()} once the client ended its side, C{abort()}
            past the bounds.
        @param seconds: the longest drain.
        """
        self._connection = connection
        self.fd = connection.socket.fileno()
        self._left = DRAIN_BYTES
        reactor = connection.reactor
        self._timer = reactor.callLater(seconds, connection.abort)
        self._watching = True
        reactor.addReader(self)

    def fileno(self):
        """
        @return: the socket's descriptor.
        """
        return self.fd

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-drain"

    def doRead(self):
        """
        Drop what the socket holds; the client's end (or an error) ends
        the drain, too many bytes abort the connection.
        """
        sock = self._connection.socket
        while True:
            try:
                read = sock.recv_into(_buffer, _READ_SIZE,
                                      socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                read = 0
            if not read:
                self._connection.drained()
                return
            self._left -= read
            if self._left < 0:
                self._connection.abort()
                return

    def connectionLost(self, reason):
        """
        The reactor gave up on the socket: drop the connection.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._watching = False
        self._connection.abort()

    def stopWaiting(self):
        """
        Stop watching the socket and timing the drain (before the socket
        is closed).
        """
        if self._watching:
            self._watching = False
            self._connection.reactor.removeReader(self)
        if self._timer.active():
            self._timer.cancel()

    def connectionAborted(self):
        """
        The connection was dropped (after L{stopWaiting}): nothing more.
        """
