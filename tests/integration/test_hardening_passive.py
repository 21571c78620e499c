"""
Attacks on passive data ports over real loopback sockets: another address
racing the client for its port (before it connects, or queued first), and
what a listener kept for reuse, or a configured range, lets a stranger
reach.
"""

import ftplib
import socket
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from tests.attackhelpers import fullListener
from tests.ftpclient import ftplibLogin, pasvAddress, replyCode, retrOver
from tests.integration.test_hardening import HardenedServerMixin, waitUntilRefused
from tests.ipv6 import hasIPv6


class PassivePortAttackTests(HardenedServerMixin, unittest.TestCase):
    """
    A real server on 127.0.0.1 serving a temporary directory, and
    strangers at its passive ports.
    """

    def _fetchPastThieves(self, thieves):
        """
        Connect C{thieves} sockets from 127.0.0.2 to a PASV port before the
        real client does, then fetch C{hello.txt} (in a thread).

        @return: a Deferred firing with what each thief received, the
            preliminary reply code, the data and the final reply.
        """
        def client():
            ftp = self.login()
            stolen = []
            try:
                host, port = pasvAddress(ftp)
                sockets = []
                for _ in range(thieves):
                    thief = socket.socket()
                    thief.settimeout(10)
                    thief.bind(("127.0.0.2", 0))
                    thief.connect((host, port))
                    sockets.append(thief)
                ftp.sendcmd("TYPE I")
                preliminary, received, final = retrOver(ftp, host, port)
                for thief in sockets:
                    try:
                        stolen.append(thief.recv(100))
                    except ConnectionResetError:
                        stolen.append(b"")
                    thief.close()
                return stolen, preliminary, received, final
            finally:
                ftp.quit()
        return self.inThread(client)

    @defer.inlineCallbacks
    def test_passiveTheftRefused(self):
        """
        A connection to the PASV port from another address is refused and
        logged; the real client still gets its data.
        """
        self.serve()
        stolen, preliminary, received, final = yield self._fetchPastThieves(1)
        self.assertEqual(stolen, [b""])
        self.assertEqual(preliminary, "150")
        self.assertEqual(received, b"hello\n")
        self.assertEqual(final, "226")
        self.assertTrue(self.logged("127.0.0.2", "passive"), self.warnings)

    @defer.inlineCallbacks
    def test_passiveThievesQueuedFirst(self):
        """
        Several strangers queued on the PASV port before the client do not
        keep it out: each is refused when the transfer accepts them.
        """
        self.serve()
        stolen, preliminary, received, final = yield self._fetchPastThieves(8)
        self.assertEqual(stolen, [b""] * 8)
        self.assertEqual(received, b"hello\n")
        self.assertEqual(final, "226")
        self.assertEqual(len(self.logged("127.0.0.2", "passive")), 8)

    @defer.inlineCallbacks
    def test_passivePortReused(self):
        """
        After a transfer the session's next PASV gets the same port (the
        listener is kept in the server's pool), for ASCII and binary
        transfers alike, and so does the next session. Connections made
        to it in between, a stranger's or a stale one of the client's, are
        closed at once by the pool (nobody's port: not logged as theft),
        and the next transfer gets the client's new connection.
        """
        self.serve()

        def client():
            ftp = self.login()
            results, ports = [], []
            for kind in ("A", "I"):
                ftp.sendcmd("TYPE " + kind)
                host, port = pasvAddress(ftp)
                ports.append(port)
                results.append(retrOver(ftp, host, port))
            stale = socket.create_connection((host, port), timeout=10)
            thief = socket.socket()
            thief.settimeout(10)
            thief.bind(("127.0.0.2", 0))
            thief.connect((host, port))
            host, port = pasvAddress(ftp)
            ports.append(port)
            refused = []
            for sock in (stale, thief):
                try:
                    refused.append(sock.recv(10))
                except ConnectionResetError:
                    refused.append(b"")
                sock.close()
            results.append(retrOver(ftp, host, port))
            ftp.quit()
            ftp = self.login()
            ftp.sendcmd("TYPE I")
            host, port = pasvAddress(ftp)
            ports.append(port)
            results.append(retrOver(ftp, host, port))
            ftp.quit()
            return results, ports, refused

        results, ports, refused = yield self.inThread(client)
        self.assertEqual(results, [("150", b"hello\r\n", "226"),
                                   ("150", b"hello\n", "226"),
                                   ("150", b"hello\n", "226"),
                                   ("150", b"hello\n", "226")])
        self.assertEqual(len(set(ports)), 1, ports)
        self.assertEqual(refused, [b"", b""])
        self.assertEqual(self.logged("127.0.0.2", "passive"), [])

    @defer.inlineCallbacks
    def test_configuredRangeNotKept(self):
        """
        With C{--passive-ports}, a port is freed as soon as its connection
        is accepted: with a one-port range, a second session can transfer
        right after the first, which stays logged in.
        """
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.serve(passivePorts=(port, port))

        def fetch(ftp):
            out = []
            ftp.retrbinary("RETR hello.txt", out.append)
            return b"".join(out)

        def client():
            first, second = self.login(), self.login()
            try:
                return fetch(first), fetch(second), fetch(first)
            finally:
                first.quit()
                second.quit()

        results = yield self.inThread(client)
        self.assertEqual(results, (b"hello\n",) * 3)

    @defer.inlineCallbacks
    def test_pooledListenerCleanForNextSession(self):
        """
        A connection a session left unused on its passive port is refused
        when the session is done with the port, which is closed (an
        unused listener is not pooled), not blamed on the next session
        (from another address).
        """
        self.serve()

        def client():
            first = self.login()
            host, port = pasvAddress(first)
            unused = socket.create_connection((host, port), timeout=10)
            first.quit()
            unused.close()
            refused = waitUntilRefused(host, port)
            second = ftplibLogin(
                self, self.server.port, timeout=10,
                client=ftplib.FTP(source_address=("127.0.0.2", 0)))
            second.sendcmd("TYPE I")
            out = []
            second.retrbinary("RETR hello.txt", out.append)
            second.quit()
            return refused, b"".join(out)

        refused, data = yield self.inThread(client)
        self.assertEqual((refused, data), (True, b"hello\n"))
        self.assertEqual(self.logged("passive"), [])

    @defer.inlineCallbacks
    def test_keptListenerExpires(self):
        """
        A listener kept after a transfer is closed once C{dataTimeout}
        passes without another PASV; the next PASV opens a new one.
        """
        self.serve(dataTimeout=0.3)

        def client():
            ftp = self.login()
            ftp.sendcmd("TYPE I")
            host, port = pasvAddress(ftp)
            retrOver(ftp, host, port)
            refused = waitUntilRefused(host, port)
            result = refused, ftp.retrbinary("RETR hello.txt", lambda data: None)
            ftp.quit()
            return result

        refused, final = yield self.inThread(client)
        self.assertTrue(refused)
        self.assertTrue(final.startswith("226"), final)

    @defer.inlineCallbacks
    def test_passiveListenerExpires(self):
        """
        A PASV listener nobody connects to stops listening after
        C{dataTimeout}; a transfer then gets C{425}.
        """
        self.serve(dataTimeout=0.3)

        def client():
            ftp = self.login()
            host, port = pasvAddress(ftp)
            refused = waitUntilRefused(host, port, source="127.0.0.2")
            answer = replyCode(ftp.sendcmd, "RETR hello.txt")
            ftp.quit()
            return refused, answer

        refused, answer = yield self.inThread(client)
        self.assertEqual((refused, answer), (True, "425"))

    def unusedClosed(self, host="127.0.0.1"):
        """
        Open a passive connection, use it for nothing, then C{RETR}.

        @param host: the server's address: on C{::1}, ftplib asks with
            C{EPSV}, else with C{PASV}.
        @return: a Deferred checking that the server closed the
            connection, and that C{RETR} then got C{425}.
        """
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(dataTimeout=3, loginFailureDelay=0), interface=host)

        def client():
            ftp = ftplibLogin(self, self.server.port, host=host, timeout=10)
            address = ftp.makepasv()
            with socket.create_connection(address, timeout=30) as data:
                try:
                    received = data.recv(1)
                except ConnectionResetError:
                    received = b""
            answer = replyCode(ftp.sendcmd, "RETR hello.txt")
            ftp.quit()
            return received, answer

        def check(result):
            self.assertEqual(result, (b"", "425"))
        return self.inThread(client).addCallback(check)

    def test_unusedConnectionClosed(self):
        """
        The client's passive connection, made but used by no transfer
        command, is closed C{dataTimeout} after it came (the server took
        it from the listener's queue a second after, as it watches
        listeners left waiting); the next C{RETR} gets C{425}. It stayed
        open until the session ended.
        """
        return self.unusedClosed()

    def test_unusedConnectionClosedIPv6(self):
        """
        Likewise on C{::1}, over C{EPSV}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        return self.unusedClosed("::1")

    @defer.inlineCallbacks
    def test_activeNeverAccepted(self):
        """
        C{PORT} to a client whose listen queue is full (its connect is
        never answered): the transfer gets C{425} after C{dataTimeout},
        not once the system gives up connecting (minutes).
        """
        self.serve(dataTimeout=1)

        def client():
            ftp = self.login()
            with fullListener() as listener:
                port = listener.getsockname()[1]
                ftp.sendcmd("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255))
                ftp.sock.settimeout(20)
                ftp.putcmd("RETR hello.txt")
                reply = ftp.getmultiline()
                while reply[:1] == "1":
                    reply = ftp.getmultiline()
            ftp.close()
            return reply

        reply = yield self.inThread(client)
        self.assertTrue(reply.startswith("425"), reply)

    @defer.inlineCallbacks
    def test_slowClientServed(self):
        """
        A client that connects, then waits (past the second after which
        the server takes its connection from the queue) before its
        C{RETR}, still gets its file.
        """
        self.serve(dataTimeout=20)

        def client():
            ftp = self.login()
            ftp.sendcmd("TYPE I")
            host, port = pasvAddress(ftp)
            with socket.create_connection((host, port), timeout=10) as data:
                # Deliberate: the client is slow on the clock, past the
                # second after which the server takes the connection.
                time.sleep(1.5)
                ftp.putcmd("RETR hello.txt")
                preliminary = ftp.getresp()
                received = data.recv(100)
            final = ftp.voidresp()
            ftp.quit()
            return preliminary[:3], received, final[:3]

        result = yield self.inThread(client)
        self.assertEqual(result, ("150", b"hello\n", "226"))
