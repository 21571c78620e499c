"""
L{OverLimitHolds}: in one process, a control connection over
C{--max-connections} or C{--max-connections-per-ip} waits a moment
(L{ftpkit.deploy.overlimit.RELEASE_WAIT}), unread and ungreeted, for a
session to end before it is refused, by the same rules as the acceptor
of C{--workers} (L{ftpkit.deploy.overlimit.OverLimitWaits}). A client that
cuts its connection and connects again at once (FileZilla and lftp after
a timeout or an error) sends its end and its new connection together,
and the reactor may accept the new one before it reads the old one's
end: the client was refused for the session it had just ended. A
connection waiting is not read, so its own end is not seen either: one
whose client hung up (L{peerHungUp}) makes room for a newer one of it.
"""

from ftpkit.control.hangup import peerHungUp, socketOf
from ftpkit.control.sessionlimits import NOT_ALLOWED
from ftpkit.deploy.overlimit import RELEASE_WAIT, OverLimitWaits
from ftpkit.ops.drain import SHUTTING_DOWN


class _Held:
    """
    A session over a limit, as L{OverLimitWaits} holds it.

    @ivar protocol: the session (a L{ftpkit.control.connectionlife.ConnectionLife}).
    @ivar answered: whether it was admitted or refused (its connection is
        the session's own to close from then on).
    """

    answered = False

    def __init__(self, protocol):
        """
        @param protocol: the session.
        """
        self.protocol = protocol

    def hungUp(self):
        """
        @return: whether its client ended the connection (unread, its
            end is not seen otherwise): L{peerHungUp} of its socket.
        """
        sock = socketOf(self.protocol.transport)
        return sock is not None and peerHungUp(sock)

    def close(self):
        """
        Close the connection of a session neither admitted nor refused
        (its client hung up), unanswered; one answered is the session's
        own to close.
        """
        if not self.answered:
            self.answered = True
            self.protocol.transport.loseConnection()


class OverLimitHolds:
    """
    The sessions of a factory waiting for one to end
    (L{OverLimitWaits}): each is tried again whenever a session ends
    (L{retry}).

    @ivar waits: the L{OverLimitWaits}.
    """

    def __init__(self, reactor, limiter, ipv6PrefixLength):
        """
        @param reactor: an C{IReactorTime}.
        @param limiter: the factory's L{ftpkit.control.policies.ConnectionLimiter}
            (its C{sessionsByHost}: a client has as many connections
            waiting as it has sessions counted).
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client.
        """
        self.waits = OverLimitWaits(
            reactor, self._admit, self._refuse, ipv6PrefixLength,
            lambda client: limiter.sessionsByHost.get(client, 0),
            _Held.hungUp)

    def hold(self, protocol, refusal):
        """
        Hold a session refused over a limit, if it may wait.

        @param protocol: the session (its C{peer}, its C{transport}).
        @param refusal: why its session was refused (one refused by
            C{--allow-from}/C{--deny-from} does not wait).
        @return: whether it waits (its C{admitHeld} or C{refuseHeld} is
            called later; it reads nothing meanwhile); else the caller
            refuses it now.
        """
        if refusal == NOT_ALLOWED:
            return False
        return self.waits.wait(_Held(protocol), protocol.peer, refusal,
                               RELEASE_WAIT)

    def retry(self):
        """
        A session ended: start those waiting that fit now, oldest first.
        """
        if self.waits.waiting:
            self.waits.retry()

    def _admit(self, held, host):
        """
        @return: whether the session started now (or its connection is
            gone): its wait is over.
        """
        if held.protocol.admitHeld():
            held.answered = True
            return True
        return False

    def _refuse(self, held, host, refusal):
        """
        The wait is over: refuse the session (C{421}).
        """
        held.answered = True
        held.protocol.refuseHeld(refusal)

    def stop(self):
        """
        The server stops (its drain begins, or its factory stops): refuse
        the connections still waiting at once, none admitted any more,
        with the C{421} of a client that connects during the drain
        (L{SHUTTING_DOWN}): a session ending in the drain let one in,
        which the drain then did not wait for.
        """
        self.waits.stop(SHUTTING_DOWN)
