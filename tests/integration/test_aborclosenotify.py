"""
C{ABOR} of a download under TLS that sent every data record, its
close_notify still held in the TCP transport (the transfer completed,
C{226}): the data connection's close sends the close_notify before the
socket goes away, so that the client's TLS stream ends cleanly; it used
to shut the socket down at once, dropping the close_notify. A client that
reads no more still has its connection cut, after
L{ftpkit.data.linger.LINGER_TIMEOUT} seconds.
"""

import socket
import ssl
import threading

from OpenSSL import SSL
from twisted.internet import defer, reactor, task, threads
from twisted.internet.error import ConnectionDone
from twisted.internet.ssl import TLSVersion
from twisted.trial import unittest

from ftpkit.compat import queuedBytes
from ftpkit.control.handlers.transferring import Transfer
from ftpkit.data.linger import LINGER_TIMEOUT
from tests.integration.test_aborlastbyte import PAYLOAD, _Reader
from tests.integration.test_aborlastbyte_closefirst import (
    _SendingMover,
    connectData,
    listenData,
)
from tests.tlssupport import clientContext


class _NotifiedReader(_Reader):
    """
    A L{_Reader} that notes, as its connection ends, whether the server's
    close_notify arrived (pyOpenSSL's C{get_shutdown}).

    @ivar notified: whether it did, once the connection ended.
    """

    notified = None

    def connectionLost(self, reason):
        """
        Note L{notified}, then as L{_Reader.connectionLost}.

        @param reason: a L{twisted.python.failure.Failure}.
        """
        self.notified = bool(self.transport.getHandle().get_shutdown()
                             & SSL.RECEIVED_SHUTDOWN)
        _Reader.connectionLost(self, reason)


def abortFinished(connection):
    """
    Finish a download whose client read every byte, and C{ABOR} it while
    its close_notify is still in the TCP transport.

    @param connection: the server's L{DataConnection}.
    @return: the L{Transfer}, aborted.
    """
    transfer = Transfer("RETR a", connection, _SendingMover(True))
    connection.finish().addErrback(lambda failure: None)
    transfer.finishing = True
    transfer.abortOnArrival()
    return transfer


class CloseNotifySentTests(unittest.TestCase):
    """
    The close_notify reaches the client after an C{ABOR} that found the
    download complete.
    """

    @defer.inlineCallbacks
    def assertNotified(self, maximumVersion):
        """
        A Twisted client gets every byte, then the server's close_notify,
        and its connection ends cleanly.
        """
        reader = _NotifiedReader()
        connection, reader = yield connectData(self, maximumVersion,
                                               reader=reader)
        transfer = Transfer("RETR a", connection, _SendingMover(True))
        connection.finish().addErrback(lambda failure: None)
        # The close_notify is still in the TCP transport: the window.
        self.assertTrue(queuedBytes(connection.socketTransport))
        transfer.finishing = True
        transfer.abortOnArrival()
        lost = yield reader.lost
        self.assertEqual(
            (transfer.completed, reader.notified, lost,
             b"".join(reader.received)),
            (True, True, ConnectionDone, PAYLOAD))

    def test_twistedClientTLS12(self):
        """
        Under TLS 1.2.
        """
        return self.assertNotified(TLSVersion.TLSv1_2)

    def test_twistedClientTLS13(self):
        """
        Under TLS 1.3.
        """
        return self.assertNotified(None)

    @defer.inlineCallbacks
    def assertUnwrapped(self, maximumVersion):
        """
        Python's C{ssl} client reads every byte; the server finishes and
        C{ABOR}s; the client's C{unwrap()} (its close_notify, then the
        server's awaited) succeeds.
        """
        port, made = listenData(self, timeout=30)
        read = defer.Deferred()
        aborted = threading.Event()

        def client():
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            with clientContext(maximumVersion).wrap_socket(raw) as data:
                got = b""
                while len(got) < len(PAYLOAD):
                    got += data.recv(65536)
                reactor.callFromThread(read.callback, None)
                aborted.wait(10)
                try:
                    data.unwrap()
                except (OSError, ssl.SSLError) as e:
                    return got, repr(e)
                return got, "clean"

        outcome = threads.deferToThread(client)
        connection = yield made
        self.addCleanup(connection.abort)
        yield connection.whenSecured()
        connection.transport.write(PAYLOAD)
        yield read
        transfer = abortFinished(connection)
        aborted.set()
        got, ended = yield outcome
        self.assertEqual((transfer.completed, got, ended),
                         (True, PAYLOAD, "clean"))

    def test_unwrapTLS12(self):
        """
        Under TLS 1.2.
        """
        return self.assertUnwrapped(ssl.TLSVersion.TLSv1_2)

    def test_unwrapTLS13(self):
        """
        Under TLS 1.3.
        """
        return self.assertUnwrapped(None)


class NeverReadingClientTests(unittest.TestCase):
    """
    A client that reads no more once it has every byte (played by a TCP
    transport that sends nothing): the close_notify stays held, and the
    connection is cut once L{LINGER_TIMEOUT} seconds have passed on its
    clock, not before, and not by the stall watchdog (a minute).
    """

    @defer.inlineCallbacks
    def test_cutAfterTheLinger(self):
        """
        Ended after the linger's time, in order (a FIN after what the
        kernel holds), the transfer completed.
        """
        clock = task.Clock()
        connection, reader = yield connectData(self, None, clock,
                                               timeout=60)
        transport = connection.socketTransport
        transport.writeSomeData = lambda data: 0
        self.addCleanup(vars(transport).pop, "writeSomeData")
        transfer = abortFinished(connection)
        clock.advance(LINGER_TIMEOUT - 0.5)
        # Turns of the real reactor, where the old close ended it.
        for _ in range(5):
            yield task.deferLater(reactor, 0, lambda: None)
        self.assertIsNone(connection.lostReason)
        clock.advance(1)
        yield connection.whenLost()
        yield reader.lost
        self.assertEqual((transfer.completed, connection.timedOut),
                         (True, False))
