"""
An upload's TLS records decrypted in bulk: L{ftpkit.compat.openssl.readAvailable}
(every whole record OpenSSL holds, into one buffer) and the data
connection's TLS layer that uses it (L{ftpkit.data.tlslayer.DataTLSProtocol},
through L{ftpkit.compat.tlshooks.TLSLayerHooks.dataReceived}), in memory:
a pyOpenSSL client with memory buffers, the layer over a
L{StringTransport}.
"""

import os

from OpenSSL import SSL
from twisted.internet import error
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.compat import openssl, tlshooks
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.tls import DataTLS
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate

_RECORD = 16384


def _take(connection):
    """
    @return: the records C{connection} (a pyOpenSSL one with memory
        buffers) wrote, or C{b""}.
    """
    try:
        return connection.bio_read(1 << 22)
    except SSL.WantReadError:
        return b""


def _client():
    """
    @return: a pyOpenSSL client connection with memory buffers, its
        handshake not started.
    """
    client = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
    client.set_connect_state()
    return client


def _step(connection):
    """
    Move a handshake on, as far as what it received allows.
    """
    try:
        connection.do_handshake()
    except SSL.WantReadError:
        pass


def _corrupt(records):
    """
    @return: C{records} with the last byte of the last one (its tag)
        flipped.
    """
    return records[:-1] + bytes([records[-1] ^ 1])


class ReadAvailableTests(unittest.TestCase):
    """
    L{openssl.readAvailable} between two pyOpenSSL connections.
    """

    def setUp(self):
        if openssl.bufferPointer(bytearray(1)) is None:
            raise unittest.SkipTest("pyOpenSSL's binding changed")
        factory = makeContextFactory(
            makeCertificate(scratchDirectory(self))[2])
        self.server = factory.serverConnectionForTLS(None)
        self.server.set_accept_state()
        self.client = _client()
        self.handles = openssl.memoryHandles(self.server)
        for _ in range(4):
            _step(self.client)
            records = _take(self.client)
            if records:
                self.server.bio_write(records)
            _step(self.server)
            records = _take(self.server)
            if records:
                self.client.bio_write(records)
        self.buffer = bytearray(1 << 20)
        self.pointer = openssl.bufferPointer(self.buffer)

    def send(self, *pieces):
        """
        Have the client encrypt C{pieces}, one write (and record, or
        records) each, and give the server all their records at once.

        @return: the records.
        """
        for piece in pieces:
            self.client.sendall(piece)
        return _take(self.client)

    def read(self, size=None):
        """
        @return: L{openssl.readAvailable}'s C{(data, error)}, the data as
            bytes.
        """
        if size is None:
            size = len(self.buffer)
        count, failed = openssl.readAvailable(
            self.handles, self.server, self.pointer, size)
        return bytes(self.buffer[:count]), failed

    def test_manyRecordsAtOnce(self):
        """
        The plaintext of every record given to OpenSSL comes out in one
        call, in order: C{recv} gives one record's.
        """
        pieces = [os.urandom(_RECORD) for _ in range(3)] + [b"end"]
        self.server.bio_write(self.send(*pieces))
        self.assertEqual(self.read(), (b"".join(pieces), None))
        self.assertEqual(self.read(), (b"", None))

    def test_nothing(self):
        """
        With nothing received, nothing is read and nothing failed.
        """
        self.assertEqual(self.read(), (b"", None))

    def test_partialRecord(self):
        """
        A record not yet whole stays for later; the records before it are
        read, and it once the rest of it came.
        """
        records = self.send(b"first", b"second")
        cut = len(records) - 3
        self.server.bio_write(records[:cut])
        self.assertEqual(self.read(), (b"first", None))
        self.server.bio_write(records[cut:])
        self.assertEqual(self.read(), (b"second", None))

    def test_room(self):
        """
        Reading stops once C{size} bytes were read; the rest comes with
        the next call.
        """
        data = os.urandom(3 * _RECORD)
        self.server.bio_write(self.send(data))
        first = self.read(_RECORD + 100)
        self.assertEqual(first, (data[:_RECORD + 100], None))
        self.assertEqual(self.read(), (data[_RECORD + 100:], None))

    def test_closeNotify(self):
        """
        The client's close_notify after its data: the data, then
        C{ZeroReturnError}, what C{recv} raises then.
        """
        records = self.send(b"last bytes")
        self.client.shutdown()
        self.server.bio_write(records + _take(self.client))
        data, failed = self.read()
        self.assertEqual(data, b"last bytes")
        self.assertIsInstance(failed, SSL.ZeroReturnError)

    def test_badRecord(self):
        """
        A record that does not decrypt after good ones: the good ones'
        data, then the error C{recv} raises for it.
        """
        good = self.send(b"good")
        self.server.bio_write(good + _corrupt(self.send(b"bad")))
        data, failed = self.read()
        self.assertEqual(data, b"good")
        self.assertIsInstance(failed, SSL.Error)
        self.assertNotIsInstance(failed, SSL.ZeroReturnError)


class _Received(Protocol):
    """
    Keeps each delivery, and how the connection ended.
    """

    def __init__(self):
        self.deliveries = []
        self.reason = None

    def dataReceived(self, data):
        self.deliveries.append(data)

    def connectionLost(self, reason):
        self.reason = reason


class LayerTests(unittest.TestCase):
    """
    L{ftpkit.data.tlslayer.DataTLSProtocol} delivers the plaintext of each read
    of records at once.
    """

    def connect(self, maximumVersion=None):
        """
        Make the layer over a L{StringTransport} and a client, and shake
        hands.

        @param maximumVersion: the server's highest TLS version (C{None}:
            TLS 1.3).
        @return: C{(layer, client)}.
        """
        factory = makeContextFactory(
            makeCertificate(scratchDirectory(self))[2],
            maximumVersion=maximumVersion)
        wrapped = Factory.forProtocol(_Received)
        layer = DataTLS(factory.makeContext()).wrapFactory(
            wrapped).buildProtocol(None)
        transport = StringTransport()
        layer.makeConnection(transport)
        client = _client()
        for _ in range(4):
            _step(client)
            records = _take(client)
            if records:
                layer.dataReceived(records)
            records = transport.value()
            transport.clear()
            if records:
                client.bio_write(records)
        _step(client)
        self.assertTrue(layer._handshakeDone)
        return layer, client

    def send(self, client, pieces):
        """
        @return: the records of C{pieces}, one write each.
        """
        for piece in pieces:
            client.sendall(piece)
        return _take(client)

    def oneDelivery(self, maximumVersion):
        """
        Records received in one read reach the protocol above in one
        C{dataReceived}: Twisted's layer delivers a record's plaintext at
        a time.
        """
        layer, client = self.connect(maximumVersion)
        pieces = [os.urandom(_RECORD) for _ in range(4)] + [b"tail"]
        layer.dataReceived(self.send(client, pieces))
        self.assertEqual(layer.wrappedProtocol.deliveries,
                         [b"".join(pieces)])

    def test_oneDeliveryTLS12(self):
        """
        See L{oneDelivery}, under TLS 1.2.
        """
        from twisted.internet.ssl import TLSVersion
        self.oneDelivery(TLSVersion.TLSv1_2)

    def test_oneDeliveryTLS13(self):
        """
        See L{oneDelivery}, under TLS 1.3.
        """
        self.oneDelivery(None)

    def test_largerThanBuffer(self):
        """
        More plaintext than the layer's buffer holds comes in more than
        one delivery, whole and in order.
        """
        layer, client = self.connect()
        data = os.urandom(tlshooks.READ_SIZE + 3 * _RECORD)
        layer.dataReceived(self.send(client, [data]))
        deliveries = layer.wrappedProtocol.deliveries
        self.assertEqual(b"".join(deliveries), data)
        self.assertEqual(len(deliveries[0]), tlshooks.READ_SIZE)

    def test_closeNotifyWithData(self):
        """
        The last records and the client's close_notify in one read: the
        data is delivered, and the connection ends cleanly.
        """
        layer, client = self.connect()
        records = self.send(client, [b"the end"])
        client.shutdown()
        received = layer.wrappedProtocol
        layer.dataReceived(records + _take(client))
        self.assertTrue(layer.tlsLost)
        self.assertTrue(layer.transport.disconnecting)
        layer.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(received.deliveries, [b"the end"])
        received.reason.trap(error.ConnectionDone)

    def test_closeNotifyFreedWithoutGarbageCollector(self):
        """
        A layer ended by the client's close_notify is freed as soon as it
        is dropped, not by the cyclic garbage collector: the error that
        ends the reading (C{ZeroReturnError}) came back with its
        traceback, whose frames held the layer's reading frame and, in
        it, the error (the thirty-fifth attack sweep).
        """
        import gc
        import weakref

        layer, client = self.connect()
        client.shutdown()
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        layer.dataReceived(_take(client))
        layer.connectionLost(Failure(error.ConnectionDone()))
        self.assertTrue(layer.tlsLost)
        ref = weakref.ref(layer)
        del layer
        self.assertIsNone(ref())

    def test_cutWithoutCloseNotify(self):
        """
        Records, then the end of the TCP connection with no close_notify:
        the data is delivered and the connection counts as lost, not done
        (a cut upload fails).
        """
        layer, client = self.connect()
        received = layer.wrappedProtocol
        layer.dataReceived(self.send(client, [b"x" * 100]))
        layer.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(received.deliveries, [b"x" * 100])
        received.reason.trap(error.ConnectionLost)

    def test_badRecordAfterGood(self):
        """
        A record that does not decrypt after good ones in one read: the
        good ones are delivered, and the TLS connection fails (the TCP
        connection dropped at once, as
        L{ftpkit.data.tlslayer.DataTLSProtocol.tlsEnded} does).
        """
        layer, client = self.connect()
        good = self.send(client, [b"good"])
        bad = _corrupt(self.send(client, [b"bad"]))
        aborted = []
        layer.transport.abortConnection = lambda: aborted.append(True)
        layer.dataReceived(good + bad)
        self.assertEqual(layer.wrappedProtocol.deliveries, [b"good"])
        self.assertTrue(layer.tlsLost)
        self.assertEqual(aborted, [True])

    def test_notAfterAbort(self):
        """
        Once the layer was aborted, nothing more is delivered.
        """
        layer, client = self.connect()
        layer.abortConnection()
        layer.dataReceived(self.send(client, [b"late"]))
        self.assertEqual(layer.wrappedProtocol.deliveries, [])
