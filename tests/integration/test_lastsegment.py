"""
A small download sent whole over a bare data socket leaves with the end of
the data in its last segment (L{ftpkit.data.cork}): the socket is corked
by the time the transfer finishes, so that the client wakes once for a
small file's bytes and their end; a paced download, which sends a little
at a time, is not, nor is a large one (L{ftpkit.data.movers.CORKED_SIZE}),
which streams, nor a connection adopted as a Twisted transport. A data
connection under TLS sends its partial segments at once (C{TCP_NODELAY}),
passive or active, and acknowledges what it reads at once
(C{TCP_QUICKACK}).
"""

import ftplib
import os
import socket
import ssl

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.data import connection
from ftpkit.data.movers import CORKED_SIZE
from ftpkit.data.tls import DataTLS
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin, clientContext, makeCertificate

DATA = os.urandom(16 * 1024)


class LastSegmentTests(LoopbackServerMixin, unittest.TestCase):
    """
    Whether a bare download's socket holds partial segments back when it
    finishes, with ftplib as the client.
    """

    if not hasattr(socket, "TCP_CORK"):
        skip = "the system has no TCP_CORK"

    def setUp(self):
        self.root = scratchDirectory(self)
        self.corked = []
        finish = connection.LeanConnection.finish

        def recordingFinish(lean, *args, **kwargs):
            self.corked.append(lean.socket.getsockopt(
                socket.IPPROTO_TCP, socket.TCP_CORK))
            return finish(lean, *args, **kwargs)
        self.patch(connection.LeanConnection, "finish", recordingFinish)

    def download(self, config, data=DATA):
        """
        Download C{f.bin}, holding C{data}, in binary mode from a server
        with C{config}.

        @return: a Deferred firing with the C{TCP_CORK} values the data
            sockets had when their transfers finished.
        """
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(data)
        server = self.startServer(FilesystemRealm(self.root), config)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=20)
            received = []
            ftp.retrbinary("RETR f.bin", received.append)
            ftp.quit()
            return b"".join(received)

        def check(received):
            self.assertEqual(received, data)
            return self.corked
        return self.inThread(client).addCallback(check)

    def test_sentWhole(self):
        """
        A file sent with C{sendfile} at once ends corked.
        """
        d = self.download(ServerConfig(loginFailureDelay=0))
        d.addCallback(self.assertEqual, [1])
        return d

    def test_paced(self):
        """
        A paced download is not corked: its pieces leave as they are sent.
        """
        d = self.download(ServerConfig(loginFailureDelay=0,
                                       maxDownloadRate=1 << 30))
        d.addCallback(self.assertEqual, [0])
        return d

    def test_large(self):
        """
        A file larger than L{CORKED_SIZE} is not corked: a bulk
        C{sendfile} into a corked socket costs more.
        """
        d = self.download(ServerConfig(loginFailureDelay=0),
                          os.urandom(CORKED_SIZE + 1))
        d.addCallback(self.assertEqual, [0])
        return d

    def test_transportsUncorked(self):
        """
        A passive connection comes corked (its listener is); one adopted
        as a Twisted transport (a listing, a download in ASCII) is
        uncorked first, so that what it writes leaves as written.
        """
        with open(os.path.join(self.root, "t.txt"), "wb") as f:
            f.write(b"a line\n" * 2000)
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0))
        adopted = []
        made = connection.DataConnection.connectionMade

        def recordingMade(data):
            adopted.append(data.transport.getHandle().getsockopt(
                socket.IPPROTO_TCP, socket.TCP_CORK))
            return made(data)
        self.patch(connection.DataConnection, "connectionMade",
                   recordingMade)

        def client():
            ftp = ftplibLogin(self, server.port, timeout=20)
            names = ftp.nlst()
            lines = []
            ftp.retrlines("RETR t.txt", lines.append)
            ftp.quit()
            return names, len(lines)

        def check(result):
            self.assertEqual(result, (["t.txt"], 2000))
            self.assertEqual(adopted, [0, 0])
            self.assertEqual(self.corked, [])
        return self.inThread(client).addCallback(check)


class TLSNoDelayTests(FTPSTestsMixin, unittest.TestCase):
    """
    A data connection under TLS has Nagle's algorithm off: with it on,
    the close_notify ending a download waited for the client's delayed
    acknowledgement of the data (40 ms on Linux), for each download by
    ftplib (which reads on until the close_notify).
    """

    def test_passiveAndActive(self):
        """
        The TCP socket under each TLS data connection, passive and active,
        has C{TCP_NODELAY} when the connection is made; a download in clear
        over the same session (a listing) is left as it was.
        """
        self.serve()
        made = connection.DataConnection.connectionMade
        noDelay = []

        def recordingMade(data):
            tcp = data.transport
            if not isinstance(tcp.getHandle(), socket.socket):
                tcp = tcp.transport  # The TLS layer's TCP transport.
            noDelay.append(bool(tcp.getHandle().getsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            return made(data)
        self.patch(connection.DataConnection, "connectionMade",
                   recordingMade)

        def client():
            ftp = ftplibLogin(self, self.server.port, protect=True,
                              client=ftplib.FTP_TLS(context=clientContext()))
            got = []
            for passive in (True, False):
                ftp.set_pasv(passive)
                chunks = []
                ftp.retrbinary("RETR big.bin", chunks.append)
                got.append(b"".join(chunks) == self.payload)
                got.append(ftp.nlst() == ["big.bin"])
            ftp.prot_c()
            got.append(ftp.nlst() == ["big.bin"])
            ftp.quit()
            return got

        def check(got):
            self.assertEqual(got, [True] * 5)
            self.assertEqual(noDelay, [True, True, True, True, False])
        return self.inThread(client).addCallback(check)


class _RecordingSocket:
    """
    Stands for a data connection's socket, noting each option set.

    @ivar options: C{(level, option, value)} of each C{setsockopt}.
    """

    def __init__(self):
        self.options = []

    def setsockopt(self, level, option, value):
        """
        Note an option.
        """
        self.options.append((level, option, value))


class _SocketTransport(StringTransport):
    """
    A memory transport whose handle is a L{_RecordingSocket}.
    """

    def __init__(self):
        StringTransport.__init__(self)
        self.handle = _RecordingSocket()

    def getHandle(self):
        """
        @return: the recording socket.
        """
        return self.handle


class TLSQuickAckTests(unittest.TestCase):
    """
    A data connection under TLS acknowledges what it reads at once: a
    client with Nagle's algorithm on (ftplib) held the close_notify ending
    its upload until the server acknowledged the data, 40 ms later, for
    each upload under C{PROT P}.
    """

    if not hasattr(socket, "TCP_QUICKACK"):
        skip = "the system has no TCP_QUICKACK"

    def test_eachRead(self):
        """
        Each read (each of the client's handshake flights here) sets
        C{TCP_QUICKACK}, which Linux clears by itself.
        """
        context = makeContextFactory(makeCertificate(scratchDirectory(self))[2]
                                     ).makeContext()
        layer = DataTLS(context).wrapFactory(
            Factory.forProtocol(Protocol)).buildProtocol(None)
        transport = _SocketTransport()
        layer.makeConnection(transport)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        client = clientContext().wrap_bio(incoming, outgoing)
        reads = 0
        for _ in range(10):
            try:
                client.do_handshake()
                break
            except ssl.SSLWantReadError:
                layer.dataReceived(outgoing.read())
                reads += 1
                incoming.write(transport.value())
                transport.clear()
        layer.dataReceived(outgoing.read())
        reads += 1
        self.assertGreater(reads, 1)
        self.assertEqual(transport.handle.options.count(
            (socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)), reads)
