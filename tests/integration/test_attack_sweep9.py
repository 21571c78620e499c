"""
The ninth attack sweep, over real loopback sockets.

C{HOST} took an IPv6 address with a zone (C{[::1%eth0]}), and Python's
L{ipaddress} takes any text after the C{%} as the zone: escape
sequences, tabs, spaces, NUL. The name was answered C{220} on a server
without virtual hosts (every name picks the default realm), and written
as it came into the log's lines (C{chose virtual host}, and C{login ...
on host} for the rest of the session): a client could put terminal
escapes and forged text into the operator's log.

The C{--metrics} endpoint answered every request a client pipelined
whether or not it read the answers: C{twisted.web} stops reading a
connection whose answers wait unsent, but first answers every request of
what it already read, so one read of 64 KiB of C{GET /sessions} lines
(1,400 requests) put 1,400 copies of the page in the server's memory.
Eight connections grew a server with 30 sessions by 283 MB in 8 seconds.
"""

import socket
import time

from twisted.internet import reactor, threads
from twisted.trial import unittest

from ftpkit.deploy.opsservice import metricsFactory


class PipelinedScrapesTests(unittest.TestCase):
    """
    The metrics endpoint and a client that pipelines requests and reads
    none of the answers.
    """

    timeout = 60

    def setUp(self):
        self.answered = 0
        records = [{"session": n, "peer": "192.0.2.1", "user": "u" * 40}
                   for n in range(2000)]

        def sessions():
            self.answered += 1
            return records
        self.port = reactor.listenTCP(
            0, metricsFactory(lambda: None, sessions, frozenset()),
            interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)

    async def test_answersBounded(self):
        """
        Of 2,000 requests sent at once, the server answers those its
        socket buffers take, and then a few, not every one it read.
        """
        request = b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

        def flood(port):
            client = socket.socket()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", port))
            try:
                client.sendall(request * 2000)
                time.sleep(2)
            finally:
                client.close()
        await threads.deferToThread(flood, self.port.getHost().port)
        self.assertLess(self.answered, 200)
