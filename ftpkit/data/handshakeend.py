"""
How a download's data connection under TLS ends when its transfer
finished before the connection's handshake was done, or the handshake's
deadline passed first: an active connection a listing or an empty file's
download takes before its handshake
(L{ftpkit.data.movers.Mover.takesBeforeHandshake}, its deadline kept by
L{ftpkit.data.adopting.timeHandshake}).

A client that has sent nothing at all on it (not even the start of its
handshake), and to which nothing was written, may be one that never
starts the TLS of such a connection and waits for the C{226} (curl 7.87
and 7.88): it had nothing to receive, and gets the end of the TCP
connection, L{SILENT_CLIENT_TIMEOUT} seconds after its transfer finished
or at the handshake's deadline, whichever comes first. Until session 55
a deadline under those seconds (C{--data-timeout} 2 or less) aborted it
instead: such an empty listing got C{150} then C{426}.
"""

from twisted.internet import defer

SILENT_CLIENT_TIMEOUT = 2.0
"""Seconds an empty download under TLS waits for a client that has sent
nothing on its data connection, not even its handshake, before ending the
connection without TLS: curl 7.87 and 7.88 never start the TLS of a
connection the server opened (active mode) and wait for the C{226}
(pyftpdlib, vsftpd, ProFTPD and Pure-FTPd wait with it until it gives
up). Clients that want the empty TLS stream send their handshake as soon
as they accept the connection."""


class EndBeforeHandshake:
    """
    The end of a data connection under TLS finished, or whose handshake's
    deadline passed, before its handshake was done: a mixin of
    L{ftpkit.data.connection.DataConnection}, which provides C{_reactor},
    C{_finishing}, C{_handshakeWaiters}, C{_endTLS}, C{abort},
    C{transport} (the TLS layer) and C{socketTransport}.

    @ivar _endedSilent: the connection was ended without TLS, its client
        silent: its download is complete.
    """

    _silenceCall = None
    _endedSilent = False
    _overdue = False
    _lingering = True

    def _finishBeforeHandshake(self, linger):
        """
        The transfer finished before the handshake is done: end the TLS
        once it is; a download whose client stays silent, nothing written
        to it, ends without TLS after L{SILENT_CLIENT_TIMEOUT} seconds
        (L{_endSilent}), or at once when the handshake's deadline passed
        already (L{_endOverdue}).

        @param linger: whether it is a download (see
            L{ftpkit.data.connection.DataConnection.finish}).
        """
        self._lingering = linger
        waiter = defer.Deferred()
        waiter.addCallback(lambda _: self._endTLS(linger))
        self._handshakeWaiters.append(waiter)
        if self._overdue:
            self._endOverdue()
        elif linger:
            self._silenceCall = self._reactor.callLater(
                SILENT_CLIENT_TIMEOUT, self._endSilent)

    def handshakeOverdue(self):
        """
        The handshake's deadline passed, the transfer having taken the
        connection before it. A client that sent something, or one
        something was written to, cannot complete its transfer without
        TLS: the connection is aborted (the transfer gets C{426}). A
        silent one to which nothing was written ends as L{_endSilent}
        ends it: now if its transfer finished, else as soon as it does.
        """
        self._overdue = True
        if not self._silentUnwritten():
            self.abort()
        elif self._finishing:
            self._endOverdue()

    def _endOverdue(self):
        """
        The transfer finished and the handshake's deadline passed, the
        handshake not done: end a silent download's connection without
        TLS, nothing written to it, else abort it.
        """
        self._cancelSilence()
        if self._lingering and self._silentUnwritten():
            self._endWithoutTLS()
        else:
            self.abort()

    def _endSilent(self):
        """
        A download under TLS ended before its handshake, and
        L{SILENT_CLIENT_TIMEOUT} seconds passed: if its client has sent
        nothing since the connection was made and nothing was written
        (an empty file or listing), end the TCP connection in order,
        which completes the download; else keep waiting (the handshake's
        deadline bounds it: L{handshakeOverdue}).
        """
        self._silenceCall = None
        if self._silentUnwritten():
            self._endWithoutTLS()

    def _silentUnwritten(self):
        """
        @return: whether the client has sent no byte on the connection and
            nothing was written to it.
        """
        return self.transport.peerSilent and not self.transport.wroteData

    def _endWithoutTLS(self):
        """
        End the TCP connection in order, its download complete.
        """
        self._endedSilent = True
        self.socketTransport.loseConnection()

    def _cancelSilence(self):
        """
        Stop waiting for a silent client (L{_endSilent}).
        """
        silence, self._silenceCall = self._silenceCall, None
        if silence is not None and silence.active():
            silence.cancel()
