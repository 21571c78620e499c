"""
C{--deny-from 0.0.0.0/0 --deny-from ::/0}: every client address denied.
Where every listener's clients have an address (C{tcp:}, C{tcp6:},
C{ssl:}, C{haproxy:}), a usage error at start: the server started and
refused every client with C{421}. A C{unix:} listener's clients have no
address, so no rule denies them: that server starts, and serves them
alone (the socket file's mode says who may connect).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort
from tests.twistdrun import SOURCE, TWISTD

DENY_ALL = ["--deny-from", "0.0.0.0/0", "--deny-from", "::/0"]


class RefusedTests(unittest.TestCase):
    """
    Every client address denied, and no C{unix:} listener: one line, exit
    status 1, from either command, one process or C{--workers 2}.
    """

    timeout = 240

    def test_refused(self):
        listen = f"tcp:{freePort()}:interface=127.0.0.1"
        for command, name in [
                ([sys.executable, "-m", "ftpkit"], "ftpkit"),
                ([sys.executable, "-c", TWISTD, "-n", "--pidfile=",
                  "ftpkit"], "twistd ftpkit")]:
            for extra in ([], ["--workers", "2"]):
                done = subprocess.run(
                    [*command, "--listen", listen, "--root", os.getcwd(),
                     "--auth", "anonymous", *DENY_ALL, *extra],
                    capture_output=True, text=True, timeout=60,
                    stdin=subprocess.DEVNULL,
                    env=dict(os.environ, PYTHONPATH=SOURCE))
                self.assertEqual(
                    (done.returncode, done.stderr, done.stdout),
                    (1, f"{name}: --deny-from: denies every address "
                     "(0.0.0.0/0 and ::/0), and no --listen takes clients "
                     "without one (unix:): no client could connect (see "
                     "--help)\n", ""))


class UnixListenerTests(unittest.TestCase):
    """
    A C{unix:} listener beside a C{tcp:} one, every address denied.
    """

    timeout = 120

    def test_unixClientsServed(self):
        """
        The server starts; a client of the Unix socket is greeted, one of
        the TCP listener refused.
        """
        directory = scratchDirectory(self)
        # A socket's path has a hundred-odd bytes: not under _trial_temp.
        sockets = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, sockets)
        path = os.path.join(sockets, "ftp.sock")
        for twistd in (False, True):
            server = ServerProcess(
                self, ["--root", directory, "--auth", "anonymous",
                       *DENY_ALL],
                twistd=twistd,
                listen=lambda port: [
                    "--listen", f"tcp:{port}:interface=127.0.0.1",
                    "--listen", f"unix:{path}:lockfile=0"])
            server.waitForLog("ftpkit listening on")

            def greeting():
                with socket.socket(socket.AF_UNIX) as client:
                    client.settimeout(10)
                    try:
                        client.connect(path)
                    except OSError:
                        return None
                    return client.recv(200)

            first = server.waitFor(greeting, "a Unix socket client")
            self.assertEqual(first[:4], b"220 ")
            self.assertEqual(server.greeting()[:4], b"421 ")
            server.stop()
            if os.path.exists(path):
                os.remove(path)
