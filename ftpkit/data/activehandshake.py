"""
The TLS handshake of a data connection this server opened (C{PORT} or
C{EPRT} under C{PROT P}): the transfer gets the connection only once its
handshake is done and accepted (L{ActiveHandshake}), as a passive one
under C{PROT P} does (L{ftpkit.data.handshakes}). One that ends first (its
client closed it, sent bytes that are not TLS, or the session's TLS policy
refused it) or runs out of time (L{handshakeDeadline}) fails the transfer
with C{425}, no byte of its file read, no upload's file touched, and its
reason in one log line (L{failureText}).

Before session 54 the transfer got the connection as soon as it was made:
a client that never started its handshake got C{150}, then C{426}, the
server having read up to a megabyte of the file into the TLS layer, and
with a C{--data-timeout} under the handshake timeout the idle watchdog,
not the handshake's deadline, ended it (a second log line).
"""

from OpenSSL import SSL
from twisted.internet.error import ConnectionDone
from twisted.logger import Logger

from ftpkit.control.tls import describeTLSError
from ftpkit.data.hosts import endpointText

_log = Logger()


def handshakeDeadline(handshakeTimeout, dataTimeout):
    """
    @param handshakeTimeout: the seconds a data connection has for its
        TLS handshake (L{ftpkit.data.handshakes.HANDSHAKE_TIMEOUT}).
    @param dataTimeout: the session's data timeout (C{--data-timeout}),
        which bounds the wait for a data connection too.
    @return: the seconds an active connection has, from when it is made,
        to complete its handshake: the shorter of the two, so that one
        deadline decides (the idle watchdog of the connection starts only
        once the handshake is done).
    """
    return min(handshakeTimeout, dataTimeout)


def failureText(reason, timedOut, seconds, refused):
    """
    Say why an active data connection's handshake never let a transfer
    start (a pure function of what L{ActiveHandshake} saw).

    @param reason: the exception the connection ended with.
    @param timedOut: whether its deadline ended it.
    @param seconds: that deadline.
    @param refused: whether the session's TLS policy refused the
        completed handshake (C{--tls-require-session-reuse}).
    @return: the text of the C{425} and of its log line.
    """
    if timedOut:
        return "TLS handshake not done within %gs" % (seconds,)
    if refused:
        return ("TLS handshake refused: its session does not resume the "
                "control connection's (session reuse required)")
    if isinstance(reason, SSL.Error):
        return "TLS handshake failed: %s" % (describeTLSError(reason),)
    if isinstance(reason, ConnectionDone):
        return "closed by the client before its TLS handshake"
    return "lost before its TLS handshake"


class ActiveHandshake:
    """
    An active data connection under TLS, made, whose handshake a transfer
    waits for: its deadline, and which of C{passed} or C{failed} is told
    (once; neither after L{cancel}).

    @ivar connection: the L{ftpkit.data.connection.DataConnection}.
    """

    __slots__ = ("connection", "_peer", "_seconds", "_timer", "_timedOut",
                 "_passed", "_failed")

    def __init__(self, reactor, connection, seconds, passed, failed):
        """
        @param reactor: provides IReactorTime.
        @param connection: the connection, just made.
        @param seconds: its deadline (L{handshakeDeadline}).
        @param passed: called with C{connection} once its handshake is
            accepted.
        @param failed: called with the reason's text (L{failureText}) if
            it ends first; the connection is aborted at its deadline.
        """
        self.connection = connection
        peer = connection.socketTransport.getPeer()
        self._peer = endpointText(peer.host, peer.port)
        self._seconds = seconds
        self._timedOut = False
        self._passed = passed
        self._failed = failed
        self._timer = reactor.callLater(seconds, self._expire)
        connection.whenSecured().addCallback(self._secured)
        connection.whenLost().addCallback(self._lost)

    def _expire(self):
        """
        The deadline came first: abort the connection (L{_lost} follows).
        """
        self._timer = None
        self._timedOut = True
        self.connection.abort()

    def _done(self):
        """
        @return: the callbacks C{(passed, failed)} still to be told, once
            only (C{None}s afterwards); the timer is cancelled.
        """
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
        callbacks = self._passed, self._failed
        self._passed = self._failed = None
        return callbacks

    def _secured(self, ignored):
        passed, _ = self._done()
        if passed is not None:
            passed(self.connection)

    def _lost(self, reason):
        _, failed = self._done()
        if failed is None:
            return
        connection = self.connection
        text = failureText(reason, self._timedOut, self._seconds,
                           connection.tlsRefused)
        if not connection.tlsRefused:
            # (A refusal of the policy logs its own line.)
            _log.warn("active data connection to {peer}: {why}; 425",
                      peer=self._peer, why=text)
        failed(text)

    def cancel(self):
        """
        The channel is done with the transfer (C{ABOR}, the session's
        end, another C{PORT}): abort the connection, telling nobody.
        """
        self._done()
        self.connection.abort()

