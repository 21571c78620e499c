"""
Edges of the data channel driven over real loopback sockets with raw
clients: what a transfer answers when its data connection never becomes
usable.
"""

import os

from twisted.trial import unittest

from ftpkit.data import channel
from tests.integration.test_hardening import captureWarnings
from tests.integration.test_tls_data import RawSession
from tests.tlssupport import FTPSTestsMixin


class ActiveHandshakeTimeoutTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{PROT P} in active mode (C{PORT}): the client accepts the server's
    data connection and never sends its ClientHello. The transfer ends
    after the handshake timeout (L{channel.HANDSHAKE_TIMEOUT}, made short
    here) with C{426} and one log line, as in passive mode; it waited for
    the data timeout (longer than the client's own timeout here), and
    logged the idle connection too.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.patch(channel, "HANDSHAKE_TIMEOUT", 0.5)
        self.warnings = captureWarnings(self)
        self.serve(dataTimeout=60)

    def silentTransfer(self, command):
        """
        Send C{command} after C{PORT}, accept the server's connection and
        send nothing on it.

        @return: a Deferred firing with the replies to C{command} (its
            C{150} and its final one) and to a C{NOOP} after it.
        """
        def client():
            session = RawSession(self.server.port)
            try:
                listener = session.active()
                session.send(command)
                opening = session.reply()
                data, _ = listener.accept()
                listener.close()
                try:
                    final = session.reply()
                finally:
                    data.close()
                session.send("NOOP")
                return opening[:3], final[:3], session.reply()[:3]
            finally:
                session.close()
        return self.inThread(client)

    async def assertEndsAtHandshakeTimeout(self, command, lines):
        """
        C{command} gets C{150}, then C{426}, the session goes on, and
        C{lines} warnings are logged, none of an idle connection.
        """
        replies = await self.silentTransfer(command)
        self.assertEqual(replies, ("150", "426", "200"))
        self.assertEqual(len(self.warnings), lines, self.warnings)
        self.assertFalse([w for w in self.warnings if "idle for" in w])

    def test_download(self):
        """
        C{RETR} of a file with data.
        """
        return self.assertEndsAtHandshakeTimeout("RETR big.bin", 1)

    async def test_upload(self):
        """
        C{STOR}: nothing is kept.
        """
        await self.assertEndsAtHandshakeTimeout("STOR up.bin", 1)
        self.assertFalse(os.path.exists(os.path.join(self.root, "up.bin")))

    def test_listing(self):
        """
        C{LIST} (listings log no transfer line).
        """
        return self.assertEndsAtHandshakeTimeout("LIST", 0)
