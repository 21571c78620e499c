"""
Tests for C{AUTH} with the mechanism names older clients send (C{TLS-C},
C{TLS-P}, C{SSL}) beside RFC 4217's C{TLS}, and the data protection each
leaves in force.
"""

from dataclasses import replace

from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLContextFactory
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial import unittest
from zope.interface import implementer

from tests.memorysessions import makeFactory, replyCodes


class StartTLSTransport(StringTransport):
    """
    A L{StringTransport} that records C{startTLS} instead of doing it.

    @ivar tlsStarted: the context factory C{startTLS} was given, or C{None}.
    """

    tlsStarted = None

    def startTLS(self, contextFactory):
        """
        Record that TLS was started.

        @param contextFactory: the server's TLS context factory.
        """
        self.tlsStarted = contextFactory


@implementer(IOpenSSLContextFactory)
class ContextFactory:
    """
    A server TLS context factory that no handshake ever uses.
    """

    def getContext(self):
        """
        @return: a new OpenSSL context.
        """
        return SSL.Context(SSL.TLS_METHOD)


def authenticate(mechanism):
    """
    Send C{AUTH} with C{mechanism} on a fresh session of a server with TLS.

    @param mechanism: the C{AUTH} argument, as bytes.
    @return: C{(protocol, transport)}.
    """
    contextFactory = ContextFactory()
    factory = makeFactory(MemoryReactorClock(),
                          tlsContextFactory=contextFactory)
    protocol = factory.buildProtocol(None)
    transport = StartTLSTransport()
    protocol.makeConnection(transport)
    transport.clear()
    protocol.dataReceived(b"AUTH " + mechanism + b"\r\n")
    return protocol, transport


class AuthMechanismTests(unittest.TestCase):
    """
    C{AUTH TLS}, C{TLS-C}, C{TLS-P} and C{SSL} all start TLS; only
    C{TLS-P} protects the data connections from the start.
    """

    def assertAccepted(self, mechanism):
        """
        C{AUTH mechanism} gets C{234} and starts TLS.

        @param mechanism: the C{AUTH} argument, as bytes.
        @return: the session's protocol.
        """
        protocol, transport = authenticate(mechanism)
        self.assertEqual(replyCodes(transport), ["234"])
        self.assertIsNotNone(transport.tlsStarted)
        self.assertTrue(protocol.tls.controlSecure)
        return protocol

    def test_controlOnly(self):
        """
        C{TLS}, C{TLS-C} and C{SSL} (in any case) protect the control
        connection only: data stays clear until C{PBSZ} and C{PROT P}.
        """
        for mechanism in (b"TLS", b"TLS-C", b"tls-c", b"SSL"):
            protocol = self.assertAccepted(mechanism)
            self.assertFalse(protocol.tls.protectData, mechanism)
            self.assertFalse(protocol.tls.bufferSizeSet, mechanism)

    def test_protected(self):
        """
        C{TLS-P} protects the data connections too, as if C{PBSZ 0} and
        C{PROT P} had been sent: a later C{PROT C} needs no C{PBSZ}.
        """
        for mechanism in (b"TLS-P", b"tls-p"):
            protocol = self.assertAccepted(mechanism)
            self.assertTrue(protocol.tls.protectData, mechanism)
            self.assertTrue(protocol.tls.bufferSizeSet, mechanism)
            protocol.transport.clear()
            protocol.dataReceived(b"PROT C\r\n")
            self.assertEqual(replyCodes(protocol.transport), ["200"])
            self.assertFalse(protocol.tls.protectData)

    def test_unknownMechanism(self):
        """
        Another mechanism still gets C{504}, and TLS does not start.
        """
        protocol, transport = authenticate(b"KERBEROS")
        self.assertEqual(replyCodes(transport), ["504"])
        self.assertIsNone(transport.tlsStarted)
        self.assertFalse(protocol.tls.controlSecure)


class DataTLSDecisionTests(unittest.TestCase):
    """
    What a session answers its data channel and its transfers
    (C{arrivalTLS}, C{transferTLS}): nothing in clear, without lending
    the control connection's context; the data connections' TLS under
    C{PROT P}, but for a passive connection arriving in the TLS client
    role (C{SSCN ON}).
    """

    def test_clear(self):
        """
        Under C{AUTH TLS} without C{PROT P}, data stays clear: neither
        answer gives TLS, and the context is not lent.
        """
        protocol, _ = authenticate(b"TLS")
        self.assertIsNone(protocol.arrivalTLS())
        self.assertIsNone(protocol.transferTLS())
        self.assertFalse(protocol.tls.contextLent)

    def test_protected(self):
        """
        Under C{PROT P} both give the data connections' TLS.
        """
        protocol, _ = authenticate(b"TLS-P")
        self.assertIsNotNone(protocol.arrivalTLS())
        self.assertIsNotNone(protocol.transferTLS())
        self.assertTrue(protocol.tls.contextLent)

    def test_clientRole(self):
        """
        In the TLS client role (C{SSCN ON}, or a listener of C{CPSV}), a
        passive connection arriving is kept as it is (its transfer makes
        the handshake); in clear, the transfer gets no TLS either, and
        the C{CPSV} role is spent.
        """
        protocol, _ = authenticate(b"TLS-P")
        protocol.tlsClientMode = True
        self.assertIsNone(protocol.arrivalTLS())
        protocol.tlsClientMode = False
        protocol.tls = replace(protocol.tls, protectData=False)
        protocol.tlsClientNext = True
        self.assertIsNone(protocol.arrivalTLS())
        self.assertIsNone(protocol.transferTLS())
        self.assertFalse(protocol.tlsClientNext)
