"""
C{--tls-allow-upload-eof}: uploads whose client ends the data connection
with a TCP FIN and no TLS C{close_notify}, against C{python -m ftpkit} in
a child process, under C{AUTH TLS} (C{127.0.0.1}) and over an implicit
C{ssl:} listener (C{::1}), with and without the option:

 - Python's C{ssl} sending the file, then C{shutdown(SHUT_WR)} of the
   socket under the TLS layer (no C{unwrap()}): C{426} and no file by
   default, C{226} and the whole file with the option, which logs it;
 - a reset instead of the FIN: C{426} with the option too;
 - wput 0.6.2 over C{AUTH TLS} (it never sends a C{close_notify} on
   uploads, docs/protocol.rst), through C{--workers 2}: it fails by
   default and succeeds with the option.
"""

import ftplib
import os
import shutil
import socket
import struct
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import ClientServerMixin

WPUT = shutil.which("wput")

PAYLOAD = bytes(range(256)) * 300
"""An upload of 75 KiB."""

LOGGED = "ended without the client's TLS close_notify"
"""What the server logs of an upload it takes without one."""


class CloseNotifyOmittedTests(ClientServerMixin, unittest.TestCase):
    """
    ftplib's data connection ended without a C{close_notify}, both ways
    of FTPS, with and without C{--tls-allow-upload-eof}.
    """

    def upload(self, client, name, reset=False):
        """
        Send L{PAYLOAD} as C{name} and end the data connection without a
        C{close_notify}: a FIN (C{shutdown(SHUT_WR)} below the TLS
        layer), or a reset.

        @return: the final reply's code.
        """
        data = client.transfercmd("STOR " + name)
        data.sendall(PAYLOAD)
        if reset:
            data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            data.close()
        else:
            socket.socket.shutdown(data, socket.SHUT_WR)
        try:
            return client.voidresp()[:3]
        except ftplib.error_temp as e:
            return str(e)[:3]
        finally:
            data.close()

    def clients(self):
        """
        @return: an ftplib client under C{AUTH TLS} and one over implicit
            FTPS, each with C{PROT P} and its name.
        """
        self.needIPv6()
        return [("explicit", self.ftplib(explicit=True)),
                ("implicit", self.ftplib(implicit=True))]

    def test_refusedByDefault(self):
        """
        Without the option the upload is cut: C{426}, no file.
        """
        server = self.serve()
        for name, client in self.clients():
            self.assertEqual(self.upload(client, name), "426", name)
            self.assertFalse(os.path.exists(os.path.join(self.root, name)))
            client.quit()
        self.assertNotIn(LOGGED, server.log())

    def test_acceptedWithOption(self):
        """
        With the option the FIN completes the upload: C{226}, the whole
        file, and one line logged for each.
        """
        server = self.serve("--tls-allow-upload-eof")
        for name, client in self.clients():
            self.assertEqual(self.upload(client, name), "226", name)
            self.assertTrue(self.served(name) == PAYLOAD, name)
            client.quit()
        server.waitForLog(LOGGED, 2)

    def test_resetStillCut(self):
        """
        With the option, a reset still cuts the upload.
        """
        server = self.serve("--tls-allow-upload-eof")
        for name, client in self.clients():
            self.assertEqual(self.upload(client, name, reset=True), "426",
                             name)
            self.assertFalse(os.path.exists(os.path.join(self.root, name)))
            client.quit()
        self.assertNotIn(LOGGED, server.log())


class WputTLSTests(ClientServerMixin, unittest.TestCase):
    """
    wput's uploads over C{AUTH TLS} through C{--workers 2}.
    """

    if WPUT is None:
        skip = "wput is not installed"

    def wput(self, name):
        """
        Upload L{PAYLOAD} with wput (which takes C{AUTH TLS}) as C{name}.

        @return: its C{subprocess.CompletedProcess}.
        """
        source = os.path.join(self.local, "src.bin")
        with open(source, "wb") as f:
            f.write(PAYLOAD)
        url = "ftp://alice:secret@127.0.0.1:%d/%s" % (self.port, name)
        return subprocess.run(
            [WPUT, "--tries=1", "--binary", "--verbose", source, url],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL)

    def test_refusedByDefault(self):
        """
        Without the option wput's upload fails and makes no file.
        """
        self.serve("--workers", "2")
        done = self.wput("w.bin")
        self.assertIn(b"AUTH TLS", done.stdout)
        self.assertNotEqual(done.returncode, 0, done.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.root, "w.bin")))

    def test_acceptedWithOption(self):
        """
        With the option wput's upload succeeds.
        """
        server = self.serve("--workers", "2", "--tls-allow-upload-eof")
        done = self.wput("w.bin")
        self.assertIn(b"AUTH TLS", done.stdout)
        self.assertEqual(done.returncode, 0, done.stdout)
        self.assertTrue(self.served("w.bin") == PAYLOAD)
        server.waitForLog(LOGGED)
