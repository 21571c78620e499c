"""
After C{QUIT} under TLS the server ends the connection itself (the
control connection's producer, moved under the TLS layer by C{startTLS},
held the TLS close back, so a client waiting for the end waited for
C{closeTimeout}; see also L{tests.integration.test_drain}).
"""

import socket

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.tlssupport import FTPSTestsMixin, clientContext, readToEnd


class QuitTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{QUIT} over TLS: C{221}, then the end of the stream.
    """

    def quit(self, sock):
        """
        Send C{QUIT} on a TLS socket and read until the stream ends.

        @return: what was read.
        @raise socket.timeout: if it does not end within the socket's
            timeout (far less than the server's C{closeTimeout}).
        """
        sock.sendall(b"QUIT\r\n")
        return readToEnd(sock)

    async def test_explicit(self):
        """
        After C{AUTH TLS}, C{QUIT} gets C{221} and the server's
        close_notify.
        """
        self.serve(closeTimeout=120)

        def client():
            with socket.create_connection(("127.0.0.1", self.server.port),
                                          timeout=30) as plain:
                plain.recv(1000)
                plain.sendall(b"AUTH TLS\r\n")
                plain.recv(1000)
                with clientContext().wrap_socket(plain) as sock:
                    return self.quit(sock)

        self.assertEqual(await self.inThread(client), b"221 Goodbye\r\n")

    async def test_implicit(self):
        """
        On an implicit-TLS listener likewise.
        """
        self.factory = makeContextFactory(self.both)
        self.serveImplicit(closeTimeout=120)

        def client():
            with socket.create_connection(("127.0.0.1", self.server.port),
                                          timeout=30) as plain:
                with clientContext().wrap_socket(plain) as sock:
                    return self.quit(sock)

        self.assertTrue((await self.inThread(client)).endswith(
            b"221 Goodbye\r\n"))
