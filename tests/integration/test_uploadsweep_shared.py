"""
Tests for a server's uploads beside the sweep of another server sharing
its root (C{docs/scale-out.rst}): that sweep spares none of this server's
temporary files (it does not know its tag), and takes only those no
upload holds (L{ftpkit.shells.uploadlocks}).
"""

import io
import os
import subprocess
import sys
import threading

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.twistdrun import SOURCE

_SWEEPING = """
import sys
from ftpkit.shells.partialsweep import sweep
print("sweeping", flush=True)
while True:
    sweep(sys.argv[1])
"""
"""A second server's start-up sweep of the root given, over and over."""

CLIENTS = 4
"""Clients uploading at once."""

UPLOADS = 60
"""Uploads each client makes."""


class SweepBesideUploadsTests(unittest.TestCase):
    """
    Uploads replacing files (into temporary files) while another process
    sweeps the same root as a second server's start does.
    """

    timeout = 180

    def setUp(self):
        self.root = scratchDirectory(self)
        for client in range(CLIENTS):
            with open(os.path.join(self.root, f"f{client}"), "wb") as f:
                f.write(b"old")
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret"])
        self.server.waitForGreeting()
        sweeper = subprocess.Popen(
            [sys.executable, "-c", _SWEEPING, self.root],
            env={**os.environ, "PYTHONPATH": SOURCE},
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.addCleanup(sweeper.wait)
        self.addCleanup(sweeper.stdout.close)
        self.addCleanup(sweeper.kill)
        self.assertEqual(sweeper.stdout.readline(), b"sweeping\n")

    def replaceOver(self, ftp, client, failures):
        """
        Replace C{f<client>} L{UPLOADS} times, each with other bytes,
        noting each upload not told C{226} or whose file does not hold
        its bytes after it.

        @param ftp: a logged-in C{ftplib.FTP}.
        @param failures: the list the failures go to.
        """
        name = f"f{client}"
        for number in range(UPLOADS):
            data = b"%d %d " % (client, number) + b"x" * (number * 100)
            try:
                reply = ftp.storbinary("STOR " + name, io.BytesIO(data))
            except Exception as e:
                failures.append(str(e))
                continue
            with open(os.path.join(self.root, name), "rb") as f:
                if not reply.startswith("226") or f.read() != data:
                    failures.append(f"{name} {number}: {reply}")
        ftp.quit()

    def test_replacedWhileSwept(self):
        """
        Every upload is told C{226} and leaves its bytes at its target:
        the sweep took a temporary file as it was made, or as it was
        closed before its rename at the commit, or while its upload's
        hold had been refused, because the sweep held it for a moment
        as the upload asked (the upload then failed with C{550} once
        complete, its bytes left as a partial upload).
        """
        failures = []
        clients = [threading.Thread(target=self.replaceOver, args=(
            self.server.login("alice", "secret"), client, failures))
                   for client in range(CLIENTS)]
        for each in clients:
            each.start()
        for each in clients:
            each.join()
        self.assertEqual(failures, [])
