"""
The fourteenth attack sweep, protocol and session state, over real
loopback sockets.

A C{HOST} sent before C{AUTH TLS} (in clear, where anyone on the path
may have sent or changed it) was kept for the login under TLS, whatever
host the client then named in its handshake (SNI): C{HOST} after
C{AUTH TLS} naming another host than the SNI gets C{504}, but sent
before, it was never compared. A client that sent no C{HOST} at all,
its C{AUTH TLS}, SNI C{ftp.example.com} and password went to the realm
of C{other.example} that a man in the middle had injected, its
certificate verified (ftpkit has one certificate for every host): it
uploaded to that host's tree and downloaded its files. The login under
TLS is now refused (C{530}) while the host chosen in clear is not the
one the handshake named, and that choice is forgotten.
"""

from twisted.trial import unittest

from ftpkit.control.vhosts import VirtualHost
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.integration.test_attack_jail import RawClient
from tests.tlssupport import FTPSTestsMixin, clientContext


class _OtherRealm:
    """
    Gives every user a L{MemoryShell} holding C{/other}.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, MemoryShell({"/other": b"x"}), lambda: None


class TLSClient(RawClient):
    """
    L{RawClient} that can start TLS on its control connection.
    """

    def startTLS(self, serverName):
        """
        Send C{AUTH TLS} and do the handshake, naming C{serverName} (SNI).

        @return: the reply to C{AUTH TLS}.
        """
        reply = self.command("AUTH TLS")
        self.sock = clientContext().wrap_socket(self.sock,
                                                server_hostname=serverName)
        return reply


class HostBeforeTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server with the virtual host C{other.example}, and a client whose
    C{HOST} was sent in clear before C{AUTH TLS}.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.serve(virtualHosts=(
            VirtualHost(("other.example",), "test", _OtherRealm()),))

    def session(self, serverName, *lines):
        """
        Send C{HOST other.example} in clear, start TLS naming
        C{serverName}, then send C{lines}.

        @return: a Deferred firing with the replies' first four bytes.
        """
        def run():
            client = TLSClient(self.server.port)
            try:
                replies = [client.command("HOST other.example"),
                           client.startTLS(serverName)]
                replies += [client.command(line) for line in lines]
                return [reply[:4] for reply in replies]
            finally:
                client.close()

        return self.inThread(run)

    async def test_otherName(self):
        """
        A handshake naming another host: C{USER} is refused, and the next
        login is the default realm's, whose root holds C{big.bin}.
        """
        replies = await self.session(
            "localhost", "USER alice", "PASS secret", "USER alice",
            "PASS secret", "MDTM big.bin", "MDTM other")
        self.assertEqual(replies, [b"220 ", b"234 ", b"530 ", b"503 ",
                                   b"331 ", b"230 ", b"213 ", b"550 "])

    async def test_sameName(self):
        """
        A handshake naming the host chosen in clear logs in to it.
        """
        replies = await self.session(
            "other.example", "USER alice", "PASS secret", "MDTM other")
        self.assertEqual(replies, [b"220 ", b"234 ", b"331 ", b"230 ",
                                   b"213 "])
