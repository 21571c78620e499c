"""
The benchmark's pyftpdlib logs as it is started: C{pyftpdlib} warnings
only, C{pyftpdlib-info} as pyftpdlib does by default, a line per connect,
login, file transfer and disconnect, into the server's output file.
"""

import os

from twisted.trial import unittest

from bench.servers import Pyftpdlib, PyftpdlibInfo
from tests.polling import waitUntil
from tests.scratch import scratchDirectory


class PyftpdlibLogTests(unittest.TestCase):
    """
    What L{Pyftpdlib} and L{PyftpdlibInfo} write to their output files.
    """

    timeout = 60

    def start(self, kind):
        """
        Start a server serving a directory holding C{f.txt}.

        @param kind: L{Pyftpdlib} or L{PyftpdlibInfo}.
        @return: the L{bench.servers.Instance}, which has logged the
            benchmark's user in once (L{bench.servers.Server.start}).
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "f.txt"), "wb") as f:
            f.write(b"x" * 100)
        instance = kind(root, scratchDirectory(self), None).start()
        self.addCleanup(instance.stop)
        return instance

    def log(self, instance):
        """
        @param instance: a L{bench.servers.Instance}.
        @return: its output file's text.
        """
        with open(instance.log) as f:
            return f.read()

    def test_info(self):
        """
        C{pyftpdlib-info} logs the connects, the login and the download
        (each written before the server answers the C{QUIT} after it),
        and the disconnects.
        """
        instance = self.start(PyftpdlibInfo)
        client = instance.client()
        client.retr("f.txt")
        client.quit()
        text = self.log(instance)
        self.assertIn("FTP session opened (connect)", text)
        self.assertIn("USER 'bench' logged in.", text)
        self.assertIn("f.txt completed=1 bytes=100", text)
        self.assertTrue(waitUntil(lambda: self.log(instance).count(
            "FTP session closed (disconnect).") == 2))

    def test_quiet(self):
        """
        C{pyftpdlib} has logged nothing of the login it answered (a line
        would be written before it answers the C{QUIT} after it).
        """
        instance = self.start(Pyftpdlib)
        self.assertNotIn("logged in", self.log(instance))
