"""
L{OverLimitWaits}: under C{--workers}, a connection over
C{--max-connections} or C{--max-connections-per-ip} waits a little
(L{RELEASE_WAIT}) for a session to end before the acceptor refuses it.

A worker tells the acceptor that a session ended a moment after its client
got its last reply, so without the wait a client that quits and reconnects
at once would be refused for the session it just ended. Only one
connection per client (L{ftpkit.protocol.limitkeys.limitKey}), and
L{MOST_WAITING} in all, wait: a client flooding the server must not make
it hold descriptors. No sockets are read or written here: the acceptor
(L{ftpkit.deploy.workers.WorkerPool}) admits and refuses.
"""

from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

RELEASE_WAIT = 2.0
"""
Seconds a connection over C{--max-connections} or
C{--max-connections-per-ip} waits for a session that counts against it to
end before it is refused. A worker tells the acceptor that a session ended
a moment after its client got the last reply (C{221}): a client that
reconnects at once must not be refused for the session it just ended, as
a single process, which releases the session before its reply leaves,
never refuses it.
"""

MOST_WAITING = 64
"""The most connections waiting for a session to end (L{RELEASE_WAIT})."""


class OverLimitWaits:
    """
    Connections over a limit, waiting a little for a session to end
    (L{RELEASE_WAIT}) before they are refused: whenever a worker reports
    one ended, each is tried again, oldest first.

    @ivar waiting: C{[connection, host, refusal, timer]} of each, oldest
        first.
    """

    def __init__(self, reactor, admit, refuse,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
        """
        @param reactor: an C{IReactorTime}.
        @param admit: called with a connection and its client's address
            when a session ended; returns whether it was admitted (and
            closed).
        @param refuse: called with the connection, the address and the
            refusal when the wait is over; the connection is closed after.
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client (L{limitKey}): one connection per client waits.
        """
        self.reactor = reactor
        self.admit = admit
        self.refuse = refuse
        self.ipv6PrefixLength = ipv6PrefixLength
        self.waiting = []

    def wait(self, connection, host, refusal, seconds):
        """
        Hold a connection until a session ends or C{seconds} passed,
        unless another one from its client (L{limitKey}) waits already, or
        L{MOST_WAITING} do in all (a client flooding the server must not
        make it hold descriptors: only a client reconnecting after its
        session ended has reason to wait).

        @param connection: the accepted socket (closed here from now on,
            if held).
        @param host: the client's address.
        @param refusal: the reason it is refused after the wait.
        @param seconds: how long it may wait.
        @return: whether it is held (else refuse and close it now).
        """
        client = limitKey(host, self.ipv6PrefixLength)
        if len(self.waiting) >= MOST_WAITING or any(
                limitKey(each[1], self.ipv6PrefixLength) == client
                for each in self.waiting):
            return False
        entry = [connection, host, refusal, None]
        entry[3] = self.reactor.callLater(seconds, self._expired, entry)
        self.waiting.append(entry)
        return True

    def retry(self):
        """
        A session ended: admit those that fit now.
        """
        for entry in list(self.waiting):
            connection, host, _, timer = entry
            if entry in self.waiting and self.admit(connection, host):
                self.waiting.remove(entry)
                timer.cancel()

    def _expired(self, entry):
        self.waiting.remove(entry)
        connection, host, refusal, _ = entry
        try:
            self.refuse(connection, host, refusal)
        finally:
            connection.close()

    def stop(self):
        """
        Close every waiting connection unanswered (the server stops).
        """
        waiting, self.waiting = self.waiting, []
        for connection, _, _, timer in waiting:
            timer.cancel()
            connection.close()
