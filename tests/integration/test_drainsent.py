"""
C{SIGTERM}'s grace over while a client still reads a download (or a
listing) whose every byte and end of data the server had already handed
to the kernel, against a real server (C{python -m ftpkit}, in clear and
under C{PROT P}): the drain ends the transfer in order, the client reads
all of it, and it is answered C{226}, then C{421}, as an C{ABOR} then
is. It was answered C{426}, the client holding the whole file.
"""

import os
import signal

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import loginAlice, repliesUntilClosed
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates

SIZE = 512 * 1024
"""Bytes of the download: what the socket buffers on loopback take at once
(every byte gone to the kernel), more than the client's kernel takes
before its reader reads them (the lingering close still waiting for its
acknowledgement when the grace is over)."""


class SentWhenGraceOverTests(Certificates, unittest.TestCase):
    """
    A slow reader of a small download when the shutdown grace is over.
    """

    timeout = 120

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.data = os.urandom(SIZE)
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(self.data)
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both, "--shutdown-grace", "1"])
        self.server.waitForGreeting()

    def readSlowly(self, tls):
        """
        Start C{RETR f}, read its first bytes, send C{SIGTERM}, then read
        the rest past the grace.

        @return: the bytes read, and the reply codes until the server
            closed.
        """
        ftp = loginAlice(self, self.server.port, tls)
        data = ftp.transfercmd("RETR f")
        self.addCleanup(data.close)
        received = data.recv(1024)
        self.server.signal(signal.SIGTERM)
        self.server.waitForLog("shutdown grace of 1 s over")
        # The server ended the transfer (its line, 226 or 426, is logged)
        # before the client reads on.
        self.server.waitForLog("path '/f': ")
        while True:
            chunk = data.recv(4096)
            if not chunk:
                break
            received += chunk
        if tls:
            data.unwrap()
        data.close()
        return received, repliesUntilClosed(ftp)

    def assertComplete(self, tls):
        """
        L{readSlowly}: every byte, C{226} then C{421}, the transfer line
        saying C{226}, the process exiting on the signal.
        """
        def check(result):
            received, codes = result
            self.assertEqual(len(received), SIZE)
            self.assertTrue(received == self.data)
            self.assertEqual(codes, ["226", "421"])
            self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)
            log = self.server.log()
            self.assertIn(f"path '/f': 226, {SIZE} bytes", log)
            self.assertNotIn("Traceback", log)
        return threads.deferToThread(self.readSlowly, tls).addCallback(check)

    def test_clear(self):
        return self.assertComplete(False)

    def test_tls(self):
        return self.assertComplete(True)
