"""
Per-address limits count an IPv6 client by its network
(C{--ipv6-prefix-length}), on L{StringTransport}s with faked peers.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.deploy.overlimit import RELEASE_WAIT
from tests.memorysessions import connect, makeFactory, replyCodes

FIRST = "2001:db8:0:1::a"
SECOND = "2001:db8:0:1:ffff::b"
ELSEWHERE = "2001:db8:0:2::a"


class SessionsPerNetworkTests(unittest.TestCase):
    """
    C{--max-connections-per-ip} with IPv6 clients.
    """

    def test_sameNetworkCounted(self):
        """
        A second address of the same C{/64} is over a limit of one
        session; an address of another C{/64} is not.
        """
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=1)
        _, first = connect(factory, FIRST)
        _, second = connect(factory, SECOND)
        _, elsewhere = connect(factory, ELSEWHERE)
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual(replyCodes(first), ["220"])
        self.assertEqual(replyCodes(second), ["421"])
        self.assertTrue(second.disconnecting)
        self.assertEqual(replyCodes(elsewhere), ["220"])

    def test_exactAddresses(self):
        """
        C{ipv6PrefixLength=128} counts each address on its own.
        """
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=1,
                              ipv6PrefixLength=128)
        _, first = connect(factory, FIRST)
        _, second = connect(factory, SECOND)
        _, again = connect(factory, FIRST)
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual(replyCodes(first), ["220"])
        self.assertEqual(replyCodes(second), ["220"])
        self.assertEqual(replyCodes(again), ["421"])


class FailedLoginsPerNetworkTests(unittest.TestCase):
    """
    The delay after a failed C{PASS} follows the network's failures.
    """

    def failAfter(self, clock, protocol, transport):
        """
        Fail a login.

        @return: the seconds its C{530} took.
        """
        before = replyCodes(transport).count("530")
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        waited = 0
        while replyCodes(transport).count("530") == before:
            clock.advance(0.5)
            waited += 0.5
        return waited

    def test_delayFollowsNetwork(self):
        """
        After two failures from one address, the first failure from
        another address of its C{/64} waits four times the delay; one
        from another C{/64} waits once the delay.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=5)
        protocol, transport = connect(factory, FIRST)
        self.assertEqual(
            [self.failAfter(clock, protocol, transport) for _ in range(2)],
            [1.0, 2.0])
        protocol, transport = connect(factory, SECOND)
        self.assertEqual(self.failAfter(clock, protocol, transport), 4.0)
        protocol, transport = connect(factory, ELSEWHERE)
        self.assertEqual(self.failAfter(clock, protocol, transport), 1.0)
