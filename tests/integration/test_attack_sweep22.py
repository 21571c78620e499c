"""
The twenty-second attack sweep, over real loopback sockets.

A C{haproxy:unix:} listener (a balancer on the node reaching the server
through a Unix socket of a C{mode} only its user may use, which
C{docs/scale-out.rst} recommends over trusting the loopback addresses
every local user can bind) dropped every session whose PROXY header
named its client: the session took the balancer's address for its
passive data connections from the socket's peer
(C{transport.getPeer().host}), which a Unix socket's address does not
have, so the header's arrival raised C{AttributeError}; the client got
no greeting, its connection was closed, and the log had a traceback for
it. Only headers naming no client (C{LOCAL}, C{UNKNOWN}: the balancer's
health checks) were served, so a deployment's checks passed while no
client could log in. Such a balancer now has no address
(L{ftpkit.control.proxied.ProxiedProtocol.proxyHost} is C{None}), and the
session is served (L{UnixBalancerTests}).

A client of a C{unix:} listener (and of a C{haproxy:unix:} one whose
header names no client) has no address, which a session names
C{unknown}: its C{PASV} and C{EPSV} were answered, then its own data
connection was refused as a stranger's and logged as "possible port
theft", its transfer waiting the data timeout for C{425}; its C{PORT}
and C{EPRT} naming the unspecified address (the client itself) were
taken as naming C{unknown}, and the server looked that name up in the
DNS (a query to the resolver, seen with C{strace}) and connected to
whatever it named. Such a client's data connections are now refused at
once: C{425} and C{501} (L{UnixClientTests}).

After C{AUTH TLS} on a C{haproxy:tcp:} listener, the session's data
connections were given a TLS context of their own, not the control
connection's: the session's transport, the PROXY wrapper, declares its
transport's interfaces when the connection is made, so it never declared
C{ISSLTransport} once C{AUTH TLS} had put TLS under it, and
L{ftpkit.data.tls.dataChannelTLS} took it for a connection in clear. No
data connection could resume the control connection's TLS session: with
C{--tls-require-session-reuse} every C{PROT P} transfer was refused
(C{426}, "no session reuse" logged), and without it a context was made
(certificate and key loaded) for every transfer. The control connection's
TLS is now found through its C{getHandle}
(L{ftpkit.data.tls.controlConnection}; L{ProxiedSessionReuseTests}).

A session's passive listener on a C{haproxy:} listener read the PROXY
header of every connection from the balancer's address, with no bound
on how many at once, each for up to the data timeout: a local user (the
balancer's address is loopback by default, which any of them can connect
from) who opened 12,000 silent connections to a session's passive port in
3.3 s had the server hold 3,565 more descriptors, and once they closed,
3,696 log lines, one each (the control listener bounds its waiting
headers and throttles these lines). It now reads at most
L{ftpkit.data.proxied.READINGS} at once, giving up the oldest whose
header has not come (L{ProxiedHeaderFloodTests.test_clientQueuedFirst}:
not the client's, accepted unread among the connections a transfer
command takes from the queue at once), and logs
the refusals through the server's L{ftpkit.control.peerwarnings}
(L{ProxiedHeaderFloodTests}).

Tried and held (C{python -m ftpkit}, anonymous and memory users, explicit
TLS; C{haproxy:tcp:}, C{haproxy:ssl:} with and without C{--workers 2},
C{haproxy:unix:}, C{unix:}, C{--metrics unix:}):
    - command lines of 8,189 to 8,193 bytes over C{AUTH TLS}, each split
      over two TLS records mid-line: up to 8,191 bytes before the CRLF
      C{200}, from 8,192 C{500} and closed, as in clear;
    - 30,000 one-byte TLS records (a C{NOOP} every six): 0.12 s of server
      CPU, 0.11 s of the client's (no amplification);
    - C{SSCN ON} and C{PORT}: a peer that accepts the server's data
      connection and never answers its ClientHello, or trickles a
      ServerHello a byte every 2 s: C{426} after 10 s and 12 s (the
      handshake timeout, in the TLS client's role too);
    - a passive data connection made and never used by a transfer
      command, its session kept busy with C{NOOP}s: open for as long as
      the session (45 s against C{--data-timeout 10}), one descriptor and
      128 KB of kernel receive buffer at most however much the client
      sends into it (C{ss -tm}: C{rb131072});
    - C{PORT} to the server's own control port from a client on the
      server's host: the server's data connection becomes a session of
      its own, running the commands of the file sent (only a client
      sharing the server's address can name it: elsewhere it is a foreign
      address, C{501});
    - after login: C{HOST} C{503}, C{USER} C{530}, C{PASS} C{503},
      C{ACCT} C{202}; C{SITE CHMOD} of C{/} and C{.}, C{RNFR} of C{/},
      C{.}, C{..}, C{DELE}/C{RMD} of C{/}, C{.}, C{..}: C{550}; C{RNTO} of
      a directory into itself C{553}; C{STAT --}, C{STAT -lR}, C{MLST -a}
      (a name), C{MLST /..}: no traceback;
    - C{haproxy:ssl:} (one process and C{--workers 2}): a PROXY header,
      implicit TLS, C{PROT P} listings through the balancer with their own
      header: C{226}; C{haproxy:tcp:} with C{AUTH TLS}: C{HOST} sent in
      clear against another SNI C{530}, under TLS C{504} (the fourteenth
      sweep's check holds behind a balancer);
    - C{--metrics unix:}: served, C{Host} not checked (no browser
      reaches a Unix socket);
    - once fixed: C{haproxy:unix:} with C{AUTH TLS}, C{PROT P} and a
      passive listing from the node: C{226}; C{haproxy:tcp:} with
      C{--tls-require-session-reuse}, under C{--workers 2} (four
      sessions) and with C{--tls-allow-1.3} (TLS 1.3, three uploads and
      listings): every data connection resumed and served; PROXY headers
      naming C{192.0.2.9} and C{::ffff:192.0.2.9} against C{--deny-from
      192.0.2.0/24}, one process and C{--workers 2}: C{421}.

C{CCC} behind a C{haproxy:tcp:} listener was refused with C{534} "CCC
is not possible on this connection (implicit TLS)", though its TLS was
explicit: L{ftpkit.control.ccc} looked for the TLS layer on the
session's transport, the PROXY wrapper, and C{AUTH TLS} had put it under
the wrapper. It now looks through such a wrapper
(L{ftpkit.control.ccc.tlsUnder}), and the connection goes on in clear
(L{ProxiedCCCTests}).

Found, not fixed: every client of a C{unix:} listener counts as the one
address C{unknown} for the per-address limits, so one local client's
failed logins delay every other's, and 32 sessions
(C{--max-connections-per-ip}) fill the listener, as clients behind any
proxy that sends no PROXY header share its address. (Fixed since:
each local user counts apart, L{tests.integration.test_unixclients}.)
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

from twisted.internet import threads
from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates, ReusingFTPTLS, clientContext


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
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self),
                   "--auth", "memory:alice:secret",
                   "--tls-cert", self.both, self.tlsOption],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", "haproxy:tcp:0:interface=127.0.0.1"])
        ports = re.findall(r"ftpkit listening on \S+ port (\d+)",
                           self.server.waitForLog("ftpkit listening on", 2))
        (self.port,) = {int(port) for port in ports} - {self.server.port}


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
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--tls-cert", self.both],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", "haproxy:tcp:0:interface=127.0.0.1"])
        ports = re.findall(r"ftpkit listening on \S+ port (\d+)",
                           self.server.waitForLog("ftpkit listening on", 2))
        (self.port,) = {int(port) for port in ports} - {self.server.port}

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
