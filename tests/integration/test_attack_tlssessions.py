"""
Attacks on a session's state across TLS over real loopback sockets:
what a session did before TLS (C{HOST}, C{REIN}) or after it ends
(C{CCC}) gives no way around the virtual host TLS named, the control
connection's session, or the logins a connection may have.
"""

import socket

from twisted.trial import unittest

from ftpkit.control.handlers.login import MAX_LOGINS
from ftpkit.control.vhosts import VirtualHost
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.rawclient import RawClient
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

    @ivar context: the client's one TLS context (a session resumes only
        in the context it was made in).
    """

    context = clientContext()

    def startTLS(self, serverName=None):
        """
        Send C{AUTH TLS} and do the handshake, naming C{serverName} (SNI).

        @return: the reply to C{AUTH TLS}.
        """
        reply = self.command("AUTH TLS")
        self.sock = self.context.wrap_socket(self.sock,
                                             server_hostname=serverName)
        return reply

    def clearTLS(self):
        """
        Send C{CCC} and end TLS on the control connection.

        @return: the reply to C{CCC}.
        """
        reply = self.command("CCC")
        self.sock = self.sock.unwrap()
        return reply

    def listing(self, session):
        """
        Run C{LIST} over a passive data connection under TLS resuming
        C{session}.

        @return: C{(first reply, final reply)}.
        """
        port = self.epsvPort()
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=20) as raw:
            first = self.command("LIST")
            if not first.startswith(b"1"):
                return first, None
            try:
                with self.context.wrap_socket(raw, session=session) as data:
                    while data.recv(65536):
                        pass
            except OSError:
                pass
        return first[:4], self.reply()[:4]


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


class AuthAfterCCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server that allows C{CCC} and requires data connections to resume
    the control connection's TLS session, and a client that ends TLS with
    C{CCC}, then starts it again.
    """

    async def test_securityStateReset(self):
        """
        After the new C{AUTH TLS}, C{PROT} needs C{PBSZ} again, and a
        data connection resuming the new control session is served; one
        resuming the session C{CCC} ended is refused.
        """
        server = self.serve(tlsAllowCCC=True, tlsRequireSessionReuse=True)

        def run():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                replies = [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PBSZ 0", "PROT P")]
                ended = client.sock.session
                replies.append(client.clearTLS()[:4])
                replies.append(client.command("REIN")[:4])
                replies.append(client.startTLS()[:4])
                replies += [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PROT P", "PBSZ 0",
                    "PROT P")]
                replies.append(client.listing(client.sock.session))
                replies.append(client.listing(ended))
                return replies
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [
            b"331 ", b"230 ", b"200 ", b"200 ", b"200 ", b"220 ", b"234 ",
            b"331 ", b"230 ", b"503 ", b"200 ", b"200 ",
            (b"150 ", b"226 "), (b"150 ", b"426 ")])


class LoginsThroughCCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{AUTH TLS} after C{CCC} logs the user out to log in again under TLS,
    as C{REIN} does: it counts toward the logins a connection may have
    (L{ftpkit.control.handlers.login.MAX_LOGINS}). With
    C{--tls-allow-ccc}, a client looping login, C{CCC} and C{AUTH TLS}
    had as many logins on one connection as it liked (two log lines
    each), though C{REIN} stopped at ten.
    """

    async def test_authPastLogins(self):
        """
        Logins each followed by C{CCC} and C{AUTH TLS}: the C{AUTH TLS}
        after the tenth login gets C{421}, and the connection is closed.
        """
        server = self.serve(tlsAllowCCC=True)

        def session():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                replies = []
                for _ in range(MAX_LOGINS):
                    replies.append(client.login()[:4])
                    replies.append(client.clearTLS()[:4])
                    reply = client.command("AUTH TLS")
                    replies.append(reply[:4])
                    if not reply.startswith(b"234"):
                        return replies, client.sock.recv(1)
                    client.sock = client.context.wrap_socket(client.sock)
                return replies, None
            finally:
                client.close()

        replies, after = await self.inThread(session)
        self.assertEqual(replies, [b"230 ", b"200 ", b"234 "]
                         * (MAX_LOGINS - 1) + [b"230 ", b"200 ", b"421 "])
        self.assertEqual(after, b"")


class ImplicitClient(TLSClient):
    """
    L{TLSClient} of an implicit FTPS listener: TLS from the first byte.
    """

    def __init__(self, port, timeout=20):
        """
        @param port: the listener's port on C{127.0.0.1}.
        @param timeout: seconds a read may wait.
        """
        self.sock = self.context.wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=timeout))
        self.buffer = b""
        self.greeting = self.reply()


class ReinitializeUnderTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{REIN} sent on a control connection under TLS.
    """

    def afterLines(self, client, lines):
        """
        Send C{lines}, then list the root over a C{PROT P} data
        connection resuming the control connection's TLS session.

        @param client: a L{TLSClient} whose control connection is under
            TLS.
        @param lines: command lines, C{REIN} among them.
        @return: a Deferred firing with the replies' first four bytes,
            then the listing's C{(first reply, final reply)}.
        """
        def session():
            try:
                replies = [client.command(line)[:4] for line in lines]
                replies.append(client.listing(client.sock.session))
                return replies
            finally:
                client.close()

        return self.inThread(session)

    async def test_explicit(self):
        """
        After C{AUTH TLS} and a login, C{REIN} gets C{502}: alice is
        still logged in (C{PWD} C{257}), the control connection still
        under TLS and C{PROT P} still in force (the listing's TLS data
        connection is served). It was C{220}, then C{530} for C{PWD}.
        """
        server = self.serve()
        client = await self.inThread(TLSClient, server.port)
        await self.inThread(client.startTLS)
        replies = await self.afterLines(client, [
            "USER alice", "PASS secret", "PBSZ 0", "PROT P", "REIN", "PWD"])
        self.assertEqual(replies, [b"331 ", b"230 ", b"200 ", b"200 ",
                                   b"502 ", b"257 ", (b"150 ", b"226 ")])

    async def test_beforeLogin(self):
        """
        Before a login too: the pending C{USER} stays, and its C{PASS}
        logs in. C{HOST} after it says to connect again, not to send
        C{REIN}.
        """
        server = self.serve()

        def session():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                return [client.command(line) for line in (
                    "USER alice", "REIN", "HOST localhost", "PASS secret")]
            finally:
                client.close()

        replies = await self.inThread(session)
        self.assertEqual([reply[:4] for reply in replies],
                         [b"331 ", b"502 ", b"503 ", b"230 "])
        self.assertIn(b"connect again", replies[2])

    async def test_implicit(self):
        """
        On an implicit FTPS listener, C{REIN} gets C{502} as well.
        """
        server = self.serveImplicit()
        client = await self.inThread(ImplicitClient, server.port)
        replies = await self.afterLines(client, [
            "USER alice", "PASS secret", "REIN", "PWD"])
        self.assertEqual(replies, [b"331 ", b"230 ", b"502 ", b"257 ",
                                   (b"150 ", b"226 ")])

    async def test_afterCCC(self):
        """
        After C{CCC} the control connection is in clear: C{REIN} logs
        alice out (C{220}, then C{PWD} C{530}), and keeps C{PROT P},
        which cannot be lowered over the clear channel: the listing after
        the next login is still under TLS.
        """
        server = self.serve(tlsAllowCCC=True)

        def session():
            client = TLSClient(server.port)
            try:
                client.startTLS()
                replies = [client.command(line)[:4] for line in (
                    "USER alice", "PASS secret", "PBSZ 0", "PROT P")]
                resumed = client.sock.session
                replies.append(client.clearTLS()[:4])
                replies += [client.command(line)[:4] for line in (
                    "REIN", "PWD", "USER alice", "PASS secret")]
                replies.append(client.listing(resumed))
                return replies
            finally:
                client.close()

        replies = await self.inThread(session)
        self.assertEqual(replies, [
            b"331 ", b"230 ", b"200 ", b"200 ", b"200 ", b"220 ", b"530 ",
            b"331 ", b"230 ", (b"150 ", b"226 ")])
