"""
Clients that reconnect at once under C{--max-connections-per-ip}, as
FileZilla and lftp do after a timeout or an error and a sync job running
C{curl} per file does: each of them, having sent C{QUIT} or cut its
connection, is greeted (C{220}) on the next, in one process and under
C{--workers 2}, though the server may not have read the end of the
connection before (one process) or heard of it from its worker (the
acceptor of C{--workers}): the new connection waits for it a moment
(L{ftpkit.deploy.overlimit}) instead of getting C{421}.
"""

import socket

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

ROUNDS = 150
"""Rounds of reconnecting in each test: before the waits, one round in
about twenty was refused where the server was slower to see the end than
the client to come back."""


class ReconnectTests(unittest.TestCase):
    """
    Each round, as many clients as the limit allows connect at once, read
    their greeting, send C{QUIT} (and read the C{221}) or cut, and the
    next round comes at once.
    """

    timeout = 300

    def start(self, limit, *options):
        """
        Start a server allowing C{limit} sessions an address, and wait
        until it serves (every worker of C{--workers 2} ready).

        @param limit: C{--max-connections-per-ip}.
        @param options: more options.
        @return: the L{ServerProcess}.
        """
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", "anonymous",
            "--max-connections-per-ip", str(limit), *options])
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForLog("listening on")
        return server

    def reconnect(self, server, limit, quit):
        """
        Run L{ROUNDS} rounds of C{limit} clients at once; fail at the
        first one not greeted.

        @param server: the L{ServerProcess}.
        @param limit: how many clients a round (the server's limit).
        @param quit: whether each sends C{QUIT} before closing (else it
            cuts its connection).
        """
        for n in range(ROUNDS):
            clients = [socket.create_connection(("127.0.0.1", server.port),
                                                timeout=20)
                       for _ in range(limit)]
            replies = []
            for sock in clients:
                with sock, sock.makefile("rb") as lines:
                    replies.append(lines.readline())
                    if quit and replies[-1].startswith(b"220"):
                        sock.sendall(b"QUIT\r\n")
                        replies.append(lines.readline())
            codes = [reply[:3] for reply in replies]
            self.assertEqual(codes, [b"220", b"221"] * limit if quit
                             else [b"220"] * limit,
                             f"round {n}: {replies}\n{server.log()}")

    def test_quit(self):
        """
        One process, one session an address: C{QUIT}, then connect again.
        """
        self.reconnect(self.start(1), 1, quit=True)

    def test_cut(self):
        """
        One process, one session an address: cut, then connect again.
        """
        self.reconnect(self.start(1), 1, quit=False)

    def test_cutTwo(self):
        """
        One process, two sessions an address: both cut, then two connect
        again at once.
        """
        self.reconnect(self.start(2), 2, quit=False)

    def test_quitWorkers(self):
        """
        C{--workers 2}, one session an address: C{QUIT}, then connect
        again.
        """
        self.reconnect(self.start(1, "--workers", "2"), 1, quit=True)

    def test_cutWorkers(self):
        """
        C{--workers 2}, one session an address: cut, then connect again.
        """
        self.reconnect(self.start(1, "--workers", "2"), 1, quit=False)

    def test_cutTwoWorkers(self):
        """
        C{--workers 2}, two sessions an address: both cut, then two
        connect again at once (FileZilla's browsing and transfer
        connections after a timeout).
        """
        self.reconnect(self.start(2, "--workers", "2"), 2, quit=False)

    def test_quitTwoWorkers(self):
        """
        C{--workers 2}, two sessions an address: both send C{QUIT}, then
        two connect again at once.
        """
        self.reconnect(self.start(2, "--workers", "2"), 2, quit=True)
