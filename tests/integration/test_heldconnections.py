"""
Connections over C{--max-connections-per-ip} that wait, unread, for a
session of their client to end (L{ftpkit.control.overlimitholds} in one
process, L{ftpkit.deploy.overlimit} in the acceptor of C{--workers}),
against a real server (C{python -m ftpkit}), in one process and under
C{--workers 2}:

  - C{SIGTERM} while one waits: it gets the C{421} of a client that
    connects during the drain at once. In one process the drain closing
    the client's idle session let it in (C{220}, its commands answered,
    then closed without a C{421}; an upload it began was lost when the
    process ended); the acceptor closed it unanswered.
"""

import signal
import socket

from twisted.trial import unittest

from ftpkit.ops.drain import SHUTTING_DOWN
from tests.ftpclient import ftplibLogin
from tests.serverprocess import holdsAny, serverEnd, startServer, waitInReactors
from tests.sockreads import readToEnd


class HeldWhenDrainingTests(unittest.TestCase):
    """
    A client logged in at its limit, and its second connection waiting
    (its commands sent), when the server is told C{SIGTERM}.
    """

    timeout = 120

    def drainWithOneHeld(self, *options):
        """
        Start a server allowing one session an address, log in, connect
        again and send a login and C{PWD}, wait until the server holds
        that connection, then C{SIGTERM}.

        @param options: more of the server's options.
        @return: what the waiting connection read until the server
            closed it.
        """
        server, _ = startServer(self, "--max-connections-per-ip", "1",
                                *options)
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        # Kept until the end: a client let go of is closed.
        session = ftplibLogin(self, server.port)
        held = socket.create_connection(("127.0.0.1", server.port),
                                        timeout=30)
        self.addCleanup(held.close)
        held.sendall(b"USER alice\r\nPASS secret\r\nPWD\r\n")
        pid = server.process.pid
        server.waitFor(lambda: holdsAny(pid, serverEnd(held))
                       and waitInReactors(pid),
                       "the server holding the connection over the limit")
        server.signal(signal.SIGTERM)
        read = readToEnd(held)
        session.close()
        return read

    def test_oneProcess(self):
        """
        In one process: C{421}, not admitted by the end of the session
        the drain closed.
        """
        self.assertEqual(self.drainWithOneHeld(),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")

    def test_workers(self):
        """
        Under C{--workers 2}: C{421} from the acceptor, not closed
        unanswered.
        """
        self.assertEqual(self.drainWithOneHeld("--workers", "2"),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")
