"""
Attacks on TLS over real loopback sockets: handshakes that never finish
must not hold a connection (and its descriptor) forever, and a data
connection the client ends with a TLS alert is a failed transfer; a
C{USER} before TLS, or C{CCC}, gives no way around C{--tls-required}
(the rest of the session's state across TLS:
L{tests.integration.test_attack_tlssessions}).
"""

import ftplib
import os
import socket
import time

from twisted.internet import defer, task
from twisted.trial import unittest

from ftpkit.ops import events
from tests.polling import waitFor
from tests.rawclient import RawClient
from tests.tlssupport import FTPSTestsMixin, clientContext

HALF_HELLO = b"\x16\x03\x01\x02\x00\x01"
"""The first bytes of a TLS ClientHello, the rest never sent."""


def connectRaw(port, greeting=False):
    """
    Open a plain TCP connection to the server (blocking).

    @param greeting: read the clear C{220} greeting first.
    @return: the socket.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    if greeting:
        sock.recv(1000)
    return sock


def closedWithin(sock, seconds=20):
    """
    Wait until the server closes (or resets) a connection, whatever it
    sends first (blocking).

    @return: whether it was closed within C{seconds}.
    """
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except OSError:
        return False
    finally:
        sock.close()
    return False


class UnfinishedHandshakeTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client that starts TLS and never finishes the handshake is closed
    like an idle one, and one refused (over a connection limit) is closed
    at once: Twisted's TLS waits for the handshake before sending the
    C{421} and closing, and so held them all forever.
    """

    @defer.inlineCallbacks
    def test_silentImplicit(self):
        """
        Silent and half-sent handshakes on an implicit FTPS port end after
        the idle timeout, and the session count returns to 0.
        """
        server = self.serveImplicit(idleTimeout=0.3, closeTimeout=0.3)

        def client():
            silent = connectRaw(server.port)
            half = connectRaw(server.port)
            half.sendall(HALF_HELLO)
            return closedWithin(silent), closedWithin(half)

        closed = yield self.inThread(client)
        self.assertEqual(closed, (True, True))
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)

    @defer.inlineCallbacks
    def test_silentAfterAuthTLS(self):
        """
        After C{AUTH TLS}, a client that sends nothing, or part of a
        ClientHello, is closed after the idle timeout.
        """
        server = self.serve(idleTimeout=0.3, closeTimeout=0.3)

        def client():
            results = []
            for first in (b"", HALF_HELLO):
                sock = connectRaw(server.port, greeting=True)
                sock.sendall(b"AUTH TLS\r\n")
                sock.recv(1000)
                sock.sendall(first)
                results.append(closedWithin(sock))
            return results

        closed = yield self.inThread(client)
        self.assertEqual(closed, [True, True])
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)

    @defer.inlineCallbacks
    def test_refusedImplicitNotHeld(self):
        """
        Connections over C{--max-connections-per-ip} on an implicit FTPS
        port that never handshake are closed, not kept open (one address
        could otherwise take every descriptor of the server).
        """
        server = self.serveImplicit(maxConnectionsPerIP=1, closeTimeout=0.3)

        def client():
            first = connectRaw(server.port)
            try:
                refused = [connectRaw(server.port) for _ in range(5)]
                return [closedWithin(sock) for sock in refused]
            finally:
                first.close()

        closed = yield self.inThread(client)
        self.assertEqual(closed, [True] * 5)

    @defer.inlineCallbacks
    def test_clientNotReadingClosed(self):
        """
        A client whose 421 cannot be delivered because it never reads is
        still disconnected: the server does not wait forever for its
        replies to drain.
        """
        server = self.serve(idleTimeout=0.5, closeTimeout=0.3)

        def client():
            sock = connectRaw(server.port)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # Replies pile up unread until the server stops reading.
            sock.settimeout(0.2)
            try:
                while True:
                    sock.send(b"HELP\r\n" * 1000)
            except OSError:
                pass
            return sock

        sock = yield self.inThread(client)
        self.addCleanup(sock.close)
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)


class TLSAbuseTests(FTPSTestsMixin, unittest.TestCase):
    """
    Garbage and renegotiation on an implicit FTPS port.
    """

    @defer.inlineCallbacks
    def test_garbageClosed(self):
        """
        Plain FTP commands, a malformed ClientHello and random bytes on an
        implicit FTPS port each end their connection; the session count
        returns to 0 and a real client is served after them.
        """
        server = self.serveImplicit(closeTimeout=0.3)

        def client():
            results = []
            for garbage in (b"USER anonymous\r\n" * 50,
                            b"\x16\x03\x01\xff\xff" + b"\0" * 70000,
                            bytes(range(256)) * 40):
                sock = connectRaw(server.port)
                try:
                    sock.sendall(garbage)
                except OSError:
                    pass
                results.append(closedWithin(sock))
            ftp = self.connect(implicit=True)
            results.append(ftp.voidcmd("NOOP")[:3])
            ftp.quit()
            return results

        results = yield self.inThread(client)
        self.assertEqual(results, [True, True, True, "200"])
        ended = yield waitFor(lambda: server.factory.sessions == 0)
        self.assertTrue(ended, server.factory.sessions)

    @defer.inlineCallbacks
    def test_renegotiationRefused(self):
        """
        A client asking to renegotiate TLS (a way to make the server do
        handshakes, its costliest work, at will) is refused.
        """
        from OpenSSL import SSL

        server = self.serveImplicit()

        def client():
            context = SSL.Context(SSL.TLS_METHOD)
            context.set_max_proto_version(SSL.TLS1_2_VERSION)
            sock = connectRaw(server.port)
            sock.settimeout(None)
            connection = SSL.Connection(context, sock)
            try:
                connection.set_connect_state()
                connection.do_handshake()
                greeting = connection.recv(100)
                connection.renegotiate()
                try:
                    connection.do_handshake()
                    connection.send(b"NOOP\r\n")
                    return greeting, connection.recv(100)
                except SSL.Error as e:
                    return greeting, str(e)
            finally:
                sock.close()

        greeting, answer = yield self.inThread(client)
        self.assertTrue(greeting.startswith(b"220"), greeting)
        self.assertIn("no renegotiation", answer)


class FatalAlertTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client whose TLS fails on a data connection mid-transfer sends a
    fatal alert, which OpenSSL records as a received shutdown, as it does
    a close_notify: the server took it for a clean end, answered C{226},
    and committed the cut upload over the file it replaced; a download
    went on reading the rest of its file into the dead TLS layer.
    """

    def transferWithFailingTLS(self, command, upload):
        """
        Log in with ftplib under C{PROT P}, run C{command} over a data
        connection whose TLS 1.2 client asks to renegotiate mid-transfer
        (the server refuses; the client then sends a fatal alert), and
        close that connection only once the final reply came (blocking).

        @param upload: send bytes (else read them) before the request.
        @return: the final reply.
        """
        from OpenSSL import SSL

        ftp = self.connect()
        try:
            ftp.prot_p()
            ftp.voidcmd("TYPE I")
            port = int(ftp.sendcmd("EPSV").split("|")[3])
            sock = socket.create_connection(("127.0.0.1", port))
            try:
                ftp.putcmd(command)
                self.assertTrue(ftp.getresp().startswith("150"))
                context = SSL.Context(SSL.TLS_METHOD)
                context.set_max_proto_version(SSL.TLS1_2_VERSION)
                connection = SSL.Connection(context, sock)
                connection.set_connect_state()
                connection.do_handshake()
                if upload:
                    for _ in range(16):
                        connection.sendall(b"x" * 16384)
                else:
                    connection.recv(65536)
                connection.renegotiate()
                try:
                    connection.do_handshake()
                    while connection.recv(65536):
                        pass
                except SSL.Error:
                    pass
                try:
                    return ftp.getresp()
                except ftplib.Error as e:
                    return str(e)
            finally:
                sock.close()
        finally:
            ftp.close()

    @defer.inlineCallbacks
    def test_uploadFailed(self):
        """
        The upload gets C{426}, and the file it was replacing stays whole.
        """
        self.serve()
        final = yield self.inThread(
            self.transferWithFailingTLS, "STOR big.bin", True)
        self.assertTrue(final.startswith("426"), final)
        self.assertEqual(self.readFile("big.bin"), self.payload)

    @defer.inlineCallbacks
    def test_downloadFailed(self):
        """
        The download gets C{426}, and stops: the server does not read the
        rest of a large file for a connection that can no longer carry it.
        """
        size = 256 * 1024 * 1024
        with open(os.path.join(self.root, "huge.bin"), "wb") as f:
            f.truncate(size)
        server = self.serve()
        transfers = []
        server.factory.events.subscribe(transfers.append,
                                        (events.TRANSFER,))
        final = yield self.inThread(
            self.transferWithFailingTLS, "RETR huge.bin", False)
        self.assertTrue(final.startswith("426"), final)
        self.assertEqual([event.code for event in transfers], [426])
        self.assertLess(transfers[0].bytes, size // 4)


class AuthForgetsUserTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{AUTH} makes a client that has not logged in start its login again
    (RFC 2228: the user must reissue C{USER}): a C{USER} sent in clear,
    which anyone on the path could have sent or changed, does not carry
    over into the TLS session.
    """

    @defer.inlineCallbacks
    def test_userBeforeAuthForgotten(self):
        """
        C{USER} in clear, C{AUTH TLS}, then C{PASS} under TLS: C{503}; a
        C{USER} under TLS then logs in.
        """
        server = self.serve()

        def client():
            sock = connectRaw(server.port, greeting=True)
            try:
                sock.sendall(b"USER alice\r\n")
                sock.recv(1000)
                sock.sendall(b"AUTH TLS\r\n")
                sock.recv(1000)
                tls = clientContext().wrap_socket(sock)
                replies = []
                for line in (b"PASS secret", b"USER alice", b"PASS secret"):
                    tls.sendall(line + b"\r\n")
                    replies.append(tls.recv(1000)[:3])
                return replies
            finally:
                sock.close()

        replies = yield self.inThread(client)
        self.assertEqual(replies, [b"503", b"331", b"230"])

    @defer.inlineCallbacks
    def test_loginBeforeAuthEnded(self):
        """
        A whole login in clear, then C{AUTH TLS}: under TLS the session is
        logged out (C{PWD} gets C{530}) until C{USER} and C{PASS} come
        again. It went on as the user logged in in clear, so someone on
        the path who logged in first as themselves had the client, once it
        had checked the certificate, work in their account.
        """
        server = self.serve()

        def client():
            sock = connectRaw(server.port, greeting=True)
            try:
                for line in (b"USER alice", b"PASS secret"):
                    sock.sendall(line + b"\r\n")
                    sock.recv(1000)
                sock.sendall(b"AUTH TLS\r\n")
                sock.recv(1000)
                tls = clientContext().wrap_socket(sock)
                replies = []
                for line in (b"PWD", b"PASS secret", b"USER alice",
                             b"PASS secret", b"PWD"):
                    tls.sendall(line + b"\r\n")
                    replies.append(tls.recv(1000)[:3])
                return replies
            finally:
                sock.close()

        replies = yield self.inThread(client)
        self.assertEqual(replies, [b"530", b"503", b"331", b"230", b"257"])


class CCCLostTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{CCC} (with C{tlsAllowCCC}) from a client that then goes away.
    """

    @defer.inlineCallbacks
    def test_lostDuringShutdown(self):
        """
        A client that closes the TCP connection after C{CCC}'s C{200},
        without ending TLS, ends its session quietly: no error is logged.
        """
        server = self.serve(tlsAllowCCC=True)

        def client():
            ftp = self.connect()
            reply = ftp.sendcmd("CCC")
            ftp.sock.close()
            return reply

        reply = yield self.inThread(client)
        self.assertEqual(reply[:3], "200")
        for _ in range(250):
            if not server.factory.sessions:
                break
            yield task.deferLater(server.reactor, 0.02, lambda: None)
        self.assertEqual(server.factory.sessions, 0)
        self.assertEqual(self.flushLoggedErrors(), [])


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
