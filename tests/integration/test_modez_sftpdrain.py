"""
C{SIGTERM} during a C{MODE Z} upload to an SFTP store (C{python -m
ftpkit --realm fsspec:sftp://...}, in front of the test process's OpenSSH
server): the shutdown grace cuts it as it cuts a C{MODE S} one, with a
C{426}, a transfer line, and the bytes written kept for a resume. A small
stream inflating to a gigabyte was inflated into one write the store took
far longer than the grace to make: the client got the drain's C{421},
nothing was logged of the upload, and its temporary file was left on the
store, neither kept nor removed.
"""

import os
import signal
import threading
import zlib

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import repliesUntilClosed
from tests.fsspecrealms import sftpURL
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

INFLATED = 1 << 30
"""What the client's stream inflates to: far more than the store writes
within the grace."""


def _bomb():
    """
    @return: a zlib stream of L{INFLATED} zero bytes.
    """
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(INFLATED >> 20)]
    return b"".join(parts) + compressor.flush()


def _stored(root):
    """
    @param root: the store's directory.
    @return: whether a file in it holds a byte.
    """
    for name in os.listdir(root):
        try:
            if os.path.getsize(os.path.join(root, name)):
                return True
        except FileNotFoundError:
            pass
    return False


class GraceCutsDeflatedUploadTests(unittest.TestCase):
    """
    The shutdown grace ends a C{MODE Z} upload to SFTP.
    """

    timeout = 180

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = ServerProcess(
            self, ["--realm", "fsspec:" + sftpURL(self.root),
                   "--auth", "memory:alice:secret", "--mode-z",
                   "--shutdown-grace", "2"])
        self.server.waitForGreeting()

    def uploadThenStop(self, stream):
        """
        Upload C{stream} in C{MODE Z}; once the store holds some of it,
        C{SIGTERM}.

        @return: the reply codes the client read until the server closed.
        """
        ftp = self.server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        ftp.voidcmd("MODE Z")
        data = ftp.transfercmd("STOR bomb")

        def send():
            try:
                data.sendall(stream)
            except OSError:
                # The server cut the connection.
                pass

        sender = threading.Thread(target=send)
        sender.start()
        try:
            self.server.waitFor(lambda: _stored(self.root),
                                "bytes on the store")
            self.server.signal(signal.SIGTERM)
            return repliesUntilClosed(ftp)
        finally:
            sender.join(60)
            data.close()

    def test_cutAndKept(self):
        """
        C{426}, one transfer line saying so, the server's exit on the
        signal, and the bytes written kept as a partial upload, no
        temporary file left.
        """
        def check(codes):
            self.assertEqual(codes[0], "426", codes)
            self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)
            log = self.server.log()
            self.assertEqual(log.count("STOR from 127.0.0.1"), 1, log)
            self.assertIn("path '/bomb': 426", log)
            self.assertNotIn("Traceback", log)
            names = os.listdir(self.root)
            self.assertEqual(
                [name for name in names
                 if name.startswith(".ftpkit-partial.")
                 and name.endswith(".bomb")], names)

        return threads.deferToThread(self.uploadThenStop, _bomb()).addCallback(
            check)
