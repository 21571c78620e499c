"""
The ninth attack sweep, over real loopback sockets.

C{HOST} took an IPv6 address with a zone (C{[::1%eth0]}), and Python's
L{ipaddress} takes any text after the C{%} as the zone: escape
sequences, tabs, spaces, NUL. The name was answered C{220} on a server
without virtual hosts (every name picks the default realm), and written
as it came into the log's lines (C{chose virtual host}, and C{login ...
on host} for the rest of the session): a client could put terminal
escapes and forged text into the operator's log.
"""

import socket

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.scratch import scratchDirectory


def exchange(port, lines):
    """
    Send each line on a new control connection and read its one-line
    reply.

    @param port: the server's port on 127.0.0.1.
    @param lines: the command lines, C{bytes} without CRLF.
    @return: the replies, C{bytes} without CRLF.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        replies = sock.makefile("rb")
        replies.readline()
        answers = []
        for line in lines:
            sock.sendall(line + b"\r\n")
            answers.append(replies.readline().rstrip(b"\r\n"))
        return answers


class HostZoneTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{HOST} with an IPv6 address holding a zone.
    """

    timeout = 30

    def setUp(self):
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)), ServerConfig())

    async def test_zoneRefused(self):
        """
        A zone, harmless or not, gets C{501}, and the next C{USER}
        logs in to no host; the address without it is still taken.
        """
        replies = await self.inThread(exchange, self.server.port, [
            b"HOST [::1%\x1b[2J\x1b[31mforged\x00]",
            b"HOST [fe80::1%eth0]",
            b"HOST [::1]"])
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"220 "])
