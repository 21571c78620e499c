"""
Tests for the name a client of a C{unix:} listener goes by
(L{ftpkit.control.clientname}): the local user it runs as, C{unix-uid-N}.

Every client of a Unix socket was named C{unknown}, one name for all of
them, and every per-address limit counted them as one client: one local
user holding C{--max-connections-per-ip} sessions kept every other local
user out with C{421}, and its failed logins held everybody's logins
(found, not fixed, by the 22nd attack sweep:
L{tests.integration.test_attack_listeners.UnixClientTests}). Each
local user now counts as a client of its own, and the log names it.
"""

import os
import shutil
import socket
import tempfile

from twisted.internet import threads
from twisted.internet.address import UNIXAddress
from twisted.trial import unittest

from ftpkit.control.clientname import UNKNOWN, clientName
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

NOBODY = 65534
"""The user id of C{nobody}."""


class _Transport:
    """
    A transport whose peer and handle are given.
    """

    def __init__(self, peer, handle=None):
        self._peer = peer
        self._handle = handle

    def getPeer(self):
        return self._peer

    def getHandle(self):
        return self._handle


class ClientNameTests(unittest.TestCase):
    """
    L{clientName}.
    """

    def test_unixSocket(self):
        """
        A Unix socket's client is named by its user id, whether the
        server's socket is a C{socket.socket} or the C one ftpkit's
        accept makes (C{socket.SocketType}).
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX)
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        bare = socket.SocketType(fileno=os.dup(ours.fileno()))
        self.addCleanup(bare.close)
        for handle in (ours, bare):
            transport = _Transport(UNIXAddress(None), handle)
            self.assertEqual(clientName(transport), f"unix-uid-{os.geteuid()}")

    def test_noHandle(self):
        """
        A peer with no address and no Unix socket to ask is L{UNKNOWN}.
        """
        self.assertEqual(clientName(_Transport(UNIXAddress(None))), UNKNOWN)
        with socket.socket() as other:
            self.assertEqual(clientName(_Transport(UNIXAddress(None), other)),
                             UNKNOWN)


def _greetingAs(uid, path):
    """
    Connect to a Unix socket as another user (in a child process), log in
    anonymously and leave.

    @param uid: the user id to connect as.
    @param path: the socket.
    @return: the replies' first lines, C{bytes}.
    """
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.close(reading)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(20)
                sock.connect(path)
                data = sock.recv(4096)
                if data.startswith(b"220"):
                    sock.sendall(b"USER anonymous\r\nPASS x\r\nQUIT\r\n")
                while data.startswith(b"220") and data.count(b"\r\n") < 4:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            os.write(writing, data)
        except BaseException as e:
            os.write(writing, repr(e).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return data


class LocalUsersTests(unittest.TestCase):
    """
    A server listening on a Unix socket every local user may use, with
    C{--max-connections-per-ip 1}.
    """

    timeout = 120

    def setUp(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("connecting as another user needs root")
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)
        self.path = os.path.join(directory, "ftp.sock")
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--max-connections-per-ip", "1"],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", f"unix:{self.path}:lockfile=0:mode=666"])
        self.server.waitForGreeting()

    def test_usersApart(self):
        """
        While root holds its one session, another local user is served
        (it got C{421}, counted as root's address), and root's second
        session is refused; the log names the user.
        """
        def check():
            with socket.socket(socket.AF_UNIX) as held:
                held.settimeout(20)
                held.connect(self.path)
                self.assertEqual(held.recv(4)[:3], b"220")
                replies = _greetingAs(NOBODY, self.path).split(b"\r\n")
                self.assertEqual([line[:4] for line in replies[:4]],
                                 [b"220 ", b"331 ", b"230 ", b"221 "],
                                 replies)
                with socket.socket(socket.AF_UNIX) as second:
                    second.settimeout(20)
                    second.connect(self.path)
                    self.assertEqual(second.recv(4)[:3], b"421")
            self.server.waitForLog(f"login from unix-uid-{NOBODY} user "
                                   "'anonymous'")
        return threads.deferToThread(check)


class BalancerSocketTests(unittest.TestCase):
    """
    A C{haproxy:unix:} listener's refusal of a connection that sends no
    PROXY header names its client as a session would.
    """

    timeout = 120

    def test_refusalNamesUser(self):
        """
        The line says C{unix-uid-N}; it said C{UNIXAddress(None)}, the
        address object's text.
        """
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "ftp.sock")
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous"],
            listen=lambda port: [
                "--listen", f"tcp:{port}:interface=127.0.0.1",
                "--listen", f"haproxy:unix:{path}:lockfile=0"])
        server.waitForGreeting()

        def check():
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(20)
                sock.connect(path)
                sock.sendall(b"GARBAGE\r\n")
                self.assertEqual(sock.recv(100), b"")
            log = server.waitForLog("no PROXY header")
            self.assertIn(f"refused connection from unix-uid-{os.geteuid()} "
                          "on a PROXY-protocol listener: no PROXY header", log)
            self.assertNotIn("UNIXAddress", log)
        return threads.deferToThread(check)
