"""
L{WaitingConnections}: accepted control connections the acceptor of
C{--workers} holds for a moment instead of refusing them at once, each
until what it waits for comes (the owner calls L{WaitingConnections.retry})
or its time is over (it is refused, then closed). What they wait for is
the owner's business: a session to end (L{ftpkit.deploy.overlimit}), a
worker's channel to take a connection again (L{ftpkit.deploy.dispatch}).
No sockets are read or written here.
"""


class WaitingConnections:
    """
    Connections waiting, oldest first, at most a bounded number of them.

    @ivar waiting: C{[connection, about, refusal, timer]} of each, oldest
        first.
    @ivar most: the most connections waiting at once.
    """

    def __init__(self, reactor, admit, refuse, most):
        """
        @param reactor: an C{IReactorTime}.
        @param admit: called with a connection and what the owner said
            about it (L{wait}'s C{about}) on each L{retry}; returns whether
            it was taken care of (its wait is over; the connection is no
            longer this object's).
        @param refuse: called with the connection, C{about} and the
            refusal when its wait is over; the connection is closed
            after.
        @param most: the most connections waiting at once.
        """
        self.reactor = reactor
        self.admit = admit
        self.refuse = refuse
        self.most = most
        self.waiting = []

    def mayWait(self, about):
        """
        @param about: what the owner says about a connection.
        @return: whether it may wait: fewer than L{most} do.
        """
        return len(self.waiting) < self.most

    def wait(self, connection, about, refusal, seconds):
        """
        Hold a connection until a L{retry} admits it or C{seconds} passed,
        if it may wait (L{mayWait}).

        @param connection: the accepted socket (closed here from now on,
            if held).
        @param about: what the owner says about it (its client's address,
            say), given back to C{admit} and C{refuse}.
        @param refusal: the reason it is refused after the wait.
        @param seconds: how long it may wait.
        @return: whether it is held (else the caller refuses and closes
            it now).
        """
        if not self.mayWait(about):
            return False
        entry = [connection, about, refusal, None]
        entry[3] = self.reactor.callLater(seconds, self._expired, entry)
        self.waiting.append(entry)
        return True

    def retry(self):
        """
        What they wait for may have come: admit those that can be, oldest
        first.
        """
        for entry in list(self.waiting):
            connection, about, _, timer = entry
            if entry in self.waiting and self.admit(connection, about):
                self.waiting.remove(entry)
                timer.cancel()

    def _expired(self, entry):
        self.waiting.remove(entry)
        connection, about, refusal, _ = entry
        try:
            self.refuse(connection, about, refusal)
        finally:
            connection.close()

    def stop(self, refusal):
        """
        The server stops: refuse every waiting connection at once, none
        admitted any more, with the refusal of a client that connects
        during the drain (C{refuse}), and close it.

        @param refusal: the reason each is refused.
        """
        waiting, self.waiting = self.waiting, []
        for connection, about, _, timer in waiting:
            timer.cancel()
            try:
                self.refuse(connection, about, refusal)
            finally:
                connection.close()
