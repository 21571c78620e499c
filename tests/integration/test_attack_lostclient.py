"""
A client that sends a wrong password and more pipelined commands than a
session queues, then hangs up: reading was paused, so its hang-up waited
unread behind the commands, and the session stayed (in C{CLOSE-WAIT})
for the failed login's delay and every queued command. It now ends at
once (L{ftpkit.control.hangup}), its queued commands and the delayed
answer dropped, the failure still counted for its address.
"""

import socket

from twisted.internet import defer, task
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import startServing
from tests.tlssupport import Certificates, clientContext

DELAY = 30.0
"""The failed login's delay: the session must end long before."""

PIPELINED = b"USER alice\r\nPASS wrong\r\n" + b"NOOP\r\n" * 500
"""What the client sends before it hangs up."""


class HangingUpAfterFailureTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client pipelining past C{maxPendingCommands} behind a failed login,
    then closing.
    """

    timeout = 60

    replies = [220, 331]
    """The replies the client gets: those before the failed login's."""

    def setUp(self):
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginFailureDelay=DELAY), users={"alice": "secret"})
        self.seen = []
        self.server.factory.events.subscribe(
            self.seen.append,
            [events.SESSION_ENDED, events.LOGIN_FAILED, events.REPLY])

    def hangUp(self):
        """
        Send a wrong password and 500 C{NOOP}s, then close (blocking).
        """
        client = RawClient(self.server.port)
        client.sock.sendall(PIPELINED)
        client.close()

    @defer.inlineCallbacks
    def test_sessionEnds(self):
        """
        The session ends within a few seconds: once, with one failed login
        counted for the address, and neither the delayed C{530} nor the
        queued C{NOOP}s answered.
        """
        yield self.inThread(self.hangUp)
        factory = self.server.factory
        for _ in range(500):
            if factory.sessions == 0:
                break
            yield task.deferLater(self.server.reactor, 0.01, lambda: None)
        self.assertEqual(factory.sessions, 0)
        kinds = [event.kind for event in self.seen]
        self.assertEqual(kinds.count(events.SESSION_ENDED), 1)
        self.assertEqual(kinds.count(events.LOGIN_FAILED), 1)
        codes = [event.code for event in self.seen
                 if event.kind == events.REPLY]
        self.assertEqual(codes, self.replies)
        # A reconnecting guesser still waits: the failure counts.
        self.assertEqual(factory.loginFailures.record(
            "127.0.0.1", self.server.reactor.seconds()), 2)


class TLSHangingUpTests(Certificates, HangingUpAfterFailureTests):
    """
    The same after C{AUTH TLS}: the session's socket is under the TLS
    layer, and the client's commands and hang-up come through it.
    """

    replies = [220, 234, 331]

    def setUp(self):
        self.makeCertificates()
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginFailureDelay=DELAY,
                         tlsContextFactory=makeContextFactory(self.both)),
            users={"alice": "secret"})
        self.seen = []
        self.server.factory.events.subscribe(
            self.seen.append,
            [events.SESSION_ENDED, events.LOGIN_FAILED, events.REPLY])

    def hangUp(self):
        """
        Secure the control connection, send a wrong password and 500
        C{NOOP}s through it, then close (blocking).
        """
        client = RawClient(self.server.port)
        self.assertTrue(client.command("AUTH TLS").startswith(b"234"))
        secured = clientContext().wrap_socket(client.sock)
        secured.sendall(PIPELINED)
        secured.close()


class WorkersHangingUpTests(unittest.TestCase):
    """
    The same under C{--workers 2}: the session, in a worker, ends once
    its client hung up.
    """

    timeout = 120
    workers = 2

    def test_sessionEnds(self):
        """
        A client pipelining failed logins and commands, then hanging up,
        has its session ended for it (the worker logs it) instead of
        running them all.
        """
        server = startServing(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous"],
            self.workers)
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.sock.sendall(b"USER alice\r\nPASS wrong\r\n" * 3
                            + b"NOOP\r\n" * 500)
        # A half-close, the socket kept: closed with replies unread, the
        # client's kernel resets the connection at the next reply, which
        # also ends the session, but then without the line looked for
        # (no logout line for a session that never logged in).
        client.sock.shutdown(socket.SHUT_WR)
        server.waitForLog("hung up with")


class ProcessHangingUpTests(WorkersHangingUpTests):
    """
    The same in one server process, whose listening port accepts control
    connections as bare C{_socket.socket}s
    (L{ftpkit.compat.eventloop.acceptBareOn}): the hang-up watch found no
    socket under such a session (L{ftpkit.control.hangup.socketOf}), and
    the session ran every command it queued.
    """

    workers = None
