"""
L{OverLimitWaits}: under C{--workers}, a connection over
C{--max-connections} or C{--max-connections-per-ip} waits a little
(L{RELEASE_WAIT}) for a session to end before the acceptor refuses it.

A worker tells the acceptor that a session ended a moment after its client
got its last reply, so without the wait a client that quits and reconnects
at once would be refused for the session it just ended. A client
(L{ftpkit.protocol.limitkeys.limitKey}) has as many connections waiting
as it has sessions counted that may be ending (one at least), and
L{MOST_WAITING} wait in all: a client flooding the server must not make
it hold descriptors. No sockets are read or written here: the acceptor
(L{ftpkit.deploy.workers.WorkerPool}) admits and refuses; one process
holds its connections over a limit likewise
(L{ftpkit.control.overlimitholds}), since it may read the end of a
client's connection after the client's next one.
"""

from ftpkit.deploy.waiting import WaitingConnections
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


class OverLimitWaits(WaitingConnections):
    """
    Connections over a limit, waiting a little for a session to end
    (L{RELEASE_WAIT}) before they are refused: whenever one ends (a
    worker reports it, or one process's factory sees it), each is tried
    again, oldest first (L{retry}). Each waits
    with its client's address (the C{about} of L{WaitingConnections}); a
    client (L{limitKey}) has at most as many waiting as it has sessions
    counted (one at least: a session of another client may end), and
    L{MOST_WAITING} wait in all: a client flooding the server must not
    make it hold descriptors, and only a client reconnecting after its
    sessions ended has reason to wait, each connection for one of them
    (FileZilla's two connections, cut by a timeout, come back at once).
    """

    def __init__(self, reactor, admit, refuse,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 sessionsOf=lambda client: 0, hungUp=lambda connection: False):
        """
        @param reactor: an C{IReactorTime}.
        @param admit: called with a connection and its client's address
            when a session ended; returns whether it was admitted (and
            closed).
        @param refuse: called with the connection, the address and the
            refusal when the wait is over; the connection is closed after.
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client (L{limitKey}).
        @param sessionsOf: called with a client (its L{limitKey}), returns
            how many sessions of it are counted: as many of its
            connections may wait (one at least).
        @param hungUp: called with a waiting connection, returns whether
            its client ended it (L{ftpkit.control.hangup.peerHungUp}):
            one waiting is not read, so its end is not seen otherwise.
        """
        WaitingConnections.__init__(self, reactor, admit, refuse,
                                    MOST_WAITING)
        self.ipv6PrefixLength = ipv6PrefixLength
        self.sessionsOf = sessionsOf
        self.hungUp = hungUp

    def wait(self, connection, host, refusal, seconds):
        """
        Hold a connection as L{WaitingConnections.wait} does; where none
        more may wait (L{mayWait}), those whose client hung up meanwhile
        are closed first, unanswered, to make room: a client that cut its
        connection and connected again must not be refused for the one it
        left.

        @param connection: see L{WaitingConnections.wait}.
        @param host: its client's address.
        @param refusal: see L{WaitingConnections.wait}.
        @param seconds: see L{WaitingConnections.wait}.
        @return: whether it is held.
        """
        if not self.mayWait(host):
            self._closeHungUp()
        return WaitingConnections.wait(self, connection, host, refusal,
                                       seconds)

    def _closeHungUp(self):
        """
        Close the waiting connections whose client ended them.
        """
        for entry in list(self.waiting):
            connection, _, _, timer = entry
            if self.hungUp(connection):
                self.waiting.remove(entry)
                timer.cancel()
                connection.close()

    def mayWait(self, host):
        """
        @param host: a connection's client address.
        @return: whether it may wait: fewer connections of its client wait
            than it has sessions counted (or none, when it has none),
            and fewer than L{MOST_WAITING} do in all.
        """
        if not WaitingConnections.mayWait(self, host):
            return False
        client = limitKey(host, self.ipv6PrefixLength)
        waiting = sum(limitKey(each[1], self.ipv6PrefixLength) == client
                      for each in self.waiting)
        return waiting < max(1, self.sessionsOf(client))
