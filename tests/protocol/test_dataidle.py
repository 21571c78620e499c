"""
A passive data connection the client opened that no transfer uses is
closed C{dataTimeout} seconds after it came, on a L{MemoryReactorClock}
(the listener is a real one on 127.0.0.1). It stayed open until the
session ended: with no transfer command, or after a refused one.
"""

import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.data.connection import LeanConnection
from ftpkit.errors import CannotOpenDataConnection
from tests.datachannels import listeningChannel
from tests.memorysessions import loggedInLoopback, makeFactory, replyCodes


def closedByServer(client):
    """
    @param client: a connected client socket.
    @return: whether the server has closed its end (the client reads the
        end of the stream, or a reset); C{False} while it is open.
    """
    client.setblocking(False)
    try:
        return client.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


class ChannelIdleTests(unittest.TestCase):
    """
    L{ftpkit.data.channel.DataChannel}: the client's passive connection,
    kept before any transfer command (as the late watch of the theft
    alarm, or the reader under C{PROT P}, accepts it), lives C{timeout}
    seconds from its arrival unless a transfer takes it.
    """

    def setUp(self):
        self.clock, self.channel, self.port = listeningChannel(self)

    def arrive(self):
        """
        @return: a client's connection to the listener, accepted and kept
            by the channel.
        """
        client = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(client.close)
        self.channel.acceptQueued()
        self.assertIsNone(self.channel.listener)
        return client

    def test_unusedClosed(self):
        """
        Kept unused for C{timeout} seconds, the connection is closed, and
        a transfer asking for it then fails (C{425}).
        """
        client = self.arrive()
        self.clock.advance(7.9)
        self.assertFalse(closedByServer(client))
        self.clock.advance(0.1)
        self.assertTrue(closedByServer(client))
        self.assertFalse(self.channel.isSetUp)
        self.failureResultOf(self.channel.connect(None, lean=True),
                             CannotOpenDataConnection)

    def test_slowClientServed(self):
        """
        A client that connects late in the listener's time and sends its
        command less than C{timeout} seconds later still gets its
        connection, though the listener's own time has run out.
        """
        self.clock.advance(7)
        client = self.arrive()
        self.clock.advance(7.9)
        self.assertFalse(closedByServer(client))
        connection = self.channel.connecting(None, lean=True)
        self.assertIsInstance(connection, LeanConnection)
        connection.abort()

    def test_nextListenForgetsIt(self):
        """
        A new C{PASV} closes the kept connection at once, and its listener
        is given the whole timeout.
        """
        client = self.arrive()
        self.clock.advance(5)
        self.channel.listen()
        self.assertTrue(closedByServer(client))
        self.clock.advance(7.9)
        self.assertIsNotNone(self.channel.listener)
        self.clock.advance(0.1)
        self.assertIsNone(self.channel.listener)


class SessionIdleTests(unittest.TestCase):
    """
    A session whose client opened its passive connection and sent no
    transfer command for it, or one that was refused: the connection is
    closed after C{dataTimeout}, and the next transfer command gets
    C{425}.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, dataTimeout=5)
        self.protocol, self.transport = loggedInLoopback(self,
                                                         self.factory)

    def passiveConnection(self):
        """
        @return: the client's connection to a C{PASV}'s listener, kept by
            the session's channel.
        """
        self.protocol.dataReceived(b"PASV\r\n")
        reply = self.transport.value().split(b"\r\n")[-2]
        self.assertTrue(reply.startswith(b"227"), reply)
        numbers = reply.rsplit(b"(", 1)[1].rstrip(b")").split(b",")
        self.transport.clear()
        client = socket.create_connection(
            ("127.0.0.1", int(numbers[4]) * 256 + int(numbers[5])))
        self.addCleanup(client.close)
        self.protocol.dataChannel.acceptQueued()
        return client

    def test_noTransferCommand(self):
        """
        No transfer command: closed after C{dataTimeout}; C{RETR} then
        gets C{425}.
        """
        client = self.passiveConnection()
        self.clock.advance(5)
        self.assertTrue(closedByServer(client))
        self.protocol.dataReceived(b"RETR /top.bin\r\n")
        self.assertEqual(replyCodes(self.transport), ["425"])

    def test_refusedTransferCommand(self):
        """
        A transfer command refused before it used the connection
        (C{550}) leaves it unused: closed after C{dataTimeout} too.
        """
        client = self.passiveConnection()
        self.protocol.dataReceived(b"RETR /no-such-file\r\n")
        self.assertEqual(replyCodes(self.transport), ["550"])
        self.clock.advance(4)
        self.assertFalse(closedByServer(client))
        self.clock.advance(1)
        self.assertTrue(closedByServer(client))
