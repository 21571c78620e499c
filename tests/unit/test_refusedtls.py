"""
Tests for L{ftpkit.control.refusedtls}.
"""

from twisted.trial import unittest

from ftpkit.control.refusedtls import RefusedHandshakes


class RefusedHandshakesTests(unittest.TestCase):
    """
    L{RefusedHandshakes} bounds the refused connections that wait for
    their handshake, per client and in all.
    """

    def test_perClient(self):
        """
        A client's connections past C{perClient} may not wait; another
        client's may; one released makes room again.
        """
        held = RefusedHandshakes(perClient=2)
        self.assertEqual([held.hold("192.0.2.1") for _ in range(3)],
                         [True, True, False])
        self.assertTrue(held.hold("192.0.2.2"))
        held.release("192.0.2.1")
        self.assertTrue(held.hold("192.0.2.1"))
        self.assertEqual(held.held, 3)

    def test_inAll(self):
        """
        Past C{mostHeld} in all, no connection may wait, whoever its
        client.
        """
        held = RefusedHandshakes(perClient=1, mostHeld=2)
        self.assertEqual([held.hold("192.0.2.%d" % (n,)) for n in range(3)],
                         [True, True, False])

    def test_ipv6Network(self):
        """
        An IPv6 client is its network, as for the connection limits.
        """
        held = RefusedHandshakes(ipv6PrefixLength=64, perClient=1)
        self.assertTrue(held.hold("2001:db8::1"))
        self.assertFalse(held.hold("2001:db8::2"))
        self.assertTrue(held.hold("2001:db8:0:1::1"))

    def test_releaseUnknown(self):
        """
        Releasing a client never held changes nothing.
        """
        held = RefusedHandshakes()
        held.release("192.0.2.1")
        self.assertEqual(held.held, 0)
        self.assertTrue(held.hold("192.0.2.1"))
        self.assertEqual(held.held, 1)
