"""
L{Linger}: one download socket's lingering close, as its owner (the
L{ftpkit.data.leanconnection.LeanConnection}) and the reactor see it; the
watcher that holds every such wait of a reactor is
L{ftpkit.data.linger.LingerWatcher}.
"""


class Linger:
    """
    One socket's wait, from L{ftpkit.data.linger.lingerOn}. It is the
    L{ftpkit.data.leanconnection.LeanConnection}'s C{user} meanwhile, so that
    an abort ends the wait (L{stopWaiting}, L{connectionAborted}) without
    telling its owner.

    @cvar receiving: it does not receive an upload.
    @ivar socket: the socket, until the wait is over.
    @ivar fd: its descriptor number.
    @ivar ended: the wait is over.
    @ivar watched: the reactor itself watched the socket (see
        L{ftpkit.data.descriptors.closeSocket}).
    @ivar settled: the wait ended where no event the reactor has yet to
        handle can name the socket's number: in the socket's own event, in
        a timed call (no batch of events is being handled then), or while
        the reactor did not watch the socket. Its owner may then close it
        and free the number at once.
    @ivar final: when the wait ends whatever the client did (the
        reactor's C{seconds()}).
    @ivar started: when the wait started (likewise).
    """

    receiving = False
    ended = False
    watched = False
    settled = False
    final = 0.0
    started = 0.0

    def __init__(self, watcher, sock, onEnd):
        """
        @param watcher: the L{ftpkit.data.linger.LingerWatcher} it
            waits in.
        @param sock: the socket.
        @param onEnd: called with no argument once the client has ended
            its side, or the timeout passed.
        """
        self._watcher = watcher
        self.socket = sock
        self.fd = sock.fileno()
        self._onEnd = onEnd

    def fileno(self):
        """
        @return: the socket's descriptor (when the reactor watches it).
        """
        return self.fd

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-linger"

    def doRead(self):
        """
        The client sent something, or ended its side (when the reactor
        watches the socket).
        """
        self._watcher.check(self)

    def connectionLost(self, reason):
        """
        The reactor gave up on the socket: the wait is over.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.end()

    def stopWaiting(self):
        """
        Leave the watcher, before the owner closes the socket; the owner
        is not told.
        """
        if not self.ended:
            self.drop()
            self._watcher.forget(self)

    def drop(self):
        """
        The wait is over, its owner not told, with nothing to leave: the
        watcher forgot it (L{ftpkit.data.linger.LingerWatcher.hold}
        found that the reactor had dropped them both).
        """
        self.ended = True
        self._onEnd = self.socket = None

    def connectionAborted(self):
        """
        The connection was dropped meanwhile (after L{stopWaiting}).
        """
        self.stopWaiting()

    def end(self, settled=True):
        """
        The wait is over: leave the watcher and tell the owner.

        @param settled: see L{settled}.
        """
        if not self.ended:
            self.settled = settled
            onEnd = self._onEnd
            self.stopWaiting()
            onEnd()
