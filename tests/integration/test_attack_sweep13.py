"""
The thirteenth attack sweep, over real loopback sockets.

The range of an X-verb (C{XCRC}, C{XMD5}, C{XSHA*}: C{path start end})
was read with C{int} whatever its length: a number of more than 4,300
digits (Python's limit on decimal conversions) raised C{ValueError} in
the parser, so the client got C{451} and the log a critical line with a
traceback (about 11 KB a command, the line up to 8 KiB echoed in it).
A range number of more digits than any offset has is now C{501}.

A client could make the log write a line for every connection it opened
and ended at once: an HTTP request (C{GET / HTTP/1.1}: C{421}), a
command line over the limit (C{500}), a TLS handshake that fails. None
was throttled, as refused connections had been (sweep twelve): 300
connections of each from one address in a second logged 32 KB, 41 KB
and 38 KB. Each kind now gets ten lines a minute an address, then a
count (L{ftpkit.control.peerwarnings}).

With C{--tls-required --tls-anonymous-exempt}, a C{USER} refused for
want of TLS left the name sent before it pending: C{USER anonymous},
C{USER alice} (C{530 TLS required}), then alice's C{PASS} in clear was
answered C{230}, an anonymous login, her password taken for an e-mail
address. A refused C{USER} now forgets the name before it, as vsftpd's
does: the C{PASS} gets C{503}.
"""

import os
import socket

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.integration.test_hardening import waitFor
from tests.loglines import LoggedLines
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin


class ServedRootMixin(LoopbackServerMixin):
    """
    A loopback server on a scratch root holding C{f.txt}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"hello\n")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, *lines):
        """
        Log in as alice and send C{lines}.

        @return: a L{Deferred} firing with the replies to C{lines}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line) for line in lines]
            finally:
                client.close()

        return self.inThread(run)


class HugeRangeTests(ServedRootMixin, unittest.TestCase):
    """
    X-verbs whose range holds numbers past Python's digit limit.
    """

    async def test_hugeNumbers(self):
        """
        A start or an end of 5,000 digits is C{501}, as a range past the
        largest offset is; the session goes on.
        """
        huge = "9" * 5000
        replies = await self.session(
            "XCRC f.txt 1 " + huge, "XMD5 f.txt " + huge + " 1",
            "XSHA1 f.txt 0 " + "0" * 4999 + "1", "XCRC f.txt 0 3")
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"501 ", b"250 "])


def endAtOnce(port, first, then=b""):
    """
    Connect, send C{first}, read a reply, send C{then}, and wait for the
    server to close the connection (blocking).

    @return: the first reply's bytes.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.recv(1000)
        sock.sendall(first)
        reply = sock.recv(1000)
        if then:
            sock.sendall(then)
        while sock.recv(65536):
            pass
    return reply


class ConnectionWarningsTests(LoggedLines, FTPSTestsMixin,
                              unittest.TestCase):
    """
    Connections from one address, each ending at once in a way the
    server warns of.
    """

    async def test_linesThrottled(self):
        """
        Of 25 connections of each kind, each kind logs ten lines; every
        connection is still answered and closed.
        """
        server = self.serve()
        self.captureLog()
        kinds = {
            "HTTP request": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b""),
            "over-long command line": (b"A" * 9000, b""),
            "TLS handshake": (b"AUTH TLS\r\n", b"\x16\x03\x01\x00\x05hello"),
        }

        def flood():
            return [endAtOnce(server.port, *kinds[kind])[:4]
                    for kind in kinds for _ in range(25)]

        replies = await self.inThread(flood)
        self.assertEqual(replies, [b"421 "] * 25 + [b"500 "] * 25
                         + [b"234 "] * 25)
        ended = await waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)
        lines = self.lines()
        self.assertEqual(
            [len([line for line in lines if kind in line]) for kind in kinds],
            [10, 10, 10], lines)


class RefusedUserTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server requiring TLS of everyone but anonymous users, and a client
    in clear that names anonymous, then alice.
    """

    async def test_nameForgotten(self):
        """
        The C{PASS} after the refused C{USER} logs nobody in.
        """
        server = self.serve(tlsRequired=True, tlsRequiredForAnonymous=False)

        def run():
            client = RawClient(server.port)
            try:
                return [client.command(line)[:4] for line in (
                    "USER anonymous", "USER alice", "PASS secret", "PWD",
                    "USER anonymous", "PASS guest", "PWD")]
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [b"331 ", b"530 ", b"503 ", b"530 ",
                                   b"331 ", b"230 ", b"257 "])
