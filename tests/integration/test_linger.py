"""
The lingering close of a download in clear, with a real client: the
C{226} waits for the client to end its side of the data connection, but a
client that keeps it open until it has the C{226} still gets it, after
L{ftpkit.data.connection.LINGER_TIMEOUT}.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data import connection, leanconnection
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


def readThenReply(case, path, mode, active=False, timeout=20):
    """
    In a thread: C{RETR path} in C{mode} (C{"I"}: the bare socket; C{"A"}:
    a Twisted transport), passive or active, read to the end, then wait
    for the reply, and only then close the data connection; check that
    the reply is C{226} and the bytes are whole.

    @param case: a L{LoopbackServerMixin} test case whose C{server} runs.
    @param timeout: the client's time-out, in seconds.
    @return: a L{Deferred} that fires once checked.
    """
    def client():
        ftp = ftplibLogin(case, case.server.port, timeout=timeout)
        ftp.set_pasv(not active)
        ftp.voidcmd("TYPE " + mode)
        data = ftp.transfercmd("RETR " + path)
        received = b""
        while True:
            chunk = data.recv(65536)
            if not chunk:
                break
            received += chunk
        reply = ftp.voidresp()
        data.close()
        ftp.quit()
        return received, reply

    def check(result):
        received, reply = result
        case.assertTrue(reply.startswith("226"), reply)
        case.assertEqual(received.replace(b"\r\n", b"\n"),
                         b"hello\n" * 1000)
    return case.inThread(client).addCallback(check)


class LingerClientTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that reads a download to its end and waits for the C{226}
    before closing the data connection.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"hello\n" * 1000)
        self.patch(connection, "LINGER_TIMEOUT", 0.2)
        self.patch(leanconnection, "LINGER_TIMEOUT", 0.2)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def download(self, mode):
        """
        RETR in C{mode} (C{"I"}: the bare socket and C{sendfile}; C{"A"}:
        a Twisted transport), reading to the end, then the reply, and only
        then closing.
        """
        return readThenReply(self, "f.txt", mode)

    def test_binary(self):
        """
        A binary download over the bare socket.
        """
        return self.download("I")

    def test_ascii(self):
        """
        An ASCII download over a Twisted transport.
        """
        return self.download("A")


class AcknowledgedClientTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that has read a download to its end and waits for the C{226}
    before it closes the data connection, as Python's C{urllib.request}
    does (it swallows the time-out), gets it once its kernel has
    acknowledged every byte and the end of the data
    (L{ftpkit.data.linger.ACKED_GRACE} into the wait), not after the whole
    linger: here two minutes, more than the client waits. Before, each of
    C{urllib}'s downloads and listings took
    L{ftpkit.data.connection.LINGER_TIMEOUT} seconds more.
    """

    timeout = 90

    def setUp(self):
        self.root = scratchDirectory(self)
        os.makedirs(os.path.join(self.root, "dir"))
        with open(os.path.join(self.root, "dir", "f.txt"), "wb") as f:
            f.write(b"hello\n" * 1000)
        self.patch(connection, "LINGER_TIMEOUT", 120)
        self.patch(leanconnection, "LINGER_TIMEOUT", 120)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def download(self, mode, active=False):
        """
        RETR in C{mode}, passive or active, reading to the end, then the
        reply (within 30 seconds), and only then closing.
        """
        return readThenReply(self, "dir/f.txt", mode, active, timeout=30)

    def test_binary(self):
        """
        A binary download over the bare socket.
        """
        return self.download("I")

    def test_ascii(self):
        """
        An ASCII download over a Twisted transport.
        """
        return self.download("A")

    def test_activeBinary(self):
        """
        A binary download in active mode (a Twisted transport).
        """
        return self.download("I", active=True)
