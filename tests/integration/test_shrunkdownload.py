"""
A download of a file on the disk truncated while it is sent never ends
with C{226}: in C{TYPE I} and in C{TYPE A} (whose bytes on the wire are
not the file's: the C{451} counts the file's), on a clear data
connection and under C{PROT P}, and in C{MODE Z} with C{TYPE A}.
"""

import ftplib
import os
import socket
import zlib

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.tlssupport import Certificates, clientContext, makeContextFactory

SPARSE = 64 << 20
"""The size of the (sparse) file truncated while it is sent: far more
than the loopback connection's buffers hold."""

LINES = b"a line of text\n" * (1 << 16)
"""The file's first bytes, with LF line ends (each sent as CRLF in
C{TYPE A}); the rest of it is a hole (zeros)."""

KEPT = 1 << 20
"""What the file keeps of itself once truncated."""


class ShrunkDownloadMixin(LoopbackServerMixin):
    """
    A file of L{SPARSE} bytes, truncated to L{KEPT} after the first bytes
    of its download arrived. Subclasses set C{binary} (the C{TYPE}) and
    C{secure} (C{PROT P}), and may set C{deflate} (C{MODE Z}).
    """

    timeout = 60
    deflate = False

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "big.txt")
        self.writeFile()
        settings = {"modeZ": self.deflate}
        if self.secure:
            Certificates.makeCertificates(self)
            settings["tlsContextFactory"] = makeContextFactory(self.both)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, **settings),
            users={"alice": "secret"}, anonymous=False)

    def writeFile(self):
        """
        Write the file: L{LINES}, then a hole up to L{SPARSE} bytes.
        """
        with open(self.path, "wb") as f:
            f.write(LINES)
            f.truncate(SPARSE)

    def _download(self):
        """
        Download the file, reading slowly through a small receive
        buffer, and truncate it after the first bytes arrived (blocking:
        call in a thread).

        @return: the bytes received, and the final reply.
        """
        client = ftplib.FTP_TLS(context=clientContext()) if self.secure \
            else None
        ftp = ftplibLogin(self, self.server.port, client=client,
                          protect=self.secure, binary=self.binary)
        if not self.binary:
            ftp.voidcmd("TYPE A")
        if self.deflate:
            ftp.voidcmd("MODE Z")
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.settimeout(30)
        data.connect(("127.0.0.1", port))
        ftp.sendcmd("RETR big.txt")
        if self.secure:
            data = ftp.context.wrap_socket(data, server_hostname=ftp.host)
        received = [data.recv(4096)]
        os.truncate(self.path, KEPT)
        while received[-1]:
            received.append(data.recv(1 << 20))
        if self.secure:
            data.unwrap()
        data.close()
        try:
            reply = ftp.voidresp()
        except ftplib.Error as e:
            reply = str(e)
        ftp.close()
        received = b"".join(received)
        if self.deflate:
            received = zlib.decompressobj().decompress(received)
        return received, reply

    @defer.inlineCallbacks
    def test_shrunkIsNotComplete(self):
        """
        The client gets C{451}, not C{226}, after the bytes the file still
        had, and the reply counts the file's bytes it got (in C{TYPE A},
        fewer than the bytes received: each LF went as CRLF).
        """
        received, reply = yield self.inThread(self._download)
        fileBytes = len(received if self.binary
                        else received.replace(b"\r\n", b"\n"))
        self.assertLess(fileBytes, SPARSE)
        self.assertEqual(reply[:4], "451 ")
        if self.binary:
            self.assertIn(f"{fileBytes} of {SPARSE} bytes sent", reply)
        else:
            self.assertLess(fileBytes, len(received))
            self.assertIn(f"{fileBytes} of {SPARSE} file bytes sent", reply)


class BinaryTests(ShrunkDownloadMixin, unittest.TestCase):
    """
    C{TYPE I}, clear.
    """

    binary = True
    secure = False


class ASCIITests(ShrunkDownloadMixin, unittest.TestCase):
    """
    C{TYPE A}, clear: it ended with C{226} and the short content.
    """

    binary = False
    secure = False


class SecureASCIITests(ShrunkDownloadMixin, unittest.TestCase):
    """
    C{TYPE A} under C{PROT P}.
    """

    binary = False
    secure = True


class DeflatedASCIITests(ShrunkDownloadMixin, unittest.TestCase):
    """
    C{MODE Z} with C{TYPE A}, clear, of a file of random bytes (no CR
    among them), which the deflate stream cannot shrink below the
    connection's buffers as it shrinks L{LINES} and the hole.
    """

    binary = False
    secure = False
    deflate = True

    def writeFile(self):
        """
        Write L{SPARSE} random bytes without CR, which C{TYPE A} sends as
        they are but LF, sent as CRLF.
        """
        with open(self.path, "wb") as f:
            for _ in range(SPARSE >> 20):
                f.write(os.urandom(1 << 20).replace(b"\r", b"x"))
