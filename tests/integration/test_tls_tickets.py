"""
A data connection's TLS 1.3 session tickets are held back until the
server sends something of its own (issue 18, item 2): curl never reads an
upload's data connection, so tickets sent at once were still unread when
it closed the socket, and its kernel's reset threw away the end of the
upload it had not sent yet (C{426} about one upload in fifteen).
"""

import ssl

from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import StringTransport
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.control.tls import makeContextFactory
from ftpkit.data.tls import DataTLS
from tests.scratch import scratchDirectory
from tests.tlssupport import clientContext, makeCertificate


@implementer(IHandshakeListener)
class _Holding(Protocol):
    """
    Holds the tickets when the handshake completes, as
    L{ftpkit.data.connection.DataConnection} does.
    """

    def __init__(self):
        self.received = []

    def handshakeCompleted(self):
        self.transport.holdTickets()

    def dataReceived(self, data):
        self.received.append(data)


class TicketTests(unittest.TestCase):
    """
    L{ftpkit.data.tlslayer.DataTLSProtocol.holdTickets} over a memory transport,
    with Python's C{ssl} as the client.
    """

    def feed(self, layer, outgoing):
        """
        Hand the server what the client has written, if anything.
        """
        data = outgoing.read()
        if data:
            layer.dataReceived(data)

    def connect(self, version):
        """
        Handshake a client capped at C{version} with a data connection's
        TLS layer.

        @return: C{(client, incoming, outgoing, layer, transport)}; the
            transport is cleared after the handshake.
        """
        directory = scratchDirectory(self)
        context = makeContextFactory(makeCertificate(directory)[2],
                                     maximumVersion=None).makeContext()
        factory = DataTLS(context).wrapFactory(Factory.forProtocol(_Holding))
        layer = factory.buildProtocol(None)
        transport = StringTransport()
        layer.makeConnection(transport)
        clientSide = clientContext()
        clientSide.maximum_version = version
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        client = clientSide.wrap_bio(incoming, outgoing)
        for _ in range(10):
            try:
                client.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.feed(layer, outgoing)
                incoming.write(transport.value())
                transport.clear()
        # The client's Finished reaches the server: under TLS 1.3 it
        # answers with tickets, which are held.
        self.feed(layer, outgoing)
        return client, incoming, outgoing, layer, transport

    def test_tls13TicketsHeld(self):
        """
        Nothing follows the client's Finished until the server writes;
        then the tickets go first and the client reads the data intact.
        """
        client, incoming, _, layer, transport = self.connect(
            ssl.TLSVersion.TLSv1_3)
        self.assertEqual(client.version(), "TLSv1.3")
        self.assertEqual(transport.value(), b"")
        layer.write(b"listing")
        incoming.write(transport.value())
        self.assertEqual(client.read(100), b"listing")

    def test_tls13UploadEnd(self):
        """
        An upload: the client sends its data and close_notify; the server
        then sends the held tickets and its own close_notify, which the
        client reads as a clean end.
        """
        client, incoming, outgoing, layer, transport = self.connect(
            ssl.TLSVersion.TLSv1_3)
        client.write(b"upload")
        try:
            client.unwrap()
        except ssl.SSLWantReadError:
            pass
        self.feed(layer, outgoing)
        self.assertEqual(b"".join(layer.wrappedProtocol.received),
                         b"upload")
        incoming.write(transport.value())
        client.unwrap()  # Raises if the records came out of order.

    def test_tls12NothingHeld(self):
        """
        Under TLS 1.2 the handshake's last flight (the server's Finished)
        is not held: the client could not finish its handshake.
        """
        client, _, _, _, _ = self.connect(ssl.TLSVersion.TLSv1_2)
        self.assertEqual(client.version(), "TLSv1.2")
