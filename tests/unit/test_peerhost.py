"""
Tests for L{ftpkit.compat.tcp.peerHost} and the name a session gives its
client from it (L{ftpkit.control.clientname.clientName}): Twisted's TCP
server transport's host is read from the address C{accept} gave, with no
address object made (its C{getPeer} builds one at every call, and a
login asked for it once more after the listening port had built one for
C{buildProtocol}: C{docs/benchmark-investigations.rst},
C{bench-login-55}); any other transport is asked its C{getPeer}.
"""

import socket

from twisted.internet import tcp
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactor
from twisted.trial import unittest

from ftpkit.compat.tcp import peerHost
from ftpkit.control.clientname import clientName


class _Port:
    """
    What a C{tcp.Server} reads of its listening port as it is made.
    """

    _realPortNumber = 21


class _NamedPeer(tcp.Server):
    """
    A subclass of Twisted's server transport naming another peer, as a
    wrapper under C{haproxy:} names the client of its header.
    """

    def getPeer(self):
        return IPv4Address("TCP", "198.51.100.4", 5000)


def _server(test, client, kind=tcp.Server):
    """
    @param test: the test case (the socket is closed after it).
    @param client: the address C{accept} gave.
    @param kind: the transport's class.
    @return: a server transport of C{kind} on a socket of its own, which
        counts its C{getPeer} calls (C{peerAsked}).
    """
    mine, peer = socket.socketpair()
    test.addCleanup(peer.close)
    test.addCleanup(mine.close)
    transport = kind(mine, Protocol(), client, _Port(), 1, MemoryReactor())
    transport.peerAsked = 0
    getPeer = transport.getPeer

    def counted():
        transport.peerAsked += 1
        return getPeer()

    transport.getPeer = counted
    return transport


class PeerHostTests(unittest.SynchronousTestCase):
    """
    L{peerHost} and L{clientName} of TCP transports.
    """

    def test_noAddressMade(self):
        """
        A session's client of Twisted's TCP server transport is named
        without its C{getPeer}: the host C{accept} gave.
        """
        transport = _server(self, ("192.0.2.7", 40000))
        self.assertEqual(clientName(transport), "192.0.2.7")
        self.assertEqual(transport.peerAsked, 0)

    def test_sameAsGetPeer(self):
        """
        The host read is C{getPeer}'s, for IPv4, IPv6, an IPv4-mapped
        address (named as IPv4 by L{clientName}) and a link-local address
        with its zone (which L{clientName} leaves out, as before).
        """
        for client in [("192.0.2.7", 40000), ("2001:db8::5", 40000, 0, 0),
                       ("::ffff:192.0.2.9", 40000, 0, 0),
                       ("fe80::1%lo", 40000, 0, 1)]:
            transport = _server(self, client)
            self.assertEqual(peerHost(transport),
                             transport.getPeer().host)
        self.assertEqual(clientName(transport), "fe80::1")
        mapped = _server(self, ("::ffff:192.0.2.9", 40000, 0, 0))
        self.assertEqual(clientName(mapped), "192.0.2.9")

    def test_otherPeer(self):
        """
        A subclass of the transport that names another peer is asked
        its C{getPeer}.
        """
        transport = _server(self, ("192.0.2.7", 40000), _NamedPeer)
        self.assertEqual(clientName(transport), "198.51.100.4")
        self.assertEqual(transport.peerAsked, 1)
