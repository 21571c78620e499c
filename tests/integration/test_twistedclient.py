"""
Twisted's own FTP client (L{twisted.protocols.ftp.FTPClient}) against a
real server: it only knows PASV (and PORT), never EPSV.
"""

import os

from twisted.internet import defer, reactor
from twisted.internet.endpoints import (
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    connectProtocol,
)
from twisted.internet.protocol import Protocol
from twisted.protocols.basic import LineReceiver
from twisted.protocols.ftp import CommandFailed, FTPClient
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ipv6 import hasIPv6
from tests.polling import waitFor
from tests.scratch import scratchDirectory


class _Lines(LineReceiver):
    """
    Collects the lines of a listing; C{deferred} fires when it ends.
    """

    delimiter = b"\r\n"

    def __init__(self):
        self.lines = []
        self.deferred = defer.Deferred()

    def lineReceived(self, line):
        self.lines.append(line)

    def connectionLost(self, reason):
        self.deferred.callback(self.lines)


class _Bytes(Protocol):
    """
    Collects a download.
    """

    def __init__(self):
        self.chunks = []

    def dataReceived(self, data):
        self.chunks.append(data)


class TwistedClientTests(LoopbackServerMixin, unittest.TestCase):
    """
    L{FTPClient} in passive mode.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "hello.txt"), "wb") as f:
            f.write(b"hello\n")

    def serve(self, interface):
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0),
                                       interface=interface)

    @defer.inlineCallbacks
    def connect(self, endpoint):
        client = yield connectProtocol(
            endpoint, FTPClient("alice", "secret", passive=1))
        self.addCleanup(client.transport.loseConnection)
        yield client.pwd()  # Logged in by then.
        return client

    @defer.inlineCallbacks
    def test_ipv4(self):
        """
        Over IPv4 it lists, downloads and uploads.
        """
        self.serve("127.0.0.1")
        client = yield self.connect(
            TCP4ClientEndpoint(reactor, "127.0.0.1", self.server.port))
        names = _Lines()
        yield client.nlst(".", names)
        self.assertEqual(names.lines, [b"hello.txt"])
        download = _Bytes()
        yield client.retrieveFile("hello.txt", download)
        self.assertEqual(b"".join(download.chunks), b"hello\n")
        consumer, done = client.storeFile("up.txt")
        sender = yield consumer
        sender.write(b"uploaded\n")
        sender.finish()
        yield done
        with open(os.path.join(self.root, "up.txt"), "rb") as f:
            self.assertEqual(f.read(), b"uploaded\n")
        yield client.quit()

    @defer.inlineCallbacks
    def test_ipv6PasvRefused(self):
        """
        Over IPv6 its PASV gets RFC 2428's 522 pointing at EPSV at once (a
        permanent refusal, not a 425 to retry), so it fails cleanly: the
        session ends with no error logged (the LIST it queued behind PASV
        arrives as it closes the connection).
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve("::1")
        client = yield self.connect(
            TCP6ClientEndpoint(reactor, "::1", self.server.port))
        failure = yield self.assertFailure(client.list(".", _Lines()),
                                           Exception)
        reasons = [arg for arg in failure.args
                   if getattr(arg, "check", None)
                   and arg.check(CommandFailed)]
        self.assertEqual(len(reasons), 1, failure)
        reply = reasons[0].value.args[0][0]
        self.assertTrue(reply.startswith("522 "), reply)
        self.assertIn("EPSV", reply)
        ended = yield waitFor(lambda: self.server.factory.sessions == 0)
        self.assertTrue(ended)
