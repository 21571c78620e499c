"""
Tests for C{--listen haproxy:...} with C{--workers}: which listeners the
acceptor takes (L{ftpkit.deploy.workers.acceptorAddress}) and which
connections a worker reads a PROXY header from
(L{ftpkit.deploy.proxiedaccept.isProxiedConnection}).
"""

import socket

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy import tap
from ftpkit.deploy.proxiedaccept import isProxiedConnection
from ftpkit.deploy.workers import acceptorAddress


class AcceptorAddressTests(unittest.SynchronousTestCase):
    """
    L{acceptorAddress}: C{tcp:} and C{tcp6:}, plain or behind
    C{haproxy:}.
    """

    def test_plain(self):
        """
        A C{tcp:} description gives its family, interface and port, not
        proxied.
        """
        self.assertEqual(acceptorAddress("tcp:2121:interface=127.0.0.1"),
                         (socket.AF_INET, "127.0.0.1", 2121, False))

    def test_proxied(self):
        """
        C{haproxy:tcp:} and C{haproxy:tcp6:} give the wrapped listener's
        address (C{::} without an interface), proxied.
        """
        self.assertEqual(
            acceptorAddress("haproxy:tcp:2121:interface=10.0.0.2"),
            (socket.AF_INET, "10.0.0.2", 2121, True))
        self.assertEqual(acceptorAddress("haproxy:tcp6:21"),
                         (socket.AF_INET6, "::", 21, True))

    def test_otherKindsRefused(self):
        """
        Anything else the acceptor cannot listen on, with the kinds it
        can in the message.
        """
        for description in ("ssl:990", "haproxy:unix:/tmp/s",
                            "haproxy:ssl:990", "haproxy:tcp:70000"):
            self.assertRaises(ValueError, acceptorAddress, description)
        with self.assertRaises(ValueError) as raised:
            acceptorAddress("haproxy:unix:/tmp/s")
        self.assertIn("haproxy:tcp:", str(raised.exception))


class IsProxiedConnectionTests(unittest.SynchronousTestCase):
    """
    A worker tells a connection from a C{haproxy:} listener by the
    address it was accepted on.
    """

    listeners = [("10.0.0.2", 2121), ("0.0.0.0", 2200), ("::", 2300)]

    def test_sameAddressAndPort(self):
        """
        A connection accepted on a C{haproxy:} listener's address and port
        is proxied, an IPv4-mapped IPv6 address included.
        """
        self.assertTrue(isProxiedConnection("10.0.0.2", 2121, self.listeners))
        self.assertTrue(isProxiedConnection("::ffff:10.0.0.2", 2121,
                                            self.listeners))

    def test_otherAddressOrPort(self):
        """
        A plain listener on the same port but another address, or
        another port, is not one.
        """
        self.assertFalse(isProxiedConnection("127.0.0.1", 2121,
                                             self.listeners))
        self.assertFalse(isProxiedConnection("10.0.0.2", 21, self.listeners))
        self.assertFalse(isProxiedConnection("10.0.0.2", 2121, []))

    def test_everyAddress(self):
        """
        A listener on every address takes its port on any of them.
        """
        self.assertTrue(isProxiedConnection("192.0.2.1", 2200,
                                            self.listeners))
        self.assertTrue(isProxiedConnection("2001:db8::1", 2300,
                                            self.listeners))


class OptionsTests(unittest.SynchronousTestCase):
    """
    C{--workers} with C{haproxy:} listeners on the command line.
    """

    def parse(self, *arguments):
        options = tap.Options()
        options.parseOptions(list(arguments))
        return options

    def test_combined(self):
        """
        C{--workers 2 --listen haproxy:tcp:...} parses.
        """
        options = self.parse("--workers", "2", "--listen",
                             "haproxy:tcp:2121:interface=127.0.0.1",
                             "--trusted-proxy", "127.0.0.1")
        self.assertEqual(options["workers"], 2)

    def test_unixRefused(self):
        """
        A C{haproxy:} listener on anything but TCP is a usage error.
        """
        with self.assertRaises(usage.UsageError) as raised:
            self.parse("--workers", "2", "--listen", "haproxy:unix:/tmp/s")
        self.assertIn("--workers needs tcp:, tcp6: or haproxy:tcp:",
                      str(raised.exception))
