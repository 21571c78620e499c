"""
C{ABOR} of a download under TLS whose client read the last byte and ended
its TLS stream (its close_notify) before the server's close_notify, while
the storage's send has not said it is over yet: Twisted's TLS layer
answers the client's close_notify with the server's at once, after every
data record, so the client had the whole file
(L{ftpkit.control.handlers.transferring.Transfer.abortOnArrival}). Also
the stall watchdog dropping a finished download whose close_notify the
TCP transport holds for ever (a client that reads no more): the linger
would wait for it without end.
"""

from twisted.internet import defer, protocol, reactor, ssl, task
from twisted.internet.endpoints import SSL4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.trial import unittest

from ftpkit.compat import queuedBytes
from ftpkit.control.handlers.transferring import Transfer
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.connection import DataConnection
from ftpkit.data.movers import Download
from ftpkit.data.tls import DataTLS
from ftpkit.data.tlslayer import receivedCloseNotify
from tests.integration import test_aborlastbyte
from tests.integration.test_aborlastbyte import PAYLOAD
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate


def listenData(case, maximumVersion=None, clock=reactor,
               currentTransfer=None, timeout=5):
    """
    Listen on 127.0.0.1 for one data connection under TLS.

    @param case: the test case.
    @param maximumVersion: the server's highest TLS version (C{None}:
        TLS 1.3).
    @param clock: the data connection's clock (its watchdog's, its
        linger's).
    @param currentTransfer: the session's running transfer, or C{None}.
    @param timeout: the data connection's stall timeout, in seconds.
    @return: the port number, and a Deferred firing with the server's
        L{DataConnection} once a client connected.
    """
    both = makeCertificate(scratchDirectory(case))[2]
    tls = DataTLS(makeContextFactory(
        both, maximumVersion=maximumVersion).makeContext())
    made = defer.Deferred()
    factory = tls.wrapFactory(protocol.Factory.forProtocol(
        lambda: DataConnection(made.callback, clock, timeout,
                               currentTransfer or (lambda: None), tls=tls)))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    case.addCleanup(port.stopListening)
    return port.getHost().port, made


@defer.inlineCallbacks
def connectData(case, maximumVersion, clock=reactor, currentTransfer=None,
                reader=None, timeout=5):
    """
    L{listenData}, and connect a Twisted TLS client to it.

    @param reader: the client's protocol, a L{test_aborlastbyte._Reader}
        (a new one if C{None}).
    @return: a Deferred firing with the server's L{DataConnection}, its
        handshake done and L{PAYLOAD} read by the client, and the
        client's reader.
    """
    port, made = listenData(case, maximumVersion, clock, currentTransfer,
                            timeout)
    if reader is None:
        reader = test_aborlastbyte._Reader()
    yield connectProtocol(
        SSL4ClientEndpoint(reactor, "127.0.0.1", port,
                           ssl.CertificateOptions()), reader)
    connection = yield made
    case.addCleanup(connection.abort)
    yield connection.whenSecured()
    connection.transport.write(PAYLOAD)
    yield reader.whole
    return connection, reader


class _SendingMover:
    """
    A download's mover whose storage's send is not over yet.

    @ivar whole: whether every byte of the file was handed over.
    """

    bytesMoved = len(PAYLOAD)

    def __init__(self, whole):
        self.whole = whole

    def sentWhole(self):
        """
        @return: L{whole}.
        """
        return self.whole

    def abort(self):
        """
        Nothing to stop.
        """


class _File:
    """
    What L{Download.sentWhole} reads of an opened file: its size.
    """

    def __init__(self, size):
        self.size = size


class SentWholeTests(unittest.SynchronousTestCase):
    """
    L{Download.sentWhole}.
    """

    def sentWhole(self, size, binary, moved):
        download = Download(_File(size), binary, reactor)
        download._sent = moved
        return download.sentWhole()

    def test_whole(self):
        """
        C{TYPE I}, the file's size handed over: whole.
        """
        self.assertTrue(self.sentWhole(10, True, 10))

    def test_short(self):
        """
        Fewer bytes than the size: not whole.
        """
        self.assertFalse(self.sentWhole(10, True, 9))

    def test_ascii(self):
        """
        In C{TYPE A} the bytes sent are not the file's: never whole.
        """
        self.assertFalse(self.sentWhole(10, False, 10))

    def test_sizeUnknown(self):
        """
        A file whose size is not known: not whole.
        """
        self.assertFalse(self.sentWhole(None, True, 10))


class ClientClosesFirstTests(unittest.TestCase):
    """
    The client's close_notify before the server's, then C{ABOR}, on a real
    loopback connection under TLS.
    """

    @defer.inlineCallbacks
    def abortAfterClientClose(self, maximumVersion, whole=True):
        """
        Connect, have the client read L{PAYLOAD} and send its
        close_notify; once the server's TLS layer has taken it (and
        answered), before the TCP connection ends, C{ABOR} a transfer
        whose send is not over.

        @param whole: every byte of the file was handed over.
        @return: a Deferred firing with whether the transfer completed,
            whether the client's close_notify had arrived then, what the
            client received and why its connection ended.
        """
        connection, reader = yield connectData(self, maximumVersion)
        transfer = Transfer("RETR a", connection, _SendingMover(whole))
        aborted = defer.Deferred()
        tlsEnded = connection.transport.tlsEnded

        def ended(reason, afterHandshake):
            tlsEnded(reason, afterHandshake)
            closed = receivedCloseNotify(connection.transport.getHandle())
            transfer.abortOnArrival()
            aborted.callback(closed)

        connection.transport.tlsEnded = ended
        reader.transport.loseConnection()
        closed = yield aborted
        lost = yield reader.lost
        return (transfer.completed, closed, b"".join(reader.received), lost)

    @defer.inlineCallbacks
    def test_clientClosedFirstTLS12(self):
        """
        Under TLS 1.2: completed, and the client's connection ends cleanly
        (the server's close_notify, still held when C{ABOR} came, reached
        it).
        """
        done = yield self.abortAfterClientClose(ssl.TLSVersion.TLSv1_2)
        self.assertEqual(done, (True, True, PAYLOAD, ConnectionDone))

    @defer.inlineCallbacks
    def test_clientClosedFirstTLS13(self):
        """
        Under TLS 1.3: likewise.
        """
        done = yield self.abortAfterClientClose(None)
        self.assertEqual(done, (True, True, PAYLOAD, ConnectionDone))

    @defer.inlineCallbacks
    def test_notWhole(self):
        """
        A send with bytes still to hand over: not completed, whatever the
        client's close_notify says.
        """
        done = yield self.abortAfterClientClose(None, whole=False)
        self.assertEqual(done[:2], (False, True))

    @defer.inlineCallbacks
    def test_beforeClientClose(self):
        """
        Every byte handed over but no close_notify either way yet (the
        server's is not under way): not completed.
        """
        connection, reader = yield connectData(self, None)
        transfer = Transfer("RETR a", connection, _SendingMover(True))
        transfer.abortOnArrival()
        yield reader.lost
        self.assertFalse(transfer.completed)


class HeldCloseNotifyWatchdogTests(unittest.TestCase):
    """
    A download under TLS whose client read every byte, then no more, so
    that the kernel takes nothing more (played by a socket that takes no
    byte): the server's close_notify stays in the TCP transport, and the
    stall watchdog (on its own clock) drops the connection after the
    timeout, where the linger alone would wait for it for ever.
    """

    @defer.inlineCallbacks
    def test_closeNotifyHeldForEver(self):
        """
        The data connection is dropped once the clock passed the timeout,
        not before.
        """
        clock = task.Clock()
        current = []
        connection, reader = yield connectData(
            self, None, clock, lambda: current[0] if current else None)
        transport = connection.socketTransport
        transport.writeSomeData = lambda data: 0
        self.addCleanup(vars(transport).pop, "writeSomeData")
        current.append(Transfer("RETR a", connection, _SendingMover(True)))
        finished = connection.finish()
        finished.addErrback(lambda failure: None)
        held = queuedBytes(transport)
        self.assertTrue(0 < held <= connection.transport.closingSent)
        self.assertTrue(connection.allSent())
        clock.pump([1] * 4)
        self.assertIsNone(connection.lostReason)
        clock.pump([1] * 10)
        self.assertTrue(connection.timedOut)
        reason = yield connection.whenLost()
        self.assertNotIsInstance(reason, ConnectionDone)
        yield reader.lost
