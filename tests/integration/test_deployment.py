"""
What docs/deployment.rst tells operators to run: socket activation
through the C{systemd:} endpoint, as systemd starts it (the listening
socket as descriptor 3, C{LISTEN_PID}, C{LISTEN_FDS} and C{LISTEN_FDNAMES} set).
"""

import io
import os
import signal
import socket
import subprocess
import sys

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT
from tests.twistdrun import SOURCE

_ACTIVATED_TWISTD = """
import os, sys
os.dup2(int(sys.argv.pop(1)), 3)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_FDNAMES"] = "ftpkit.socket"
sys.argv[0] = "twistd"
from twisted.scripts.twistd import run
run()
"""
"""C{twistd}, given a listening socket the way systemd gives it."""


class SocketActivationTests(unittest.TestCase):
    """
    C{--listen systemd:domain=INET:index=0} serves on the socket it is
    handed, and C{SIGHUP} and C{SIGTERM} behave as with its own.
    """

    def test_serves(self):
        root = scratchDirectory(self)
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        log = open(self.mktemp(), "w+b")
        self.addCleanup(log.close)
        server = subprocess.Popen(
            [sys.executable, "-c", _ACTIVATED_TWISTD,
             str(listener.fileno()), "-n", "--pidfile=", "ftpkit",
             "--listen", "systemd:domain=INET:index=0", "--root", root,
             "--auth", "memory:alice:pw"],
            pass_fds=[listener.fileno()], cwd=root, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=SOURCE))
        self.addCleanup(server.wait, TIMEOUT)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        listener.close()
        ftp = ftplibLogin(self, port, "alice", "pw", timeout=TIMEOUT)
        ftp.storbinary("STOR f", io.BytesIO(b"activated"))
        server.send_signal(signal.SIGHUP)
        self.assertEqual(ftp.nlst(), ["f"])
        server.send_signal(signal.SIGTERM)
        self.assertEqual(ftp.getline()[:4], "421 ")
        self.assertEqual(server.wait(TIMEOUT), -signal.SIGTERM)
        log.seek(0)
        self.assertNotIn(b"Traceback", log.read())
