"""
A client that closes its control connection while its transfer has all
its bytes but the server, held back, has not moved them all yet:

 - an upload sent whole, its data connection ended, the server, held back
   by its storage (backpressure), not having read the end of the data
   yet: the connection paused, the last bytes and the end still in the
   kernel;
 - a download whose every byte the server handed to its data connection,
   most of them still held there while its client reads nothing yet.

The control connection's end aborted either (C{426}): the upload's file
was dropped, though its client had sent every byte and the end of the
data, and the download's client got none of what the server held (an
upload whose end of the data was read already ends as its commit does:
L{tests.integration.test_lostcommit}). Now both go on, and end as their
data connection does (L{ftpkit.control.handlers.transferring.Transfer.clientLeft}).
"""

import socket

from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.data.connection import DataConnection
from ftpkit.interfaces import IWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.drain import Drain
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.testing import readFile, writeFile
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor, waitUntil

PAYLOAD = b"p" * 200000
"""What the upload sends: more than its first read takes."""

DOWNLOAD = b"s" * 48000
"""What the download sends: more than its client's receive buffer."""


class HeldBackShell(ShellWrapper):
    """
    A shell whose uploads pause their data connection after their first
    bytes (L{HeldBackUpload}), until L{release}.

    @ivar uploads: the uploads opened.
    """

    def __init__(self, shell):
        """
        @param shell: the shell storing the uploads.
        """
        ShellWrapper.__init__(self, shell)
        self.uploads = []

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: a L{HeldBackUpload}.
        """
        return defer.maybeDeferred(
            self._shell.openForWriting, path, offset, append).addCallback(
                self._opened)

    def _opened(self, opened):
        upload = HeldBackUpload(opened)
        self.uploads.append(upload)
        return upload


@implementer(IWriteFile)
class HeldBackUpload:
    """
    An upload (L{IWriteFile} alone) that pauses its producer once it has
    bytes, as a storage slower than the client does.

    @ivar ended: C{"close"} or C{"abort"}, once one was called.
    @ivar producer: its data connection's transport, once it has bytes.
    """

    ended = None
    producer = None

    def __init__(self, opened):
        """
        @param opened: the file the wrapped shell opened.
        """
        self._opened = opened
        self._consumer = None

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        def received(consumer):
            self._consumer = consumer
            return self
        return defer.maybeDeferred(self._opened.receive).addCallback(received)

    def registerProducer(self, producer, streaming):
        """
        See C{IConsumer.registerProducer}.
        """
        self._consumer.registerProducer(producer, streaming)
        self._producer = producer

    def unregisterProducer(self):
        """
        See C{IConsumer.unregisterProducer}.
        """
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        See C{IConsumer.write}: the first bytes pause the producer.
        """
        self._consumer.write(data)
        if self.producer is None:
            self.producer = self._producer
            self.producer.pauseProducing()

    def close(self):
        """
        See L{IWriteFile.close}.
        """
        self.ended = "close"
        return self._opened.close()

    def abort(self):
        """
        See L{IWriteFile.abort}.
        """
        self.ended = "abort"
        return self._opened.abort()


class LeftWhilePausedTests(LoopbackServerMixin, unittest.TestCase):
    """
    The whole upload sent, its data connection and then its control
    connection closed, while the server holds the data connection paused;
    and a download whose every byte the server sent, its client reading
    nothing before it closes its control connection.

    @ivar transfers: the codes of the transfers' events.
    """

    timeout = 60

    def setUp(self):
        self.memory = MemoryShell()
        self.shell = HeldBackShell(self.memory)
        self.server = self.startServer(SharedShellRealm(self.shell),
                                       ServerConfig(loginFailureDelay=0))
        self.transfers = []
        self.server.factory.events.subscribe(
            lambda event: self.transfers.append(event.code),
            (events.TRANSFER,))

    def leave(self, ended=True, quitting=False):
        """
        Upload L{PAYLOAD} to C{f}: every byte, then the end of the data
        (unless not C{ended}: it is sent once the server saw the client
        leave), then, once the server paused the data connection, a
        C{QUIT} if C{quitting}, and the control connection closed
        (blocking).
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        data = ftp.transfercmd("STOR f")
        data.sendall(PAYLOAD)
        if ended:
            data.shutdown(socket.SHUT_WR)
        if not waitUntil(lambda: self.shell.uploads
                         and self.shell.uploads[0].producer is not None):
            raise AssertionError("the upload was never paused")
        if quitting:
            ftp.sock.sendall(b"QUIT\r\n")
        ftp.file.close()
        ftp.sock.close()
        if not waitUntil(lambda: all(
                session.leaving
                for session in self.server.factory.openSessions)):
            raise AssertionError("the server never saw the client leave")
        data.close()

    @defer.inlineCallbacks
    def storedWhole(self):
        """
        Let the paused upload go on: it must be stored whole, C{226}.
        """
        upload = self.shell.uploads[0]
        upload.producer.resumeProducing()
        self.assertTrue((yield waitFor(lambda: self.transfers)))
        self.assertEqual((upload.ended, self.transfers), ("close", [226]))
        self.assertEqual((yield readFile(self.shell, ("f",))), PAYLOAD)

    @defer.inlineCallbacks
    def test_endedCut(self):
        """
        An upload whose client ended its data connection and left
        without C{QUIT} is aborted, C{426}, kept for a resume: a killed
        client's kernel ends both its connections in order too, so the
        end of the data does not say the upload is whole.
        """
        yield self.inThread(self.leave)
        upload = self.shell.uploads[0]
        self.assertTrue((yield waitFor(lambda: self.transfers)))
        self.assertEqual((upload.ended, self.transfers), ("abort", [426]))

    @defer.inlineCallbacks
    def test_cut(self):
        """
        An upload whose client did not end its data connection is
        aborted when its control connection closes, as before.
        """
        yield self.inThread(self.leave, False)
        upload = self.shell.uploads[0]
        self.assertTrue((yield waitFor(lambda: self.transfers)))
        self.assertEqual((upload.ended, self.transfers), ("abort", [426]))

    @defer.inlineCallbacks
    def test_quitStored(self):
        """
        An upload whose client sent C{QUIT} before it closed its control
        connection goes on though the end of its data comes only after
        (RFC 959: C{QUIT} lets the transfer finish): stored whole, C{226}.
        It was aborted, C{426}, its file dropped, whenever the server had
        not read the end of the data before the client left (a rate
        limit, a slow storage).
        """
        yield self.inThread(self.leave, False, True)
        yield self.storedWhole()

    @defer.inlineCallbacks
    def test_quitDrained(self):
        """
        A drain (C{SIGTERM}) waits, within its grace, for an upload that
        goes on after its client sent C{QUIT} and left: stored whole,
        C{226}. It ended at once, the session being no longer open, and
        the process with it: the upload lost, not even kept for a resume.
        """
        yield self.inThread(self.leave, False, True)
        drained = Drain(self.server.factory, 30).drain()
        self.assertNoResult(drained)
        yield self.storedWhole()
        yield drained

    @defer.inlineCallbacks
    def test_quitCutAfterGrace(self):
        """
        A drain whose grace is over cuts an upload that goes on after its
        client sent C{QUIT} and left, as it cuts a client's that stays:
        aborted, C{426}, and the drain ends.
        """
        yield self.inThread(self.leave, False, True)
        yield Drain(self.server.factory, 0).drain()
        self.assertTrue((yield waitFor(lambda: self.transfers)))
        self.assertEqual((self.shell.uploads[0].ended, self.transfers),
                         ("abort", [426]))

    @defer.inlineCallbacks
    def test_downloadSent(self):
        """
        A download whose every byte was handed to its data connection,
        most of them still held there (its client reading nothing), when
        its client closed the control connection goes on: its client
        reads it all, and it is complete, C{226}. It was cut, C{426}, the
        client reading nothing.
        """
        yield writeFile(self.memory, ("g",), DOWNLOAD)
        made = DataConnection.connectionMade

        def connectionMade(connection):
            # A send buffer of a fixed, small size: most of the file stays
            # in the transport, whatever the kernel's tuning would grow.
            connection.socketTransport.getHandle().setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            made(connection)
        self.patch(DataConnection, "connectionMade", connectionMade)
        ftp, data = yield self.inThread(self.retrieve)
        sessions = self.server.factory.openSessions
        self.assertTrue((yield waitFor(lambda: all(
            session.transfer is not None and session.transfer.finishing
            for session in sessions))))
        yield self.inThread(ftp.sock.close)
        self.assertTrue((yield waitFor(lambda: all(
            session.leaving for session in sessions))))
        self.assertEqual((yield self.inThread(readAll, data)), DOWNLOAD)
        self.assertTrue((yield waitFor(lambda: self.transfers)))
        self.assertEqual(self.transfers, [226])

    def retrieve(self):
        """
        Start C{RETR g} on a data connection whose receive buffer is
        small, reading nothing (blocking): the server hands the whole file
        to the kernel, which holds most of it unsent.

        @return: the client, its control file closed, and the data
            connection.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(ftp.makepasv())
        ftp.sendcmd("RETR g")
        ftp.file.close()
        return ftp, data


def readAll(sock):
    """
    @param sock: a socket; closed once read.
    @return: every byte it gives until its end.
    """
    with sock:
        return b"".join(iter(lambda: sock.recv(65536), b""))
