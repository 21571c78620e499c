"""
An upload and its C{ABOR} sent in one write, on a real server over the
disk: the upload, aborted before any data connection was made, leaves
no new file and an existing one as it was (C{APPE new} left an empty
C{new}: its open ran before the C{ABOR} was read). Clear and TLS
control connections; C{PASV}, C{EPSV} and C{PORT}.
"""

import ftplib
import os

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import startServer
from tests.tlssupport import clientContext, makeCertificate

UPLOADS = [
    ("APPE new.txt", "426"),
    ("STOR new.txt", "425"),
    ("STOU", "426"),
    ("APPE old.txt", "426"),
    ("STOR old.txt", "425"),
    ("REST 2\r\nSTOR old.txt", "426"),
]
"""C{(commands, code)}: the upload commands sent with C{ABOR}, and the
upload's reply (C{425} where the wait for the data connection was cut,
C{426} where the wait for what it opens was)."""


class AbortInOneWriteTests(unittest.TestCase):
    """
    Each upload of L{UPLOADS} with C{ABOR} in one write.
    """

    timeout = 120

    def setUp(self):
        _, _, both = makeCertificate(scratchDirectory(self))
        self.server, self.root = startServer(self, "--tls-cert", both)
        self.old = os.path.join(self.root, "old.txt")
        with open(self.old, "wb") as f:
            f.write(b"hello\n")

    def check(self, ftp, offer):
        """
        Send each upload of L{UPLOADS} with C{ABOR} on C{ftp}, after
        C{offer} sets up its data connection.

        @param ftp: a logged-in ftplib client.
        @param offer: called with C{ftp} before each upload: sets up the
            data connection; returns the client's listening socket
            (C{PORT}) or C{None}.
        """
        for commands, code in UPLOADS:
            listening = offer(ftp)
            ftp.sock.sendall(commands.encode("ascii") + b"\r\nABOR\r\n")
            codes = [ftp.getmultiline()[:3]
                     for _ in range(commands.count("\n") + 2)]
            if listening is not None:
                listening.close()
            self.assertEqual(codes[-2:], [code, "226"], commands)
            self.assertEqual(sorted(os.listdir(self.root)), ["old.txt"],
                             commands)
            with open(self.old, "rb") as f:
                self.assertEqual(f.read(), b"hello\n", commands)
        ftp.quit()

    def test_passive(self):
        """
        In clear, after C{PASV}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        self.check(ftp, lambda ftp: ftp.sendcmd("PASV") and None)

    def test_extendedPassive(self):
        """
        Under TLS (C{PROT P}), after C{EPSV}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True, protect=True,
                          client=ftplib.FTP_TLS(context=clientContext()))
        self.check(ftp, lambda ftp: ftp.sendcmd("EPSV") and None)

    def test_active(self):
        """
        In clear, after C{PORT}: the server never connects.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        self.check(ftp, lambda ftp: ftp.makeport())
