"""
L{ListenerPool}: passive listeners whose connection has been accepted,
kept for a while for the next PASV/EPSV of any session of the server.

A data connection's listener costs a socket, a bind (often several: ports
in use are skipped), a listen and a close: a visible share of a small
file's time (C{docs/benchmark-history.rst}).
One C{PASV} serves one data connection: while pooled, a listener is
watched by the reactor and every connection it gets is closed at once
(L{refuse}), a second one the client made (queued behind its first, or
made after it) and a stranger's alike, instead of waiting unanswered in
its queue until the next session took the port or the pool closed it.
(Stopping it listening, C{shutdown} then C{listen} again, would cost each
reuse a walk of every C{TIME_WAIT} connection its port holds: thousands,
on a busy port.) Since a listener is reused only after whatever queued on
it in the last moment has been refused
(L{ftpkit.data.passive.PassiveListener.discardQueued}) and every
connection is checked against the session's peer when accepted, a port
handed to one session after another is no easier to steal than a new one.

Only listeners on the kernel's ephemeral range are pooled: a configured
C{--passive-ports} range is usually small, and a pooled port would be one
fewer for the sessions. A pooled listener is closed after C{keep} seconds.
"""


def refuse(sock, address):
    """
    Close a connection a pooled listener got: nobody waits for it.

    @param sock: the accepted socket.
    @param address: where it comes from.
    """
    sock.close()


class ListenerPool:
    """
    Listeners kept for reuse, most recently released first.

    @ivar listeners: the pooled listeners, oldest first.
    @ivar closed: L{closeAll} was called (and not L{reopen}): listeners
        given are closed, not kept.
    """

    closed = False

    def __init__(self, reactor, keep, size=64):
        """
        @param reactor: an L{IReactorTime}.
        @param keep: seconds a listener is kept unused.
        @param size: the most listeners kept.
        """
        self._reactor = reactor
        self._keep = keep
        self._size = size
        self._purging = None
        self.listeners = []

    def give(self, listener):
        """
        Keep a listener for reuse, or close it when it is not poolable or
        the pool is full.

        @param listener: a L{ftpkit.data.passive.PassiveListener} nobody
            watches; kept, the reactor watches it for connections to
            refuse until L{take} gives it.
        """
        if (self.closed or listener.portRange is not None
                or len(self.listeners) >= self._size):
            listener.stopListening()
            return
        # Let go of the session that used it; refuse what comes meanwhile.
        listener.admits = None
        listener.onAccept = refuse
        listener.startReading()
        listener.releasedAt = self._reactor.seconds()
        self.listeners.append(listener)
        if self._purging is None:
            self._purging = self._reactor.callLater(self._keep, self._purge)

    def take(self, interface):
        """
        @param interface: the local address the listener must be bound for.
        @return: the most recently released listener for C{interface}, no
            longer watched, or C{None}.
        """
        for index in range(len(self.listeners) - 1, -1, -1):
            if self.listeners[index].interface == interface:
                listener = self.listeners.pop(index)
                listener.stopReading()
                listener.onAccept = None
                return listener
        return None

    def _purge(self):
        """
        Close the listeners kept for C{keep} seconds.
        """
        self._purging = None
        deadline = self._reactor.seconds() - self._keep
        while self.listeners and self.listeners[0].releasedAt <= deadline:
            self.listeners.pop(0).stopListening()
        if self.listeners:
            wait = self.listeners[0].releasedAt + self._keep - self._reactor.seconds()
            self._purging = self._reactor.callLater(max(wait, 0), self._purge)

    def closeAll(self):
        """
        Close every pooled listener, and each one given from now on: the
        server is stopping, and its sessions, ending after it stopped
        listening, give back theirs.
        """
        self.closed = True
        if self._purging is not None:
            self._purging.cancel()
            self._purging = None
        listeners, self.listeners = self.listeners, []
        for listener in listeners:
            listener.stopListening()

    def reopen(self):
        """
        Keep listeners again (the server listens again).
        """
        self.closed = False
