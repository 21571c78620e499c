"""
L{ListenerPool}: passive listeners whose connection has been accepted,
kept for a while for the next PASV/EPSV of any session of the server.

A data connection's listener costs a socket, a bind (often several: ports
in use are skipped), a listen and a close: a visible share of a small
file's time (C{docs/benchmark-history.rst}).
One C{PASV} serves one data connection: what a pooled listener queues,
a second connection the client made (queued behind its first, or made
after it) or a stranger's, is reset by the pool (L{refuse}; the port is
nobody's, so nothing is logged) within L{SWEEP_INTERVAL} seconds and
when L{take} hands the listener on, instead of waiting unanswered until
the next session took the port or the pool closed it. The pool sweeps
its listeners on a timer rather than having the reactor watch each one:
watching costs every download an C{epoll} registration and its removal,
a share of a small file's instructions worth saving
(C{docs/benchmark-investigations.rst}, C{bench-pool-23});
the sweep, one C{getsockopt} per pooled listener a second. (Stopping it
listening, C{shutdown} then C{listen} again, would cost each reuse a walk
of every C{TIME_WAIT} connection its port holds: thousands, on a busy
port.) Since a listener is reused only after whatever queued on it has
been refused (L{ftpkit.data.passive.PassiveListener.discardQueued}) and
every connection is checked against the session's peer when accepted, a
port handed to one session after another is no easier to steal than a
new one.

Only listeners on the kernel's ephemeral range are pooled: a configured
C{--passive-ports} range is usually small, and a pooled port would be one
fewer for the sessions. A pooled listener is closed after C{keep} seconds.
"""

from ftpkit.data.refusals import reset

SWEEP_INTERVAL = 1.0
"""Seconds between two sweeps of the pooled listeners' queues."""


def refuse(sock, address):
    """
    Reset a connection a pooled listener got: nobody waits for it
    (L{ftpkit.data.refusals.reset}: its client, if it waited for a
    transfer, sees an error, not an empty file).

    @param sock: the accepted socket.
    @param address: where it comes from.
    """
    reset(sock)


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
        self._sweeping = None
        self.listeners = []

    def give(self, listener):
        """
        Keep a listener for reuse, or close it when it is not poolable or
        the pool is full.

        @param listener: a L{ftpkit.data.passive.PassiveListener} nobody
            watches; kept, what it queues is refused by L{_sweep} and
            L{take}.
        """
        if (self.closed or listener.portRange is not None
                or len(self.listeners) >= self._size):
            listener.stopListening()
            return
        # Let go of the session that used it.
        listener.onAccept = listener.admits = None
        listener.releasedAt = self._reactor.seconds()
        self.listeners.append(listener)
        if self._purging is None:
            self._purging = self._reactor.callLater(self._keep, self._purge)
        if self._sweeping is None:
            self._sweeping = self._reactor.callLater(SWEEP_INTERVAL,
                                                     self._sweep)

    def take(self, interface):
        """
        @param interface: the local address the listener must be bound for.
        @return: the most recently released listener for C{interface},
            its queue emptied, or C{None}.
        """
        for index in range(len(self.listeners) - 1, -1, -1):
            if self.listeners[index].interface == interface:
                listener = self.listeners.pop(index)
                listener.discardQueued(refuse)
                return listener
        return None

    def _sweep(self):
        """
        Close what the pooled listeners queued (L{refuse}), and sweep
        again in L{SWEEP_INTERVAL} seconds while any is kept.
        """
        self._sweeping = None
        for listener in self.listeners:
            listener.discardQueued(refuse)
        if self.listeners:
            self._sweeping = self._reactor.callLater(SWEEP_INTERVAL,
                                                     self._sweep)

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
        elif self._sweeping is not None:
            self._sweeping.cancel()
            self._sweeping = None

    def closeAll(self):
        """
        Close every pooled listener, and each one given from now on: the
        server is stopping, and its sessions, ending after it stopped
        listening, give back theirs.
        """
        self.closed = True
        for call in (self._purging, self._sweeping):
            if call is not None:
                call.cancel()
        self._purging = self._sweeping = None
        listeners, self.listeners = self.listeners, []
        for listener in listeners:
            listener.stopListening()

    def reopen(self):
        """
        Keep listeners again (the server listens again).
        """
        self.closed = False
