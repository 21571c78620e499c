"""
A server whose descriptor limit is lowered (C{prlimit}) below every
descriptor it holds, its spare one's too, stops accepting a second at a
time and says so once (L{ftpkit.deploy.acceptpause}); a client waiting
meanwhile is greeted once the limit is raised again. The listening
socket, readable every turn, ran the reactor at full CPU, and a
one-process server logged Twisted's C{Could not accept new connection
(EMFILE)} on every turn (hundreds of thousands of lines a second).
"""

import resource
import socket

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

STARVED = "no descriptor free for the clients waiting"
"""The start of the line saying that accepting pauses."""

TWISTED_LINE = "Could not accept new connection"
"""What Twisted's port logs on each turn that cannot accept."""


class StarvedTests(unittest.TestCase):
    """
    Clients of a server left with no descriptor at all.
    """

    def starved(self, *extra):
        """
        Lower the accepting process's soft limit to 3 (below its every
        descriptor), connect a client, see accepting pause (one line, no
        line of Twisted's), raise the limit again and see the client
        greeted.
        """
        server = ServerProcess(self, ["--root", scratchDirectory(self),
                                      "--auth", "anonymous",
                                      "--max-connections-per-ip", "1000",
                                      *extra])
        if extra:
            server.waitForLog(" ready\n", 2)
        server.waitForGreeting()
        pid = server.process.pid
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, hard))
        try:
            client = socket.create_connection(("127.0.0.1", server.port))
            self.addCleanup(client.close)
            server.waitForLog(STARVED)
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        client.settimeout(30)
        self.assertTrue(client.recv(100).startswith(b"220 "))
        log = server.log()
        self.assertEqual(log.count(STARVED), 1, log[-3000:])
        self.assertEqual(log.count(TWISTED_LINE), 0, log[-3000:])

    def test_oneProcess(self):
        self.starved()

    def test_acceptor(self):
        self.starved("--workers", "2")
