"""
A C{--listen} address that cannot be listened on ends the server with one
log line and exit status 1, in one process and with C{--workers}, never
a traceback.
"""

import os
import socket
import subprocess
import sys

from twisted.trial import unittest

from tests.integration.test_plugin import _SOURCE


class AddressInUseTests(unittest.TestCase):
    """
    C{python -m ftpkit} on a port another socket holds.
    """

    def runServer(self, *extra):
        """
        @return: the exit status and output of a server on a taken port.
        """
        holder = socket.socket()
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit", "--listen",
             f"tcp:{port}:interface=127.0.0.1", "--root", os.getcwd(),
             "--auth", "anonymous", *extra],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=_SOURCE))
        return done.returncode, done.stdout + done.stderr

    def check(self, *extra):
        status, output = self.runServer(*extra)
        self.assertEqual(status, 1, output)
        self.assertNotIn("Traceback", output)
        lines = [line for line in output.splitlines() if "cannot listen" in line]
        self.assertEqual(len(lines), 1, output)
        self.assertIn("Address already in use", lines[0])

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        self.check("--workers", "2")
