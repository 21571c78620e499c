"""
Property-based tests: random and mutated command sequences through a
session on L{StringTransport}, on an in-memory shell and on a jailed
directory of the local disk.
"""

import os
import re
import shutil
import socket
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.cred import checkers, portal
from twisted.internet import defer, error
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import LogLevel, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.data.passive import PassiveListener
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol.commandtable import COMMANDS
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell

PEER = "10.0.0.1"
REPLY_LINE = re.compile(rb"^(\d{3})([ -])")
FUZZ_SETTINGS = settings(max_examples=200, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])

_VERBS = st.one_of(
    st.sampled_from(sorted(COMMANDS)),
    st.sampled_from(["", "XYZZY", "retr", "GET", "SMNT", "\xe9\xe9",
                     "PASS\x00", "\xff\xf4\xff\xf2ABOR"]),
    st.text(max_size=8),
)
_SEGMENTS = st.sampled_from(
    ["..", ".", "", "d", "f.txt", "top.bin", "new", "\\", "..\\..",
     "\x00", "a\x00b", "escape", "link.txt", "inside", "\xe9t\xe9",
     "x" * 300, "%2e%2e", "~", "*", "\r", " "])
_PATHS = st.one_of(
    st.lists(_SEGMENTS, max_size=6).map("/".join),
    st.lists(_SEGMENTS, min_size=1, max_size=6).map(
        lambda parts: "/" + "/".join(parts)),
    st.text(max_size=40),
    st.just("a" * 5000),
)
_ARGUMENTS = st.one_of(
    _PATHS,
    st.sampled_from(["I", "A", "L 8", "E", "S", "F", "TLS", "P", "C",
                     "0", "-1", "99999999999999999999", "ALL", "1", "2",
                     "10,0,0,1,8,0", "10,0,0,9,8,0", "10,0,0,1,0,21",
                     "|1|10.0.0.1|2048|", "|2|::1|2048|", "|1|10.0.0.9|5000|",
                     "MLST type;size;", "UTF8 ON", "HASH MD5",
                     "20200101000000 /top.bin", "-la /d", "anonymous",
                     "alice", "secret"]),
)


def _encode(text):
    return text.encode("utf-8", "surrogateescape").replace(b"\n", b"")


_LINES = st.one_of(
    st.tuples(_VERBS, _ARGUMENTS).map(
        lambda pair: _encode(pair[0]) + (b" " + _encode(pair[1])
                                         if pair[1] else b"")),
    st.tuples(st.sampled_from(sorted(COMMANDS)),
              st.binary(max_size=60)).map(
        lambda pair: pair[0].encode() + b" "
        + pair[1].replace(b"\n", b"")),
    st.binary(max_size=80).map(lambda data: data.replace(b"\n", b"")),
)
_TRANSFER_LINES = st.sampled_from([
    b"PASV", b"EPSV", b"RETR /top.bin", b"RETR d/f.txt", b"STOR new",
    b"APPE top.bin", b"STOU", b"LIST", b"NLST d", b"MLSD", b"ABOR",
    b"STAT", b"REST 5", b"TYPE A", b"TYPE I", b"PORT 10,0,0,1,8,0",
])
_ACTIONS = st.lists(
    st.one_of(
        _LINES,
        _TRANSFER_LINES,
        st.sampled_from(["CONNECT", "STEAL", "SEND"]),
    ),
    max_size=25,
)
_LOGINS = st.sampled_from([
    [],
    [b"USER alice", b"PASS secret"],
    [b"USER anonymous", b"PASS guest@"],
    [b"USER alice", b"PASS wrong"],
])


class FuzzReactor(MemoryReactorClock):
    """
    A L{MemoryReactorClock} whose thread pool runs work at once (so that a
    L{FilesystemShell} answers synchronously). Passive listeners bind real
    loopback sockets but are only ever "connected to" by the test, through
    their factory.
    """

    def __init__(self):
        MemoryReactorClock.__init__(self)
        self.adopted = []

    def listeners(self):
        """
        @return: the passive listeners still listening.
        """
        return [reader for reader in self.readers
                if isinstance(reader, PassiveListener)]

    def adoptStreamConnection(self, fileDescriptor, addressFamily, factory):
        """
        Build the adopted connection's protocol on a L{StringTransport}.
        """
        address = IPv4Address("TCP", PEER, 50000)
        protocol = factory.buildProtocol(address)
        transport = StringTransport(peerAddress=address)
        protocol.makeConnection(transport)
        self.adopted.append((protocol, transport))

    def getThreadPool(self):
        return self

    def callInThreadWithCallback(self, onResult, function, *args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except BaseException:
            onResult(False, Failure())
        else:
            onResult(True, result)

    def callFromThread(self, function, *args, **kwargs):
        function(*args, **kwargs)


@implementer(portal.IRealm)
class _Realm:
    """
    Gives every user the shell C{makeShell()} returns.
    """

    def __init__(self, makeShell):
        self.makeShell = makeShell

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, self.makeShell(), lambda: None


class Session:
    """
    One fuzzed session: the control connection, the data connections the
    fake client opened, and the checks run after every step.
    """

    def __init__(self, testCase, makeShell):
        self.testCase = testCase
        self.reactor = FuzzReactor()
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        self.factory = FTPFactory(
            portal.Portal(_Realm(makeShell),
                          [passwords, checkers.AllowAnonymousAccess()]),
            ServerConfig(idleTimeout=1e7, dataTimeout=5.0,
                         loginFailureDelay=0.5, maxLineLength=4096),
            self.reactor)
        peer = IPv4Address("TCP", PEER, 40000)
        self.protocol = self.factory.buildProtocol(peer)
        self.transport = StringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 21),
            peerAddress=peer)
        self.dataConnections = []
        self.clientSockets = []
        testCase.addCleanup(self._closeClientSockets)
        self.downloaded = b""
        self.protocol.makeConnection(self.transport)

    def _closeClientSockets(self):
        for sock in self.clientSockets:
            sock.close()

    @property
    def closed(self):
        return self.transport.disconnecting

    def connectData(self, host):
        """
        Connect to the newest passive port, as C{host}.
        """
        listening = self.reactor.listeners()
        if not listening:
            return
        ours, theirs = socket.socketpair()
        theirs.setblocking(False)
        self.clientSockets.append(theirs)
        listening[-1].onAccept(ours, (host, 50000))
        if host != PEER:
            self.testCase.assertEqual(ours.fileno(), -1)

    def _collect(self):
        """
        Take in the data connections adopted as transports, and what lean
        (bare socket) connections sent.
        """
        self.dataConnections.extend(self.reactor.adopted)
        del self.reactor.adopted[:]
        for sock in self.clientSockets:
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    self.downloaded += chunk
            except BlockingIOError:
                pass

    def send(self, data):
        for connection, transport in self.dataConnections:
            if connection.lostReason is None and not transport.disconnecting:
                connection.dataReceived(data)

    def _closeData(self, onlyClosing):
        self._collect()
        for connection, transport in self.dataConnections:
            if connection.lostReason is not None:
                continue
            if onlyClosing and not transport.disconnecting:
                continue
            self.downloaded += transport.value()
            transport.clear()
            connection.connectionLost(Failure(error.ConnectionDone()))

    def settle(self):
        """
        Run the session until it waits for the client: fail connects
        (there is no network), close data connections, advance time.
        """
        for _ in range(100):
            while self.reactor.tcpClients:
                factory = self.reactor.tcpClients.pop()[2]
                factory.clientConnectionFailed(
                    None, Failure(error.ConnectionRefusedError()))
            self._closeData(onlyClosing=True)
            if self.protocol._busy is None and not self.protocol._queue:
                return
            self._closeData(onlyClosing=False)
            self.reactor.advance(1)
        self.testCase.fail("session never finished its command")

    def line(self, data):
        """
        Send one command line; check it got a reply, unless closed.
        """
        wasClosed = self.closed
        before = len(self.transport.value())
        self.protocol.dataReceived(data + b"\r\n")
        self.settle()
        new = self.transport.value()[before:]
        if not wasClosed:
            self.testCase.assertTrue(
                re.search(rb"(^|\r\n)\d{3} ", new),
                "no reply to %r: %r" % (data, new))

    def checkState(self):
        """
        Replies are well-formed; the session state is consistent.
        """
        output = self.transport.value()
        self.testCase.assertTrue(output.endswith(b"\r\n"), output[-200:])
        lines = output[:-2].split(b"\r\n")
        openCode = None
        for line in lines:
            self.testCase.assertNotIn(b"\r", line)
            self.testCase.assertNotIn(b"\n", line)
            match = REPLY_LINE.match(line)
            if openCode is None:
                self.testCase.assertTrue(match, "malformed reply %r" % line)
            if match and match.group(1) == (openCode or match.group(1)):
                openCode = match.group(1) if match.group(2) == b"-" else None
        self.testCase.assertIsNone(openCode, "unfinished multi-line reply")
        protocol = self.protocol
        for segment in protocol.session.cwd:
            self.testCase.assertIsInstance(segment, str)
            self.testCase.assertNotIn(segment, ("", ".", ".."))
            self.testCase.assertNotIn("/", segment)
            self.testCase.assertNotIn("\x00", segment)
        if protocol.session.shell is None:
            self.testCase.assertEqual(protocol.session.cwd, ())
        self.testCase.assertIsNone(protocol.transfer)
        self.testCase.assertIsNone(protocol._busy)
        self.testCase.assertLessEqual(self.factory.sessions, 1)

    def run(self, login, actions):
        """
        Play a login and a list of actions, checking after each.
        """
        for data in login:
            self.line(data)
        for action in actions:
            if action == "CONNECT":
                self.connectData(PEER)
            elif action == "STEAL":
                self.connectData("10.6.6.6")
            elif action == "SEND":
                self.send(b"uploaded\r\nbytes\n")
            else:
                self.line(action)
            self.settle()
            self.checkState()

    def end(self):
        """
        Drop the client; nothing may stay scheduled or counted.
        """
        self.protocol.connectionLost(Failure(error.ConnectionLost()))
        self.settle()
        self._closeData(onlyClosing=False)
        self.reactor.advance(0)  # A turn: the login log is written.
        # The listeners the session left in the server's pool are closed
        # once the data timeout has passed.
        self.reactor.advance(self.factory.config.dataTimeout)
        self.testCase.assertEqual(self.factory.listenerPool.listeners, [])
        self.testCase.assertEqual(self.factory.sessions, 0)
        self.testCase.assertEqual(self.reactor.getDelayedCalls(), [])
        self.testCase.assertIsNone(self.protocol._busy)


def _captureCritical(testCase):
    events = []

    def observe(event):
        if event.get("log_level") == LogLevel.critical:
            events.append(event)

    globalLogPublisher.addObserver(observe)
    testCase.addCleanup(globalLogPublisher.removeObserver, observe)
    return events


class MemoryFuzzTests(unittest.TestCase):
    """
    Random sessions against a L{MemoryShell}.
    """

    @FUZZ_SETTINGS
    @given(login=_LOGINS, actions=_ACTIONS)
    def test_neverCrashes(self, login, actions):
        """
        Every line gets a well-formed reply, the state stays valid, nothing
        is logged as critical (an unexpected exception), and a dropped
        session leaves nothing behind.
        """
        critical = _captureCritical(self)
        session = Session(self, lambda: MemoryShell(
            {"/d/f.txt": b"hello\n", "/top.bin": b"\0" * 100}))
        session.run(login, actions)
        session.end()
        self.assertEqual(critical, [])

    def test_wildcards(self):
        """
        A wildcard's matching runs in the session's reactor's thread pool,
        so a listing with one finishes like any other (through the global
        reactor's pool, the harness's session never got its answer: the
        fuzzer found this now and then).
        """
        session = Session(self, lambda: MemoryShell(
            {"/d/f.txt": b"hello\n", "/top.bin": b"\0" * 100}))
        session.run([b"USER alice", b"PASS secret"],
                    [b"STAT *", b"STAT [", b"STAT d/*.txt"])
        replies = session.transport.value()
        self.assertIn(b"top.bin", replies)
        self.assertIn(b"f.txt", replies)
        session.end()


def _snapshot(base, root):
    """
    @return: every path under C{base} but outside C{root}, with its
        contents (files) or C{None} (directories and links).
    """
    result = {}
    for directory, dirs, files in os.walk(base):
        if os.path.realpath(directory).startswith(os.path.realpath(root)):
            dirs[:] = []
            continue
        for name in dirs + files:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    result[path] = f.read()
            else:
                result[path] = None
    return result


class JailFuzzTests(unittest.TestCase):
    """
    Random sessions against a L{FilesystemShell} whose root sits next to a
    secret: nothing outside the root changes or is revealed.
    """

    def setUp(self):
        self.base = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.base)
        self.root = os.path.join(self.base, "root")
        outside = os.path.join(self.base, "outside")
        os.makedirs(os.path.join(self.root, "d"))
        os.makedirs(os.path.join(self.root, "inside"))
        os.makedirs(outside)
        with open(os.path.join(self.base, "sentinel.txt"), "wb") as f:
            f.write(b"TOPSECRET sentinel")
        with open(os.path.join(outside, "hidden-name.txt"), "wb") as f:
            f.write(b"TOPSECRET outside")
        with open(os.path.join(self.root, "top.bin"), "wb") as f:
            f.write(b"inside data\n")
        os.symlink("../outside", os.path.join(self.root, "escape"))
        os.symlink("../sentinel.txt", os.path.join(self.root, "link.txt"))
        os.symlink("d", os.path.join(self.root, "inside", "ok"))
        self.before = _snapshot(self.base, self.root)

    @FUZZ_SETTINGS
    @given(login=_LOGINS, actions=_ACTIONS)
    def test_jailHolds(self, login, actions):
        """
        Whatever the commands, files outside the root are untouched and
        their names and contents never reach the client.
        """
        critical = _captureCritical(self)
        session = Session(self, lambda: FilesystemShell(
            self.root, reactor=session.reactor,
            runner=lambda function, *args: defer.maybeDeferred(
                function, *args)))
        session.run(login, actions)
        session.end()
        self.assertEqual(critical, [])
        self.assertEqual(_snapshot(self.base, self.root), self.before)
        seen = session.transport.value() + session.downloaded
        for secret in (b"TOPSECRET", b"hidden-name", b"sentinel",
                       os.fsencode(self.base)):
            self.assertNotIn(secret, seen)
