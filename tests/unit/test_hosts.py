"""
L{ftpkit.data.hosts}: the zones of link-local IPv6 addresses, kept from
the control connection to the sockets of its data connections.
"""

from twisted.trial import unittest

from ftpkit.data.hosts import (
    connectBackHost,
    normalizeHost,
    onLinkOf,
    socketAddress,
    withZone,
)


class ZoneTests(unittest.TestCase):
    """
    L{withZone}, L{onLinkOf} and L{socketAddress}.
    """

    def test_withZone(self):
        """
        A scope ID is appended after C{%}; an address without one, or
        with a zone already, is left as it is.
        """
        self.assertEqual(withZone("fe80::1", 3), "fe80::1%3")
        self.assertEqual(withZone("2001:db8::1", 0), "2001:db8::1")
        self.assertEqual(withZone("10.0.0.1", 0), "10.0.0.1")
        self.assertEqual(withZone("fe80::1%eth0", 3), "fe80::1%eth0")

    def test_normalizedWithoutZone(self):
        """
        Addresses are compared without their zone.
        """
        self.assertEqual(normalizeHost(withZone("fe80::1", 3)), "fe80::1")

    def test_onLinkOf(self):
        """
        A link-local address takes the zone of the local address of the
        control connection; any other address, or any address when the
        local one has no zone, is left as it is.
        """
        self.assertEqual(onLinkOf("fe80::2", "fe80::1%3"), "fe80::2%3")
        self.assertEqual(onLinkOf("fe80::1", "fe80::1%3"), "fe80::1%3")
        self.assertEqual(onLinkOf("2001:db8::2", "fe80::1%3"),
                         "2001:db8::2")
        self.assertEqual(onLinkOf("fe80::2", "fe80::1"), "fe80::2")
        self.assertEqual(onLinkOf("10.0.0.2", "10.0.0.1"), "10.0.0.2")
        self.assertEqual(onLinkOf("unknown", "fe80::1%3"), "unknown")

    def test_socketAddress(self):
        """
        An address with a zone becomes the 4-tuple holding its scope ID,
        which C{bind} needs (it reads no zone from the text); others stay
        C{(host, port)}.
        """
        self.assertEqual(socketAddress("fe80::1%3", 2121),
                         ("fe80::1", 2121, 0, 3))
        self.assertEqual(socketAddress("::1", 2121), ("::1", 2121))
        self.assertEqual(socketAddress("10.0.0.1", 0), ("10.0.0.1", 0))


class ConnectBackTests(unittest.TestCase):
    """
    L{connectBackHost}: where a C{PORT} or C{EPRT} data connection may go.
    """

    def test_ownAddress(self):
        """
        The client's own address, in any spelling, is where it goes.
        """
        self.assertEqual(connectBackHost("10.0.0.2", "10.0.0.2"),
                         "10.0.0.2")
        self.assertEqual(connectBackHost("::ffff:10.0.0.2", "10.0.0.2"),
                         "10.0.0.2")
        self.assertEqual(connectBackHost("2001:db8::2", "2001:db8::2"),
                         "2001:db8::2")

    def test_unspecified(self):
        """
        The unspecified address names the client.
        """
        self.assertEqual(connectBackHost("0.0.0.0", "10.0.0.2"), "10.0.0.2")
        self.assertEqual(connectBackHost("::", "2001:db8::2"), "2001:db8::2")

    def test_foreign(self):
        """
        Any other address is refused.
        """
        self.assertIsNone(connectBackHost("10.0.0.3", "10.0.0.2"))
        self.assertIsNone(connectBackHost("2001:db8::3", "2001:db8::2"))
        self.assertIsNone(connectBackHost("fe80::2", "2001:db8::2"))

    def test_linkLocalZone(self):
        """
        A link-local client's own address is accepted with the zone it
        names (its own interface's name) or without one; the zone is not
        kept (the connection goes over the control connection's link),
        and another address of the link is refused, zone or not.
        """
        for named in ("fe80::2", "fe80::2%eth0", "fe80::2%3"):
            self.assertEqual(connectBackHost(named, "fe80::2"), "fe80::2")
        for named in ("fe80::3", "fe80::3%eth0", "fe80::1%3"):
            self.assertIsNone(connectBackHost(named, "fe80::2"))
