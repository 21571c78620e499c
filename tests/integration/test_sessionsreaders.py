"""
C{/sessions} (the users' names, their addresses, the paths they
transfer) is read, on this machine, only by the server's user and root
(L{ftpkit.ops.peeruser}): every local user could read it, on a loopback
C{--metrics} endpoint too. C{/metrics} still answers anyone who reaches
the endpoint (Prometheus), and C{--metrics unix:PATH} is read by
C{python -m ftpkit.who unix:PATH}.
"""

import io
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.ops import peeruser, sockdiag, who
from ftpkit.ops.peeruser import mayReadSessions, socketOwner
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort
from tests.tcptable import hexAddress

NOBODY = 65534
"""The user id of C{nobody}, another local user."""


def tableLine(local, remote, uid, state="01"):
    """
    @param local: C{(address, port)} of the socket.
    @param remote: its other end.
    @param uid: its owner.
    @param state: its TCP state, in hexadecimal.
    @return: the line of C{/proc/net/tcp} (or C{tcp6}) for it.
    """
    return (f"   0: {hexAddress(*local)} {hexAddress(*remote)} {state} "
            f"00000000:00000000 00:00000000 00000000 {uid:>5} 0 12345 1\n")


HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
          "retrnsmt   uid  timeout inode\n")


class SocketOwnerTests(unittest.TestCase):
    """
    L{socketOwner} finds a socket's owner in C{/proc/net/tcp}'s lines.
    """

    def test_found(self):
        lines = [HEADER,
                 tableLine(("127.0.0.1", 9102), ("0.0.0.0", 0), 0, "0A"),
                 tableLine(("127.0.0.1", 40000), ("127.0.0.1", 9102), 1000)]
        self.assertEqual(socketOwner(lines, *self.ends("127.0.0.1", 40000,
                                                       "127.0.0.1", 9102)),
                         1000)
        self.assertIsNone(socketOwner(lines, *self.ends(
            "127.0.0.1", 40001, "127.0.0.1", 9102)))

    def test_ipv6AndMapped(self):
        """
        IPv6 addresses are read, an IPv4-mapped one as IPv4.
        """
        lines = [HEADER,
                 tableLine(("::1", 40000), ("::1", 9102), 7),
                 tableLine(("::ffff:127.0.0.1", 40001),
                           ("::ffff:127.0.0.1", 9102), 8)]
        self.assertEqual(socketOwner(lines, *self.ends("::1", 40000, "::1",
                                                       9102)), 7)
        self.assertEqual(socketOwner(lines, *self.ends(
            "127.0.0.1", 40001, "127.0.0.1", 9102)), 8)

    def test_timeWait(self):
        """
        A closed connection's leftover (owned by root, as the kernel
        writes it) is no socket of anyone's.
        """
        lines = [tableLine(("127.0.0.1", 40000), ("127.0.0.1", 9102), 0,
                           "06")]
        self.assertIsNone(socketOwner(lines, *self.ends(
            "127.0.0.1", 40000, "127.0.0.1", 9102)))

    def ends(self, *addresses):
        """
        @return: two ends, C{(ipaddress address, port)}, of the address
            and port pairs given.
        """
        return ((ipaddress.ip_address(addresses[0]), addresses[1]),
                (ipaddress.ip_address(addresses[2]), addresses[3]))


class MayReadTests(unittest.TestCase):
    """
    L{mayReadSessions} lets clients on other machines in, and those of
    this one that run as the server's user or root.
    """

    def setUp(self):
        self.table = os.path.abspath(self.mktemp())

    def mayRead(self, peer, host="127.0.0.1", lines=(), address=IPv4Address):
        with open(self.table, "w") as f:
            f.writelines([HEADER, *lines])
        transport = StringTransport(
            hostAddress=address("TCP", host, 9102),
            peerAddress=address("TCP", peer, 40000))
        return mayReadSessions(transport, tables=[self.table], uid=500)

    def test_owners(self):
        for owner, allowed in ((500, True), (0, True), (NOBODY, False)):
            self.assertEqual(self.mayRead("127.0.0.1", lines=[tableLine(
                ("127.0.0.1", 40000), ("127.0.0.1", 9102), owner)]),
                allowed)

    def test_localUnknown(self):
        """
        A local client whose socket is not found (a loopback address, or
        the endpoint's own) is refused.
        """
        self.assertFalse(self.mayRead("127.0.0.1"))
        self.assertFalse(self.mayRead("::1", "::1", address=IPv6Address))
        self.assertFalse(self.mayRead("10.0.0.5", "10.0.0.5"))

    def test_remote(self):
        self.assertTrue(self.mayRead("192.0.2.7"))

    def test_noSocket(self):
        """
        A transport with neither an IP address nor a Unix socket (which
        the kernel would name the user of) is refused.
        """
        transport = StringTransport(hostAddress=UNIXAddress(b"/s"),
                                    peerAddress=UNIXAddress(None))
        self.assertFalse(mayReadSessions(transport, uid=500))


class LookupCostTests(unittest.TestCase):
    """
    A request for C{/sessions} reads no more of the kernel's tables than
    it must: each line parsed cost the reactor's time, for every socket
    of the machine at every request, which anyone reaching the endpoint
    could ask for again and again.
    """

    def setUp(self):
        self.parsed = []
        real = peeruser._address

        def counted(text):
            self.parsed.append(text)
            return real(text)

        self.patch(peeruser, "_address", counted)
        self.others = [tableLine(("127.0.0.1", 41000 + i),
                                 ("127.0.0.1", 9102), NOBODY)
                       for i in range(1000)]

    def test_otherPortsSkipped(self):
        """
        Only the lines holding the socket's port are parsed.
        """
        lines = [HEADER, *self.others,
                 tableLine(("127.0.0.1", 40000), ("127.0.0.1", 9102), 500)]
        local = (ipaddress.ip_address("127.0.0.1"), 40000)
        remote = (ipaddress.ip_address("127.0.0.1"), 9102)
        self.assertEqual(socketOwner(lines, local, remote), 500)
        self.assertLessEqual(len(self.parsed), 2)

    def test_otherMachineNotLookedUp(self):
        """
        A client from an address of no interface of this machine (one of
        TEST-NET-1) is let in without a look at the tables, where no
        socket of this machine can have its end.
        """
        table = os.path.abspath(self.mktemp())
        with open(table, "w") as f:
            f.writelines([HEADER, *self.others, tableLine(
                ("127.0.0.1", 40000), ("127.0.0.1", 9102), NOBODY)])
        transport = StringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 9102),
            peerAddress=IPv4Address("TCP", "192.0.2.7", 40000))
        self.assertTrue(mayReadSessions(transport, tables=[table], uid=500))
        self.assertEqual(self.parsed, [])

    def connection(self, family, host):
        """
        @return: the two ends, C{(ipaddress address, port)}, of a client
            socket connected over loopback (closed at the test's end).
        """
        listener = socket.socket(family)
        self.addCleanup(listener.close)
        listener.bind((host, 0))
        listener.listen(1)
        client = socket.socket(family)
        self.addCleanup(client.close)
        client.connect(listener.getsockname()[:2])
        accepted, _ = listener.accept()
        self.addCleanup(accepted.close)
        return tuple((ipaddress.ip_address(end[0]), end[1])
                     for end in (client.getsockname(), client.getpeername()))

    def test_localClientAskedOfKernel(self):
        """
        A local client's user is told by the kernel, by the connection's
        ends: the tables (here none) are not read for it.
        """
        client, endpoint = self.connection(socket.AF_INET, "127.0.0.1")
        if sockdiag.socketOwner(client, endpoint) is sockdiag.UNKNOWN:
            raise unittest.SkipTest("no NETLINK_SOCK_DIAG here")
        transport = StringTransport(
            hostAddress=IPv4Address("TCP", str(endpoint[0]), endpoint[1]),
            peerAddress=IPv4Address("TCP", str(client[0]), client[1]))
        self.assertTrue(mayReadSessions(transport, tables=[],
                                        uid=os.geteuid()))


class SockDiagTests(unittest.TestCase):
    """
    L{sockdiag.socketOwner} asks the kernel who owns a socket by its
    ends; L{sockdiag.parseReply} reads only a reply naming those ends.
    """

    def setUp(self):
        if sockdiag.socketOwner(
                (ipaddress.ip_address("127.0.0.1"), 1),
                (ipaddress.ip_address("127.0.0.1"), 1)) is sockdiag.UNKNOWN:
            raise unittest.SkipTest("no NETLINK_SOCK_DIAG here")

    def test_owners(self):
        """
        A connected socket's owner, IPv4, IPv6 and an IPv6 socket over
        IPv4 (mapped) alike; C{None} for ends no socket has.
        """
        ends = LookupCostTests.connection
        cases = [(socket.AF_INET, "127.0.0.1")]
        if hasIPv6():
            cases.append((socket.AF_INET6, "::1"))
        for family, host in cases:
            client, server = ends(self, family, host)
            self.assertEqual(sockdiag.socketOwner(client, server),
                             os.geteuid())
            self.assertIsNone(sockdiag.socketOwner((client[0], 1), server))
        if not hasIPv6():
            return
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        mapped = socket.socket(socket.AF_INET6)
        self.addCleanup(mapped.close)
        mapped.connect(("::ffff:127.0.0.1", listener.getsockname()[1]))
        accepted, peer = listener.accept()
        self.addCleanup(accepted.close)
        self.assertEqual(sockdiag.socketOwner(
            (ipaddress.ip_address(peer[0]), peer[1]),
            (ipaddress.ip_address("127.0.0.1"), listener.getsockname()[1])),
            os.geteuid())

    def test_listenerNotOwner(self):
        """
        Ends no connection has, whose first a socket listens on (which
        the kernel's lookup gives), have no owner.
        """
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        self.assertIsNone(sockdiag.socketOwner(
            (ipaddress.ip_address("127.0.0.1"), port),
            (ipaddress.ip_address("127.0.0.2"), 40000)))

    def test_shortReplies(self):
        """
        A reply too short to read is no answer.
        """
        ends = ((ipaddress.ip_address("127.0.0.1"), 1),) * 2
        for reply in (b"", b"\0" * 16, sockdiag.query(*ends)[:20]):
            self.assertIs(sockdiag.parseReply(reply, *ends),
                          sockdiag.UNKNOWN)


def curl(*arguments, uid=None):
    """
    Ask with C{curl}, as C{uid} (this process's user when C{None}).

    @return: C{(HTTP status, body)}.
    """
    def drop():
        if uid is not None:
            os.setgid(uid)
            os.setuid(uid)

    result = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30",
         *arguments], capture_output=True, preexec_fn=drop, check=False)
    body, _, status = result.stdout.rpartition(b"\n")
    return int(status or 0), body


class ServerTests(unittest.TestCase):
    """
    A server's C{/sessions}, asked by another local user, and by the
    server's.
    """

    timeout = 120

    def setUp(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root, to ask as another user")
        if shutil.which("curl") is None:
            raise unittest.SkipTest("curl is not installed")

    def serve(self, metrics, *options):
        server = ServerProcess(self, [
            "--auth", "anonymous", "--root", scratchDirectory(self),
            "--metrics", metrics, *options])
        server.waitForGreeting()
        ftp = server.login()
        self.addCleanup(ftp.close)
        return server

    def test_loopback(self):
        """
        On C{127.0.0.1}, C{nobody} gets C{403} for C{/sessions} (it got
        the sessions) and the metrics; the server's user gets both.
        """
        port = freePort()
        self.serve(f"tcp:{port}:interface=127.0.0.1")
        base = f"http://127.0.0.1:{port}"
        status, body = curl(base + "/sessions", uid=NOBODY)
        self.assertEqual(status, 403, body)
        self.assertNotIn(b"anonymous", body)
        status, body = curl(base + "/metrics", uid=NOBODY)
        self.assertEqual(status, 200, body)
        self.assertIn(b"ftpkit_sessions", body)
        status, body = curl(base + "/sessions")
        self.assertEqual(status, 200, body)
        self.assertIn(b'"anonymous": true', body)

    def unixEndpoint(self, *options):
        directory = tempfile.mkdtemp(prefix="ftpkit-who-")
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "metrics.sock")
        self.serve(f"unix:{path}:mode=666", *options)
        return path

    def test_unix(self):
        """
        On a C{unix:} endpoint that anyone may connect to, C{nobody} gets
        C{403} for C{/sessions} (the kernel tells its user), and
        C{python -m ftpkit.who unix:PATH} prints the sessions (it took
        only URLs).
        """
        self.checkUnix(self.unixEndpoint())

    def test_unixWorkers(self):
        """
        The same under C{--workers}, whose acceptor serves the endpoint.
        """
        self.checkUnix(self.unixEndpoint("--workers", "2"))

    def checkUnix(self, path):
        status, body = curl("--unix-socket", path, "http://localhost/sessions",
                            uid=NOBODY)
        self.assertEqual(status, 403, body)
        status, body = curl("--unix-socket", path, "http://localhost/metrics",
                            uid=NOBODY)
        self.assertEqual(status, 200, body)
        out, err = io.StringIO(), io.StringIO()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Under --workers the sessions come a snapshot later (later
            # still on a loaded machine).
            out.truncate(0)
            status = who.main(["unix:" + path], out=out, err=err)
            if "anonymous" in out.getvalue():
                break
            time.sleep(0.1)
        self.assertEqual(status, 0, err.getvalue())
        self.assertIn("anonymous", out.getvalue())
        self.assertIn("1 session(s)", out.getvalue())
