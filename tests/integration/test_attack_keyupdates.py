"""
TLS 1.3 KeyUpdate requests on C{PROT P} data connections (the fortieth
attack sweep): OpenSSL answers each request with a KeyUpdate of its own
at once, and sets no bound on how many a peer sends. An upload's answers
were held back until it ended (L{ftpkit.data.tlslayer.DataTLSProtocol.holdTickets}),
a download's queued behind its data; a client that sent requests and
never read grew the server's memory by what it sent, and the held bytes
were copied whole at each read. Past L{ftpkit.data.tlslayer.ANSWERS_LIMIT}
bytes of answers the data connection is dropped (C{426}).
"""

import ftplib
import socket

from OpenSSL import SSL
from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.attackhelpers import CLIENT_WAIT
from tests.ftpclient import ftplibLogin
from tests.keyupdateclient import KeyUpdateClient
from tests.tlssupport import FTPSTestsMixin, clientContext

FLOOD = 10000
"""The requests a flooding client sends: answered, 270,000 bytes, four
times L{ftpkit.data.tlslayer.ANSWERS_LIMIT}."""


class _UpdatingClient(KeyUpdateClient):
    """
    A data connection's TLS client that floods the server with
    KeyUpdate requests.
    """

    def requestUpdates(self, count):
        """
        Ask for C{count} KeyUpdates, reading nothing.

        @return: how many were sent before the server dropped the
            connection (C{count} when it did not).
        """
        for sent in range(count):
            self.askUpdate()
            if sent % 256 == 255:
                try:
                    self.flush()
                except OSError:
                    return sent
        try:
            self.flush()
        except OSError:
            return sent
        return count

    def download(self, size):
        """
        Read and decrypt the download, up to C{size} bytes of it.

        @return: how many bytes were read before it reached C{size} or
            ended.
        """
        got = 0
        while got < size:
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                return got
            if not data:
                return got
            self.tls.bio_write(data)
            while True:
                try:
                    got += len(self.tls.recv(1 << 20))
                except SSL.WantReadError:
                    break
                except SSL.Error:
                    return got
        return got

    def finish(self, data=b""):
        """
        Send C{data} and a close_notify, end this side, and read what the
        server sends until it ends the connection.

        @return: whether all was sent (C{False}: the server had dropped
            the connection).
        """
        try:
            if data:
                self.tls.sendall(data)
            self.tls.shutdown()
            self.flush()
            self.sock.shutdown(socket.SHUT_WR)
            while self.sock.recv(65536):
                pass
        except OSError:
            return False
        return True


class KeyUpdateFloodTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client asking for KeyUpdates on its data connection: a few are
    answered, a flood drops the connection.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve()

    def transfer(self, command, requests, data=b"", download=0):
        """
        Log in under TLS 1.3, C{PROT P}, send C{command} over a passive
        connection whose client asks for C{requests} KeyUpdates, reading
        nothing, then reads C{download} bytes, sends C{data} and ends it.

        @return: a Deferred firing with the C{150} and the final reply.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port,
                              client=ftplib.FTP_TLS(context=clientContext()),
                              protect=True, binary=True, timeout=CLIENT_WAIT)
            host, port = ftp.makepasv()
            ftp.putcmd(command)
            with socket.create_connection((host, port),
                                          timeout=CLIENT_WAIT) as sock:
                opening = ftp.getresp()
                client = _UpdatingClient(sock)
                client.handshake()
                client.requestUpdates(requests)
                client.download(download)
                client.finish(data)
            try:
                final = ftp.getresp()
            except ftplib.Error as e:
                final = str(e)
            ftp.close()
            return opening, final

        return threads.deferToThread(run)

    def test_uploadFlood(self):
        """
        An upload whose client floods KeyUpdate requests: dropped, C{426}.
        """
        def check(result):
            opening, final = result
            self.assertEqual(opening[:3], "150")
            self.assertEqual(final[:3], "426")
        return self.transfer("STOR up.bin", FLOOD, b"x" * 1000).addCallback(
            check)

    def test_downloadFlood(self):
        """
        A download whose client floods KeyUpdate requests before it reads
        it: dropped, C{426} (whole and C{226} once read, were it not).
        """
        def check(result):
            opening, final = result
            self.assertEqual(opening[:3], "150")
            self.assertEqual(final[:3], "426")
        return self.transfer("RETR big.bin", FLOOD,
                             download=len(self.payload)).addCallback(check)

    def test_fewUpdates(self):
        """
        An upload whose client asks for a few KeyUpdates: stored whole.
        """
        def check(result):
            opening, final = result
            self.assertEqual(final[:3], "226")
            self.assertEqual(self.readFile("up.bin"), b"y" * 5000)
        return self.transfer("STOR up.bin", 20, b"y" * 5000).addCallback(
            check)
