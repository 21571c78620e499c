"""
The lingering close of a download under TLS (PROT P), with a real client
(ftplib's C{FTP_TLS}) that reads the data to the server's close_notify and
waits for the C{226} before it closes its data connection, as in clear
(C{test_linger}): it gets C{226} after
L{ftpkit.data.connection.LINGER_TIMEOUT}, for a large file, a 1-byte file
and an empty one, over PASV, EPSV and active data connections, with TLS
1.2 and 1.3. A client that ends the connection before the data went out
still gets C{426}.
"""

import os
import socket
import struct

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from ftpkit.data import connection
from tests.sockreads import readToEnd
from tests.tlssupport import FTPSTestsMixin

FILES = {"big": "big.bin", "one": "one.bin", "empty": "empty.bin"}
"""The files downloaded, by the part of the test names that names them."""


class TLSLingerTests(FTPSTestsMixin, unittest.TestCase):
    """
    Downloads under PROT P whose client waits for the C{226} before
    closing the data connection.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.contents = {"big.bin": self.payload, "one.bin": b"x",
                         "empty.bin": b""}
        for name in ("one.bin", "empty.bin"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(self.contents[name])
        self.patch(connection, "LINGER_TIMEOUT", 0.2)

    def download(self, name, mode, version="12"):
        """
        Download C{name}, reading to the end of the data (the server's
        close_notify), then the final reply, and only then closing the
        data connection (without a close_notify of its own).

        @param mode: C{"pasv"}, C{"epsv"} or C{"active"}.
        @param version: C{"12"} (TLS 1.2) or C{"13"} (TLS 1.3 offered).
        @return: a Deferred firing once the reply and data are checked.
        """
        if version == "13":
            self.factory = makeContextFactory(self.both, maximumVersion=None)
        # Without the lingering close the server waits for the client
        # until the data timeout, then gives 426.
        self.serve(dataTimeout=10)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            if mode == "epsv":
                ftp.af = socket.AF_INET6  # ftplib then sends EPSV
            elif mode == "active":
                ftp.set_pasv(False)
            ftp.voidcmd("TYPE I")
            data = ftp.transfercmd("RETR " + name)
            try:
                received = readToEnd(data, resetEnds=True)
                reply = ftp.getmultiline()
            finally:
                data.close()
            result = (received, reply, ftp.voidcmd("NOOP"),
                      ftp.sock.version())
            ftp.close()
            return result

        def check(result):
            received, reply, after, negotiated = result
            self.assertEqual(
                (reply[:3], len(received), received == self.contents[name],
                 after[:3], negotiated),
                ("226", len(self.contents[name]), True, "200",
                 "TLSv1.%s" % version[1]))
        return self.inThread(client).addCallback(check)

    def test_resetBeforeTheEnd(self):
        """
        A client that resets its data connection before the download's
        data went out gets C{426}.
        """
        self.serve(dataTimeout=10)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.voidcmd("TYPE I")
            data = ftp.transfercmd("RETR big.bin")
            data.recv(1024)
            data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            data.close()
            result = ftp.getmultiline()
            ftp.close()
            return result

        return self.inThread(client).addCallback(
            lambda reply: self.assertEqual(reply[:3], "426", reply))


def _addTests():
    for fileKey, name in FILES.items():
        for mode in ("pasv", "epsv", "active"):
            for version in ("12", "13"):
                def test(self, name=name, mode=mode, version=version):
                    return self.download(name, mode, version)
                test.__name__ = "test_%s_%s_%s" % (fileKey, mode, version)
                test.__doc__ = ("RETR of %s over %s, TLS %s.%s: 226 after "
                                "the linger."
                                % (name, mode, version[0], version[1]))
                setattr(TLSLingerTests, test.__name__, test)


_addTests()
