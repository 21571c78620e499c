"""
Attacks across virtual hosts (C{HOST}, C{--vhost}): a user of one host
cannot log in with another host's users file, resume another host's
user's partial upload, or escape a quota by logging in on another host
serving the same root; a C{HOST} naming an IPv6 address with a zone, or
an IPv4 address with a trailing dot, is refused, and one naming an
IPv4-mapped address is answered as the IPv4 address.
"""

import ftplib
import io
import os
import socket
import time

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import uploads
from ftpkit.shells.partialowners import recordResumer
from tests.integration.test_attack_quota_workers import writeQuotaUser
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


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

    async def test_lineFeedRefused(self):
        """
        A name holding a line feed (a bare LF inside a command that ends
        with CRLF, as a client whose lines end with CRLF sends it in one
        piece) gets C{501}, not a C{220} taking C{ftp\\n.example} as the
        host, which went on to the log lines of the session's login and
        to C{/sessions}; the same client's next C{HOST} is served.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.sock.sendall(b"NOOP\r\nHOST ftp\n.example\r\n")
                return [client.reply(), client.reply(),
                        client.command("HOST ftp.example")]
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual([reply[:4] for reply in replies],
                         [b"200 ", b"501 ", b"220 "], replies)


class HostAddressFormTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{HOST} with an address literal in other forms than a dotted quad.
    """

    timeout = 30

    def setUp(self):
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)), ServerConfig())

    async def test_mappedIsTheIPv4Address(self):
        """
        An IPv4-mapped IPv6 literal is answered as the IPv4 address it
        maps (as C{HOST 192.0.2.1} is), not in Python's hexadecimal form
        (C{[::ffff:c000:201]}).
        """
        replies = await self.inThread(exchange, self.server.port, [
            b"HOST [::ffff:192.0.2.1]", b"HOST 192.0.2.1"])
        self.assertEqual(replies, [b"220 Host 192.0.2.1 ready"] * 2)

    async def test_trailingDotRefused(self):
        """
        An IPv4 address with a trailing dot gets C{501}, as C{256.1.1.1}
        does: it is no dotted quad, nor a host name (whose last label is
        never a number); a name with one is the name.
        """
        replies = await self.inThread(exchange, self.server.port, [
            b"HOST 192.0.2.1.", b"HOST 256.1.1.1", b"HOST ftp.example."])
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"220 "], replies)


class VirtualHostQuotaTests(unittest.TestCase):
    """
    A user with a 100,000-byte quota, logged in on the default host and
    on a C{--vhost} whose realm serves the same root from the same users
    file, in one process.
    """

    timeout = 120

    def storeOnBoth(self, realm):
        """
        A session on each host stores a byte, then each tries 90,000
        bytes: one fits, the other gets C{552}, and the home holds no
        more than the quota.

        @param realm: given the users file's path and the root, the
            realm's C{--realm} and C{--vhost} value.
        """
        root = scratchDirectory(self)
        users = writeQuotaUser(root)
        spec = realm(users, root)
        server = ServerProcess(self, [
            "--root", root, "--realm", spec, "--auth", f"users:{users}",
            "--vhost", f"other.example={spec}"])
        server.waitForGreeting()
        sessions = [RawClient(server.port), RawClient(server.port)]
        for session in sessions:
            self.addCleanup(session.close)
        self.assertTrue(sessions[1].command("HOST other.example").startswith(
            b"220"))
        for index, session in enumerate(sessions):
            self.assertTrue(session.login().startswith(b"230"))
            _, _, last = session.transfer(f"STOR small{index}", b"x")
            self.assertTrue(last.startswith(b"226"), last)
        finals = [session.transfer(f"STOR big{index}", b"y" * 90000)[2]
                  for index, session in enumerate(sessions)]
        self.assertEqual(sorted(final[:3] for final in finals),
                         [b"226", b"552"])
        home = os.path.join(root, "alice")
        self.assertLessEqual(
            sum(os.path.getsize(os.path.join(home, name))
                for name in os.listdir(home)), 100000)

    def test_disk(self):
        """
        C{users:PATH} on both hosts.
        """
        self.storeOnBoth(lambda users, root: f"users:{users}")

    def test_fsspec(self):
        """
        C{fsspec:file://ROOT?users=PATH} on both hosts.
        """
        self.storeOnBoth(
            lambda users, root: f"fsspec:file://{root}?users={users}")


def _readOnlyUsersFile(path, home, users):
    """
    Write a users file.

    @param path: the file.
    @param home: every user's home.
    @param users: C{{name: password}}.
    @return: C{path}.
    """
    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f'[users.{name}]\npassword = "{hashPassword(password)}"'
                    f'\nhome = "{home}"\npermissions = ["list", "read"]\n')
    return path


class HostUsersTests(unittest.TestCase):
    """
    The default host's users in C{A.toml} (C{alice}, password C{passA}),
    the virtual host C{x.test}'s in C{B.toml} (C{alice}, C{passB};
    C{bonly}, C{passB2}), each home holding a file of its own.
    """

    timeout = 120

    def serve(self, *auth):
        """
        Start the server, with C{--auth users:A.toml} and C{auth}.

        @return: the L{ServerProcess}.
        """
        root = scratchDirectory(self)
        for home in "ab":
            os.makedirs(os.path.join(root, home))
            with open(os.path.join(root, home, f"{home}.txt"), "wb") as f:
                f.write(home.encode())
        self.a = _readOnlyUsersFile(os.path.join(root, "A.toml"), "a",
                            {"alice": "passA"})
        self.b = _readOnlyUsersFile(os.path.join(root, "B.toml"), "b",
                            {"alice": "passB", "bonly": "passB2"})
        server = ServerProcess(self, [
            "--root", root, "--auth", f"users:{self.a}",
            *[option.format(b=self.b) for option in auth],
            "--realm", f"users:{self.a}",
            "--vhost", f"x.test=users:{self.b}",
            "--max-login-attempts", "9"])
        server.waitForGreeting()
        return server

    def logins(self, server, host, attempts):
        """
        @param host: the C{HOST} sent first, or C{None}.
        @param attempts: C{(user, password)} pairs, each on a connection
            of its own.
        @return: for each, the reply to its C{PASS}, and to C{SIZE} of
            each home's file (C{550}, or C{213} where the file is).
        """
        replies = []
        for user, password in attempts:
            client = RawClient(server.port)
            try:
                if host is not None:
                    self.assertTrue(client.command("HOST " + host)
                                    .startswith(b"220"))
                logged = client.login(user, password)[:3]
                client.command("TYPE I")
                replies.append((logged,
                                client.command("SIZE a.txt")[:3],
                                client.command("SIZE b.txt")[:3]))
            finally:
                client.close()
        return replies

    def assertApart(self, server):
        """
        On C{x.test}, B's passwords log B's users in to B's homes, and A's
        do not; on the default host, the other way round.
        """
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB"),
                                           ("bonly", "passB2")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213"),
             (b"230", b"550", b"213")])
        self.assertEqual(
            self.logins(server, None, [("alice", "passA"),
                                       ("alice", "passB")]),
            [(b"230", b"213", b"550"), (b"530", b"530", b"530")])

    def test_ownUsersFile(self):
        """
        C{--auth users:A.toml} alone: on C{x.test}, C{B.toml} decides.
        """
        self.assertApart(self.serve())

    def test_bothUsersFiles(self):
        """
        With C{--auth users:B.toml} as well, C{x.test} still takes no
        password of C{A.toml}.
        """
        server = self.serve("--auth", "users:{b}")
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213")])

    def test_sessionsCountedApart(self):
        """
        Under C{--max-sessions-per-user 1}, B's C{alice} is not kept out by
        A's C{alice}'s session (another user of the same name), and is
        held to one session of her own.
        """
        server = self.serve("--max-sessions-per-user", "1")
        replies = []
        for host, password in [(None, "passA"), ("x.test", "passB"),
                               ("x.test", "passB")]:
            client = RawClient(server.port)
            self.addCleanup(client.close)
            if host is not None:
                client.command("HOST " + host)
            replies.append(client.login("alice", password)[:3])
        self.assertEqual(replies, [b"230", b"230", b"421"])


KEPT = 64 << 10
"""The bytes of the cut upload that reach the server."""


OLD = 2 * KEPT
"""The size of the file the cut upload would have replaced."""


def _sharedUsersFile(path, users):
    """
    Write a users file whose every user has home C{shared} and every
    permission.

    @param path: the file.
    @param users: C{{name: password}}.
    @return: C{path}.
    """
    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f'[users.{name}]\npassword = "{hashPassword(password)}"'
                    f'\nhome = "shared"\npermissions = ["list", "read", "write", '
                    f'"append"]\n')
    return path


def _login(port, host, user, password):
    """
    @param host: the C{HOST} sent before logging in, or C{None}.
    @return: an C{ftplib.FTP} logged in, in binary mode.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    if host is not None:
        ftp.sendcmd("HOST " + host)
    ftp.login(user, password)
    ftp.voidcmd("TYPE I")
    return ftp


def _size(ftp, name):
    """
    @return: the reply code to C{SIZE name}, and the size if C{213}.
    """
    try:
        return ("213", ftp.size(name))
    except ftplib.error_perm as e:
        return (str(e)[:3], None)


class VirtualHostPartialOwnerTests(unittest.TestCase):
    """
    The default host's users in C{A.toml}, the virtual host C{x.test}'s
    in C{B.toml}, each with an C{alice} (passwords C{passA}, C{passB})
    whose home is C{ROOT/shared}.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        self.a = _sharedUsersFile(os.path.join(self.root, "A.toml"),
                            {"alice": "passA"})
        self.b = _sharedUsersFile(os.path.join(self.root, "B.toml"),
                            {"alice": "passB"})
        self.shared = os.path.join(self.root, "shared")
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", f"users:{self.a}",
            "--realm", f"users:{self.a}",
            "--vhost", f"x.test=users:{self.b}"])
        self.server.waitForGreeting()
        self.data = os.urandom(KEPT)
        self.old = os.urandom(OLD)
        os.makedirs(self.shared)
        with open(os.path.join(self.shared, "big.bin"), "wb") as f:
            f.write(self.old)

    def cut(self, host, password):
        """
        Log in as C{alice} on C{host}, start C{STOR big.bin}, send
        L{KEPT} bytes and, once the server wrote them, reset both
        connections; wait for the partial upload.
        """
        ftp = _login(self.server.port, host, "alice", password)
        data = ftp.transfercmd("STOR big.bin")
        data.sendall(self.data)
        deadline = time.monotonic() + 30
        while self.received() < KEPT and time.monotonic() < deadline:
            time.sleep(0.01)
        for sock in (data, ftp.sock):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\1\0\0\0\0\0\0\0")
            sock.close()
        partial = os.path.join(self.shared, ".ftpkit-partial.big.bin")
        while not os.path.exists(partial):
            if time.monotonic() > deadline:
                self.fail("no partial upload: %r"
                          % (os.listdir(self.shared),))
            time.sleep(0.02)

    def received(self):
        """
        @return: the bytes the temporary upload files in the shared home
            hold.
        """
        total = 0
        for name in os.listdir(self.shared):
            if name.startswith(os.fsdecode(uploads.TEMPORARY_PREFIX)):
                try:
                    total += os.stat(os.path.join(self.shared, name)).st_size
                except FileNotFoundError:
                    continue
        return total

    def sizes(self):
        """
        @return: the replies to C{SIZE big.bin} of A's C{alice} and of
            B's (on C{x.test}).
        """
        replies = []
        for host, password in [(None, "passA"), ("x.test", "passB")]:
            ftp = _login(self.server.port, host, "alice", password)
            try:
                replies.append(_size(ftp, "big.bin"))
            finally:
                ftp.close()
        return replies

    def test_otherHostsAliceSeesOldFile(self):
        """
        A's C{alice}'s cut upload is hers: her C{SIZE} answers its size;
        B's C{alice}'s the file's. It answered the partial upload's size
        to both.
        """
        def check():
            self.cut(None, "passA")
            self.assertEqual(self.sizes(), [("213", KEPT), ("213", OLD)])
        return threads.deferToThread(check)

    def test_otherHostsAliceDoesNotContinue(self):
        """
        A's C{alice}'s C{REST} + C{STOR} writes the file in place (up to
        its end: what follows is cut off), and
        does not continue B's C{alice}'s partial upload: it did, and the
        file held B's C{alice}'s bytes followed by A's C{alice}'s.
        """
        def check():
            self.cut("x.test", "passB")
            ftp = _login(self.server.port, None, "alice", "passA")
            try:
                ftp.storbinary("STOR big.bin", io.BytesIO(b"A" * 100),
                               rest=KEPT)
            finally:
                ftp.close()
            with open(os.path.join(self.shared, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), self.old[:KEPT] + b"A" * 100)
        return threads.deferToThread(check)

    def test_plainNameStillResumed(self):
        """
        A partial upload recorded for a plain C{alice} (a single-host
        server's, kept before resumers named the host's users) is still
        the default host's C{alice}'s, whose users are the server's.
        """
        def check():
            partial = os.path.join(self.shared, ".ftpkit-partial.big.bin")
            with open(partial, "wb") as f:
                f.write(self.data)
                recordResumer(f.fileno(), "alice")
            self.assertEqual(self.sizes(), [("213", KEPT), ("213", OLD)])
        return threads.deferToThread(check)
