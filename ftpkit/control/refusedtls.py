"""
L{RefusedHandshakes}: the connections of an implicit-TLS listener refused
as their session starts (over C{--max-connections} or
C{--max-connections-per-ip}, in one process) that wait for their TLS
handshake to tell them so.

Such a client reads its C{421} under TLS, once the handshake is done
(C{docs/tls.rst}); one that never sends its C{ClientHello} was held for
the whole closing time (C{closeTimeout}), each connection with its TLS
layer, and counted against no limit, being refused: one address opening
connections as fast as it could and sending nothing held thousands of
descriptors (and some 75 KB each) past its limit. Now only
L{PER_CLIENT} of a client's
(L{ftpkit.protocol.limitkeys.limitKey}) and L{MOST_HELD} in all wait
so; the others get L{ftpkit.deploy.listening.TLS_REFUSAL} in clear at
once, as the acceptor of C{--workers} gives every client it refuses.
"""

from ftpkit.control.policies import ConnectionLimiter
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH

PER_CLIENT = 2
"""The most refused connections of one client that wait for their
handshake: a client over its limit by one or two connections (a second
transfer connection of FileZilla, say) still reads why."""

MOST_HELD = 64
"""The most refused connections that wait for their handshake in all."""


class RefusedHandshakes(ConnectionLimiter):
    """
    Counts the refused connections waiting for their handshake, by
    client, as L{ConnectionLimiter} counts sessions (L{release} is its).
    """

    def __init__(self, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 perClient=PER_CLIENT, mostHeld=MOST_HELD):
        """
        @param ipv6PrefixLength: the bits of an IPv6 address that name its
            client (L{ftpkit.protocol.limitkeys.limitKey}).
        @param perClient: the most that wait for one client.
        @param mostHeld: the most that wait in all.
        """
        ConnectionLimiter.__init__(self, mostHeld, perClient,
                                   ipv6PrefixLength)

    @property
    def held(self):
        """
        The refused connections waiting for their handshake now.
        """
        return self.sessions

    def hold(self, host):
        """
        Count a refused connection that is to wait for its handshake,
        unless its client, or the server, has as many waiting as allowed.

        @param host: its client's address.
        @return: whether it may wait (then L{release} it once it ends).
        """
        return self.admit(host) is None
