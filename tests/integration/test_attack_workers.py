"""
Attacks on a C{--workers} server, each worker a process of its own: one
client address still cannot take the whole passive port range (each
worker counted its share on its own, so with two workers one address held
all of it and other clients got C{425}).
"""


from twisted.trial import unittest

from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, ServerProcess, freeRange


class WorkersPassiveShareTests(unittest.TestCase):
    """
    A two-worker server with a ten-port passive range.
    """

    timeout = 120

    def test_oneAddressCannotTakeTheRange(self):
        """
        Twelve sessions from one address, spread over both workers, each
        with a waiting listener, hold at most half of the range; a client
        from another address still gets a port.
        """
        root = scratchDirectory(self)
        low, high = freeRange(10)
        server = ServerProcess(self, [
            "--root", root, "--auth", "anonymous", "--workers", "2",
            "--passive-ports", f"{low}-{high}"])
        server.waitForLog(READY, 2)
        clients = []
        self.addCleanup(lambda: [client.close() for client in clients])
        replies = []
        for _ in range(12):
            client = RawClient(server.port)
            clients.append(client)
            client.login("anonymous", "x")
            replies.append(client.command("EPSV")[:3])
        self.assertLessEqual(replies.count(b"229"), 5, replies)
        victim = RawClient(server.port, source="127.0.0.2")
        clients.append(victim)
        victim.login("anonymous", "x")
        self.assertEqual(victim.command("EPSV")[:3], b"229")
