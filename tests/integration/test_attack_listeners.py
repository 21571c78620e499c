"""
Attacks on listeners other than plain TCP: C{unix:} and
C{haproxy:unix:} sockets, C{haproxy:tcp:} behind a balancer any local
user can reach (PROXY headers flooding it, TLS session reuse and C{CCC}
through it), and an implicit FTPS port fed a ClientHello a byte at a
time or held silent over its limit.
"""

import ftplib
import io
import os
import re
import shutil
import socket
import ssl
import tempfile
import time

from twisted.internet import defer, threads
from twisted.trial import unittest

from tests.integration.test_attack_tls import connectRaw
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import (
    Certificates,
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
    clientHello,
)


class TrickledHandshakeTests(FTPSTestsMixin, unittest.TestCase):
    """
    A ClientHello sent a byte at a time on an implicit FTPS port never
    completes a line: its bytes do not count as activity, and the
    connection ends at the idle timeout as a silent one does (a client
    keeping each of its connections alive so would hold every one of
    its C{--max-connections-per-ip} forever).
    """

    @defer.inlineCallbacks
    def test_closedWhileTrickling(self):
        """
        The server closes the connection while the client still has most
        of its ClientHello to send.
        """
        hello = clientHello()
        server = self.serveImplicit(idleTimeout=0.5, closeTimeout=0.3)

        def client():
            sock = connectRaw(server.port)
            sock.settimeout(0.1)
            sent = 0
            with sock:
                while sent < len(hello):
                    try:
                        sock.sendall(hello[sent:sent + 1])
                    except OSError:
                        return sent
                    sent += 1
                    try:
                        if sock.recv(65536) == b"":
                            return sent
                    except socket.timeout:
                        pass
                    except OSError:
                        return sent
            return sent

        sent = yield self.inThread(client)
        self.assertLess(sent, len(hello) // 2)



def _readAll(sock):
    """
    @param sock: a blocking socket with a timeout.
    @return: what it reads until the server ends the connection (a reset
        ends it too).
    """
    chunks = []
    with sock:
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


class RefusedSilentTests(FTPSTestsMixin, unittest.TestCase):
    """
    Connections an implicit FTPS port refuses as their session starts
    (over C{--max-connections-per-ip}) that send no C{ClientHello}: each
    waited for its handshake to say C{421} until the closing time, with
    its TLS layer, counted against no limit (one address held thousands
    past its limit); now a client's first two wait, the others get the
    TLS alert in clear and are closed at once.
    """

    SILENT = 8

    @defer.inlineCallbacks
    def test_fewWaitForHandshake(self):
        """
        Of eight silent connections over the limit, two end without a
        byte (at the closing time, their handshake never begun) and five
        read the alert; the first waited for a session to end
        (L{ftpkit.control.overlimitholds}) before it was refused, and then
        for its handshake, as the two before it no longer did: it ends
        without a byte too.
        """
        from ftpkit.deploy.listening import TLS_REFUSAL
        server = self.serveImplicit(maxConnectionsPerIP=1, closeTimeout=1)

        def client():
            first = clientContext().wrap_socket(connectRaw(server.port))
            with first:
                first.recv(100)
                silent = [connectRaw(server.port)
                          for _ in range(self.SILENT)]
                return sorted(_readAll(sock) for sock in silent)

        ends = yield self.inThread(client)
        self.assertEqual(ends, [b""] * 3 + [TLS_REFUSAL] * (self.SILENT - 3))
        self.assertEqual(server.factory.refusedHandshakes.held, 0)

def _unixSocketPath(testCase):
    """
    @param testCase: the running test (for its cleanups).
    @return: a path for a Unix socket in a directory of its own, removed
        after the test (a socket's path has a hundred-odd bytes at most:
        not under C{_trial_temp}).
    """
    directory = tempfile.mkdtemp()
    testCase.addCleanup(shutil.rmtree, directory, True)
    return os.path.join(directory, "ftp.sock")


def _replies(sock, count):
    """
    Read C{count} single-line replies.

    @param sock: a connected socket.
    @param count: how many.
    @return: the replies' lines, as bytes without their ends; fewer when
        the connection ends first.
    """
    data = b""
    while data.count(b"\r\n") < count:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[:count]


class UnixBalancerTests(unittest.TestCase):
    """
    A server listening with C{haproxy:unix:PATH}, as a balancer on the
    node reaches it.
    """

    timeout = 120

    def setUp(self):
        self.path = _unixSocketPath(self)
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous"],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", f"haproxy:unix:{self.path}:lockfile=0"])
        self.server.waitForGreeting()

    def session(self, header, commands):
        """
        Connect to the Unix socket, send a PROXY header and commands.

        @param header: the PROXY header.
        @param commands: command lines, each answered with one line.
        @return: the greeting and the replies.
        """
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(self.path)
            sock.sendall(header + b"".join(
                command + b"\r\n" for command in commands))
            return _replies(sock, 1 + len(commands))

    def test_clientNamed(self):
        """
        A session whose header names its client is greeted and served, and
        it knows its client by the address the header named (it was
        dropped before its greeting, with a traceback logged).
        """
        def check():
            replies = self.session(
                b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 21\r\n",
                [b"USER anonymous", b"PASS x", b"STAT"])
            self.assertEqual([line[:4] for line in replies[:3]],
                             [b"220 ", b"331 ", b"230 "])
            self.assertTrue(replies[3].startswith(b"211-"), replies)
            self.assertNotIn("Traceback", self.server.log())
            self.assertNotIn("AttributeError", self.server.log())
        return threads.deferToThread(check)

    def test_healthCheck(self):
        """
        A header naming no client (a balancer's health check) was served
        before, and still is.
        """
        def check():
            replies = self.session(b"PROXY UNKNOWN\r\n", [b"NOOP"])
            self.assertEqual([line[:4] for line in replies],
                             [b"220 ", b"200 "])
        return threads.deferToThread(check)


class UnixClientTests(unittest.TestCase):
    """
    A server listening with C{unix:PATH}: its clients have no address.
    """

    timeout = 120

    def setUp(self):
        self.path = _unixSocketPath(self)
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--data-timeout", "5"],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", f"unix:{self.path}:lockfile=0"])
        self.server.waitForGreeting()

    def session(self, commands):
        """
        Log in anonymously over the Unix socket and send C{commands}.

        @param commands: command lines, each answered with one line.
        @return: the replies to C{commands}.
        """
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(self.path)
            sock.sendall(b"USER anonymous\r\nPASS x\r\n" + b"".join(
                command + b"\r\n" for command in commands))
            return _replies(sock, 3 + len(commands))[3:]

    def test_passiveRefused(self):
        """
        C{PASV} and C{EPSV} get C{425}: no data connection could be told
        from a thief's, as a session is told its client's by its address.
        They were answered, and the client's own connection was then
        refused as possible port theft (and logged so), its transfer
        waiting the data timeout for C{425}.
        """
        def check():
            replies = self.session([b"PASV", b"EPSV"])
            self.assertEqual([line[:4] for line in replies],
                             [b"425 ", b"425 "], replies)
        return threads.deferToThread(check)

    def test_activeRefused(self):
        """
        C{PORT} and C{EPRT} naming the unspecified address (the client
        itself) get C{501}: the server connected to the host the name
        C{unknown} resolves to, the text standing for the client's
        missing address.
        """
        def check():
            replies = self.session([b"PORT 0,0,0,0,200,1",
                                    b"EPRT |1|0.0.0.0|51201|"])
            self.assertEqual([line[:4] for line in replies],
                             [b"501 ", b"501 "], replies)
        return threads.deferToThread(check)


class _ProxiedReusingFTPTLS(ReusingFTPTLS):
    """
    L{ReusingFTPTLS} behind a balancer on the client's own address: a
    PROXY header (naming C{127.0.0.1}) starts the control connection and
    each passive data connection, which it makes before the transfer
    command.
    """

    def connect(self, host, port, timeout=30):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout)
        self.sock.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 21\r\n")
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def ntransfercmd(self, cmd, rest=None):
        host, port = self.makepasv()
        raw = socket.create_connection((host, port), self.timeout)
        raw.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40001 %d\r\n" % port)
        reply = self.sendcmd(cmd)
        if not reply.startswith("1"):
            raw.close()
            raise ftplib.error_reply(reply)
        session = self.sock.session
        self.offered.append(session.id)
        conn = self.context.wrap_socket(raw, server_hostname=self.host,
                                        session=session)
        self.reused.append(conn.session_reused)
        return conn, None


def proxiedLogin(testCase, port, user, password):
    """
    @param testCase: the test, which closes the client when it ends.
    @param port: a C{haproxy:tcp:} listener's port on C{127.0.0.1}.
    @param user: the user name to log in as.
    @param password: its password.
    @return: a L{_ProxiedReusingFTPTLS} client (TLS 1.2) logged in after
        C{AUTH TLS}.
    """
    ftp = _ProxiedReusingFTPTLS(context=clientContext(ssl.TLSVersion.TLSv1_2))
    testCase.addCleanup(ftp.close)
    ftp.connect("127.0.0.1", port)
    ftp.auth()
    ftp.login(user, password)
    return ftp


def serveProxied(testCase, *options):
    """
    Start a server process listening on 127.0.0.1 twice: on plain TCP
    and behind C{haproxy:}.

    @param testCase: the running test.
    @param options: the server's options but its listeners.
    @return: C{(the server, the port of its haproxy: listener)}.
    """
    server = ServerProcess(
        testCase, list(options),
        listen=lambda port: [
            "--listen", f"tcp:{port}:interface=127.0.0.1",
            "--listen", "haproxy:tcp:0:interface=127.0.0.1"])
    ports = re.findall(r"ftpkit listening on \S+ port (\d+)",
                       server.waitForLog("ftpkit listening on", 2))
    (proxied,) = {int(port) for port in ports} - {server.port}
    return server, proxied


class _ProxiedTLSServer(Certificates):
    """
    A server with a certificate and a C{haproxy:tcp:} listener beside its
    plain one, whose port is C{self.port}.

    @cvar tlsOption: the TLS option the tests are about.
    """

    timeout = 120
    tlsOption = None

    def setUp(self):
        self.makeCertificates()
        self.server, self.port = serveProxied(
            self, "--root", scratchDirectory(self),
            "--auth", "memory:alice:secret",
            "--tls-cert", self.both, self.tlsOption)


class ProxiedSessionReuseTests(_ProxiedTLSServer, unittest.TestCase):
    """
    C{AUTH TLS} on a C{haproxy:tcp:} listener with
    C{--tls-require-session-reuse}.
    """

    tlsOption = "--tls-require-session-reuse"

    def test_dataResumesControl(self):
        """
        A C{PROT P} data connection resuming the control connection's TLS
        session is served, in both directions, as on a plain listener. The
        session's data connections were given a context of their own (the
        control connection's transport, the PROXY wrapper, does not
        declare C{ISSLTransport} once C{AUTH TLS} has put TLS under it),
        so no data connection could resume the control connection's
        session, and every one was refused.
        """
        def check():
            ftp = proxiedLogin(self, self.port, "alice", "secret")
            ftp.prot_p()
            ftp.storbinary("STOR up.bin", io.BytesIO(b"x" * 100000))
            self.assertEqual(ftp.nlst(), ["up.bin"])
            self.assertEqual(ftp.reused, [True, True])
        return threads.deferToThread(check)


class ProxiedCCCTests(_ProxiedTLSServer, unittest.TestCase):
    """
    C{CCC} after C{AUTH TLS} on a C{haproxy:tcp:} listener, with
    C{--tls-allow-ccc}.
    """

    tlsOption = "--tls-allow-ccc"

    def test_cleared(self):
        """
        The control connection goes on in clear, as on a plain listener:
        C{CCC} was refused with C{534} "(implicit TLS)", the TLS being
        under the PROXY wrapper, where it was not looked for.
        """
        def check():
            ftp = proxiedLogin(self, self.port, "alice", "secret")
            self.assertTrue(ftp.ccc().startswith("200 "))
            self.assertEqual(ftp.pwd(), "/")
            self.assertTrue(ftp.quit().startswith("221"))
        return threads.deferToThread(check)


def _descriptors(pid):
    """
    @param pid: a process id.
    @return: how many descriptors the process holds.
    """
    return len(os.listdir(f"/proc/{pid}/fd"))


class ProxiedHeaderFloodTests(Certificates, unittest.TestCase):
    """
    A C{haproxy:tcp:} listener on loopback (its default trust), whose
    balancer address any local user can connect from: one of them opens
    connections to a session's passive port and sends nothing on them.
    """

    timeout = 120

    SILENT = 100
    """Connections the local user opens."""

    def setUp(self):
        self.makeCertificates()
        self.server, self.port = serveProxied(
            self, "--root", scratchDirectory(self), "--auth", "anonymous",
            "--tls-cert", self.both)

    def settled(self):
        """
        @return: the server's descriptors, once the count stayed the same
            for half a second.
        """
        pid, last = self.server.process.pid, None
        while True:
            count = _descriptors(pid)
            if count == last:
                return count
            last = count
            time.sleep(0.5)

    def test_silentConnectionsBounded(self):
        """
        The server holds a few descriptors for the silent connections, not
        one each (it held 100 more), and the client's own data connection,
        with its header, is still served.
        """
        def check():
            ftp = proxiedLogin(self, self.port, "anonymous", "x")
            ftp.prot_p()
            before = self.settled()
            port = int(re.search(r"\|\|\|(\d+)\|",
                                 ftp.sendcmd("EPSV")).group(1))
            silent = []
            for _ in range(self.SILENT):
                sock = socket.socket()
                self.addCleanup(sock.close)
                sock.connect(("127.0.0.1", port))
                silent.append(sock)
            held = self.settled() - before
            self.assertLess(held, 20)
            raw = socket.create_connection(("127.0.0.1", port), 30)
            raw.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40001 %d\r\n"
                        % port)
            self.assertTrue(ftp.sendcmd("NLST").startswith("150"))
            with ftp.context.wrap_socket(raw, server_hostname="localhost",
                                         session=ftp.sock.session) as data:
                self.assertEqual(data.recv(100), b"")
            self.assertTrue(ftp.voidresp().startswith("226"))
            for sock in silent:
                sock.close()
        return threads.deferToThread(check)

    def test_clientQueuedFirst(self):
        """
        In clear, the connections queued on the passive port are accepted
        together when the transfer command comes: the client's, queued
        first, then ten silent ones. Its header is read before it could be
        given up as the oldest reading, and the listing is sent (it was
        given up unread, and the transfer waited the data timeout).
        """
        def check():
            with socket.create_connection(("127.0.0.1", self.port),
                                          30) as control:
                control.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 21\r\n"
                                b"USER anonymous\r\nPASS x\r\nEPSV\r\n")
                replies = _replies(control, 4)
                port = int(re.search(rb"\|\|\|(\d+)\|", replies[3]).group(1))
                data = socket.create_connection(("127.0.0.1", port), 30)
                self.addCleanup(data.close)
                data.sendall(b"PROXY TCP4 127.0.0.1 127.0.0.1 40001 %d\r\n"
                             % port)
                for _ in range(10):
                    sock = socket.create_connection(("127.0.0.1", port))
                    self.addCleanup(sock.close)
                time.sleep(0.2)
                control.sendall(b"NLST\r\n")
                self.assertEqual([line[:4] for line in _replies(control, 2)],
                                 [b"150 ", b"226 "])
                self.assertEqual(data.recv(100), b"")
        return threads.deferToThread(check)

    def test_refusalsLogged(self):
        """
        Connections from the balancer's address closed before their header
        get ten log lines a minute, and a count (the server's
        L{ftpkit.control.peerwarnings}), not a line each, as connections
        refused on the control listener do.
        """
        def check():
            ftp = proxiedLogin(self, self.port, "anonymous", "x")
            ftp.prot_p()
            port = int(re.search(r"\|\|\|(\d+)\|",
                                 ftp.sendcmd("EPSV")).group(1))
            for _ in range(self.SILENT):
                with socket.create_connection(("127.0.0.1", port)):
                    time.sleep(0.01)
            self.settled()
            ftp.voidcmd("NOOP")
            self.assertLess(self.server.log().count(
                "refused passive data connection from 127.0.0.1:"), 12)
        return threads.deferToThread(check)
