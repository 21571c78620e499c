"""
What the feature-by-mode tests share (L{tests.integration.test_featuremodes_control},
L{tests.integration.test_featuremodes_data}): a server in a child process
in one of the modes a deployment runs (C{twistd -n ftpkit} or C{python -m
ftpkit}, one process or C{--workers 2}, on C{127.0.0.1} or C{::1}), with
an explicit (C{AUTH TLS}) and an implicit (C{ssl:}) listener
(L{ModeServerMixin}), and a blocking control client that sends raw bytes
in one TLS record and reads whole replies (L{ControlClient}); a TLS 1.3
data client asking for KeyUpdates during a transfer
(L{UpdatingDataClient}).
"""

import os
import re
import socket

from OpenSSL import SSL
from twisted.trial import unittest

from tests.ipv6 import hasIPv6
from tests.keyupdateclient import KeyUpdateClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import clientContext, makeCertificate

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

WAIT = 60
"""Seconds a client waits on its socket."""

LONG_NAMES = 1999
"""Entries of the directory C{mid}: as many as C{STAT} lists (2,000 is
its limit), with names long enough that the reply (about 500 KB) is many
TLS records and more than the sockets' buffers take at first."""


class ControlClient:
    """
    A blocking control connection: raw bytes sent (after C{AUTH TLS} or
    from the first byte, in one TLS record per send), whole replies read.

    @ivar sock: the socket (an C{ssl.SSLSocket} once TLS is on).
    """

    def __init__(self, host, port, implicit=False):
        """
        Connect and read the greeting.

        @param host: the server's address.
        @param port: its port.
        @param implicit: speak TLS from the first byte.
        """
        self.host = host
        self.sock = socket.create_connection((host, port), timeout=WAIT)
        if implicit:
            self.sock = clientContext().wrap_socket(self.sock)
        self._buffer = b""
        self.greeting = self.reply()

    def startTLS(self):
        """
        C{AUTH TLS}, then the handshake.

        @return: the reply to C{AUTH TLS}.
        """
        reply = self.command(b"AUTH TLS")
        self.sock = clientContext().wrap_socket(self.sock)
        return reply

    def clearControl(self):
        """
        C{CCC}, then this side's close_notify: the connection is clear
        again.

        @return: the reply to C{CCC}.
        """
        reply = self.command(b"CCC")
        self.sock = self.sock.unwrap()
        return reply

    def send(self, data):
        """
        Send C{data} (one TLS record when under TLS and small enough).

        @param data: the bytes.
        """
        self.sock.sendall(data)

    def _line(self):
        while b"\r\n" not in self._buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the server closed: %r" % (self._buffer,))
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def reply(self):
        """
        @return: the lines of the next reply, without their CRLF.
        """
        lines = [self._line()]
        first = lines[0]
        if first[3:4] == b"-":
            while not (lines[-1][:3] == first[:3]
                       and lines[-1][3:4] == b" " and len(lines) > 1):
                lines.append(self._line())
        return lines

    def command(self, line):
        """
        @param line: a command, without its CRLF.
        @return: the first line of its reply.
        """
        self.send(line + b"\r\n")
        return self.reply()[0]

    def login(self):
        """
        Log in as alice, both commands in one send.

        @return: the two replies' first lines.
        """
        self.send(b"USER alice\r\nPASS secret\r\n")
        return [self.reply()[0], self.reply()[0]]

    def close(self):
        """
        Close the socket, whatever state it is in.
        """
        try:
            self.sock.close()
        except OSError:
            pass


def listedNames(lines):
    """
    @param lines: C{ls -l} lines.
    @return: the last word of each (its name).
    """
    return [line.split()[-1] for line in lines]


def activeListener(testCase, host, kind):
    """
    Listen for an active data connection (closed after the test).

    @param testCase: the running test.
    @param host: the client's address, as the server sees it.
    @param kind: C{"PORT"} or C{"EPRT"}.
    @return: C{(listener, line)}: the listening socket (accepts within
        L{WAIT} seconds) and the command line, as bytes, that names it.
    """
    listener = socket.socket(socket.AF_INET6 if ":" in host
                             else socket.AF_INET)
    testCase.addCleanup(listener.close)
    listener.bind((host, 0))
    listener.listen(1)
    listener.settimeout(WAIT)
    port = listener.getsockname()[1]
    if kind == "PORT":
        line = "PORT %s,%d,%d" % (host.replace(".", ","), port >> 8,
                                  port & 255)
    else:
        line = "EPRT |%d|%s|%d|" % (2 if ":" in host else 1, host, port)
    return listener, line.encode()


class ModeServerMixin:
    """
    A trial mixin: a server in one mode (the class's attributes) serving
    C{self.root} to alice, with an explicit and an implicit FTPS
    listener.

    @cvar twistd: run C{twistd -n ftpkit} (else C{python -m ftpkit}).
    @cvar workers: how many worker processes (1: none).
    @cvar host: the address the listeners are on.
    """

    twistd = False
    workers = 1
    host = "127.0.0.1"
    timeout = 180

    def makeRoot(self):
        """
        The served directory: C{mid} (L{LONG_NAMES} entries) and C{dated}
        (three files, newest to oldest C{a.txt}, C{c.txt}, C{b.txt}: by
        time, in neither order of their names).
        """
        self.root = scratchDirectory(self)
        mid = os.path.join(self.root, "mid")
        os.mkdir(mid)
        for number in range(LONG_NAMES):
            open(os.path.join(mid, "%05d-%s" % (number, "x" * 200)),
                 "wb").close()
        dated = os.path.join(self.root, "dated")
        os.mkdir(dated)
        for name, when in [("a.txt", 1.2e9), ("c.txt", 1.1e9),
                           ("b.txt", 1e9)]:
            path = os.path.join(dated, name)
            with open(path, "wb") as f:
                f.write(name.encode())
            os.utime(path, (when, when))

    def startServer(self, *options, metrics=False, env=None):
        """
        Start the server in this class's mode, with C{options}, and wait
        until it (every worker) is ready.

        @param metrics: give it a C{--metrics} endpoint on 127.0.0.1
            (L{ServerProcess.metricsPort}).
        @param env: extra environment variables of its processes, or
            C{None}.
        @return: the L{ServerProcess}; C{self.implicitPort} is its
            implicit listener's port.
        """
        both = makeCertificate(scratchDirectory(self))[2]
        interface = self.host.replace(":", "\\:")
        family = "tcp6" if ":" in self.host else "tcp"

        def listen(port):
            return ["--listen", f"{family}:{port}:interface={interface}",
                    "--listen",
                    f"ssl:0:privateKey={both}:interface={interface}"]

        workers = ["--workers", str(self.workers)] if self.workers > 1 else []
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--tls-cert", both, "--tls-allow-1.3", "--tls-allow-ccc",
            *workers, *options], twistd=self.twistd, listen=listen,
            host=self.host, metrics=metrics, env=env)
        if self.workers > 1:
            self.server.waitForLog(READY, self.workers)
        self.server.waitForGreeting()
        ports = self.server.waitFor(lambda: [
            int(port) for port in re.findall(
                r"ftpkit listening on \S+ port (\d+)", self.server.log())
            if int(port) != self.server.port], "the implicit listener")
        self.implicitPort = ports[0]
        return self.server

    def client(self, implicit):
        """
        @param implicit: connect to the implicit listener (else to the
            explicit one, and start TLS).
        @return: a L{ControlClient} under TLS, logged in, closed when the
            test ends.
        """
        if implicit:
            client = ControlClient(self.host, self.implicitPort, True)
        else:
            client = ControlClient(self.host, self.server.port)
            self.assertEqual(client.startTLS()[:3], b"234")
        self.addCleanup(client.close)
        self.assertEqual(client.login(), [b"331 Password required",
                                          b"230 Login successful"])
        return client

    def assertNoTraceback(self):
        """
        Assert that the server logged no traceback nor unhandled error.
        """
        log = self.server.log()
        for sign in ("Traceback", "Unhandled"):
            self.assertNotIn(sign, log)


def modes(mixin, name, module):
    """
    Make a trial test case class of C{mixin} for each of two modes, into
    C{module}'s namespace: C{twistd -n ftpkit} in one process on
    C{127.0.0.1}, and C{python -m ftpkit --workers 2} on C{::1} (between
    them every launcher, process model and address family; a server
    started per test costs seconds on a loaded machine).

    @param mixin: the tests (a L{ModeServerMixin} subclass).
    @param name: the classes' common name.
    @param module: the namespace (a module's C{globals()}).
    """
    for suffix, settings in [
            ("OneProcessTwistd", dict(twistd=True)),
            ("WorkersIPv6", dict(workers=2, host="::1"))]:
        settings["__module__"] = module["__name__"]
        if ":" in settings.get("host", "") and not hasIPv6():
            settings["skip"] = "no IPv6 loopback"
        module[name + suffix] = type(name + suffix,
                                     (mixin, unittest.TestCase), settings)


class UpdatingDataClient(KeyUpdateClient):
    """
    The TLS 1.3 client of a C{PROT P} data connection that asks the
    server for a KeyUpdate now and then, as a client rekeying during a
    long transfer would.
    """

    def __init__(self, sock):
        """
        Make the handshake.

        @param sock: the data connection's socket, with a timeout.
        @raise unittest.SkipTest: where C{SSL_key_update} cannot be
            reached.
        """
        KeyUpdateClient.__init__(self, sock)
        self.handshake()

    def requestUpdate(self):
        """
        Ask the server for a KeyUpdate, now.
        """
        self.askUpdate()
        self.flush()

    def download(self, every):
        """
        Read a download to its end, asking for a KeyUpdate every
        C{every} bytes.

        @return: the bytes.
        """
        received, asked = [], 0
        size = 0
        while True:
            try:
                chunk = self.tls.recv(1 << 20)
            except SSL.WantReadError:
                self.feed()
                continue
            except SSL.ZeroReturnError:
                break
            received.append(chunk)
            size += len(chunk)
            if size // every > asked:
                asked = size // every
                self.requestUpdate()
        self.tls.shutdown()
        self.flush()
        return b"".join(received)

    def upload(self, data, every):
        """
        Send C{data}, asking for a KeyUpdate every C{every} bytes, then
        a close_notify; read what the server sends until it closes.
        """
        for start in range(0, len(data), every):
            self.tls.sendall(data[start:start + every])
            self.flush()
            self.requestUpdate()
        self.tls.shutdown()
        self.flush()
        self.sock.shutdown(socket.SHUT_WR)
        while self.sock.recv(65536):
            pass
