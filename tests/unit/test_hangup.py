"""
Tests for L{ftpkit.control.hangup}: telling that a client hung up while
what it sent before is unread.
"""

import _socket
import socket
import sys
import time

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.hangup import (
    HangupWatch,
    LeftLines,
    peerHungUp,
    quitAmong,
    socketOf,
)


class PeerHungUpTests(unittest.TestCase):
    """
    L{peerHungUp} on a loopback TCP connection holding unread bytes.
    """

    if not sys.platform.startswith("linux"):
        skip = "TCP_INFO's states are Linux's"

    def setUp(self):
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        self.client = socket.create_connection(listener.getsockname())
        self.addCleanup(self.client.close)
        self.server, _ = listener.accept()
        self.addCleanup(self.server.close)
        self.client.sendall(b"NOOP\r\n" * 100)

    def waitFor(self, condition):
        for _ in range(200):
            if condition():
                return True
            time.sleep(0.01)
        return False

    def test_connected(self):
        """
        A client still connected has not hung up.
        """
        self.assertFalse(peerHungUp(self.server))

    def test_ended(self):
        """
        A client that closed has, though its bytes are unread.
        """
        self.client.close()
        self.assertTrue(self.waitFor(lambda: peerHungUp(self.server)))

    def test_watchTellsBetweenLooks(self):
        """
        L{HangupWatch.clientGone} asks the socket whenever asked, not
        only at the watch's looks.
        """
        watch = HangupWatch(Clock(), self.server, lambda: None)
        self.addCleanup(watch.stop)
        self.assertFalse(watch.clientGone())
        self.client.close()
        self.assertTrue(self.waitFor(watch.clientGone))

    def test_closedSocket(self):
        """
        A socket closed here cannot tell: C{False}.
        """
        self.server.close()
        self.assertFalse(peerHungUp(self.server))


class SocketOfTests(unittest.TestCase):
    """
    L{socketOf} finds the socket under layers of transports.
    """

    def test_layers(self):
        """
        The first handle that is a socket, through C{transport}.
        """
        sock = socket.socket()
        self.addCleanup(sock.close)

        class Layer:
            def __init__(self, handle, below):
                self.handle, self.transport = handle, below

            def getHandle(self):
                return self.handle

        self.assertIs(socketOf(Layer(object(), Layer(sock, None))), sock)

    def test_startedTLS(self):
        """
        A TCP connection under C{AUTH TLS}, whose C{getHandle} is the TLS
        layer's (the TLS connection, no socket) and which has no
        C{transport}: its own C{socket}. It had none, so that a session
        secured so was never watched.
        """
        sock = socket.socket()
        self.addCleanup(sock.close)

        class Started:
            socket = sock

            def getHandle(self):
                return object()

        self.assertIs(socketOf(Started()), sock)

    def test_bareSocket(self):
        """
        A control connection accepted as a bare C{_socket.socket}
        (L{ftpkit.compat.eventloop.acceptBareOn}, as every listening port
        of the server accepts them), not a L{socket.socket}: its socket.
        It had none, so that no session was watched, and an upload could
        not look at its session's input
        (L{ftpkit.control.pendinginput}).
        """
        sock = _socket.socket()
        self.addCleanup(sock.close)

        class Server:
            socket = sock

            def getHandle(self):
                return sock

        self.assertIs(socketOf(Server()), sock)

    def test_none(self):
        """
        C{None} when there is no socket (a test's string transport).
        """
        self.assertIsNone(socketOf(object()))


class QuitAmongTests(unittest.SynchronousTestCase):
    """
    L{quitAmong} finds a C{QUIT} line in what a client sent before it
    hung up.
    """

    def test_found(self):
        """
        A whole C{QUIT} line, in any case, CRLF or LF, is found; nothing
        after it matters.
        """
        for data in [b"NOOP\r\nQUIT\r\n", b"quit\n", b"PWD\r\nQuIt\r\nX"]:
            self.assertEqual(quitAmong(b"", data, 100), (True, None), data)

    def test_acrossReads(self):
        """
        A line cut between two reads is kept, and found whole with the
        next.
        """
        self.assertEqual(quitAmong(b"", b"NOOP\r\nQU", 100),
                         (False, b"QU"))
        self.assertEqual(quitAmong(b"QU", b"IT\r\n", 100), (True, None))

    def test_telnet(self):
        """
        Telnet commands inside it are stripped, as the session does.
        """
        self.assertEqual(quitAmong(b"", b"QU\xff\xf1IT\r\n", 100),
                         (True, None))

    def test_notQuit(self):
        """
        C{QUIT} with an argument (a C{501}), a name holding C{quit}, an
        unfinished C{QUIT}: none is one.
        """
        self.assertEqual(quitAmong(b"", b"QUIT now\r\nDELE quit\r\nQUIT",
                                   100), (False, b"QUIT"))

    def test_overLong(self):
        """
        After an over-long line (the session would have closed there), or
        within one still unfinished, nothing matters.
        """
        self.assertEqual(quitAmong(b"", b"X" * 101 + b"\nQUIT\n", 100),
                         (False, None))
        self.assertEqual(quitAmong(b"", b"NOOP\n" + b"X" * 101, 100),
                         (False, None))
        self.assertEqual(quitAmong(b"", b"N" * 101 + b"\n", 100),
                         (False, None))


class LeftLinesTests(unittest.SynchronousTestCase):
    """
    L{LeftLines} offers the commands before a C{QUIT} to C{keep}, then
    only looks for the C{QUIT}.
    """

    def read(self, pieces, room=10, maxLength=100):
        """
        @param pieces: the bytes read, in pieces.
        @param room: how many commands C{keep} takes.
        @param maxLength: the longest line.
        @return: the L{LeftLines}, and the commands kept.
        """
        kept = []

        def keep(verb, argument):
            if len(kept) == room:
                return False
            kept.append((verb, argument))
            return True

        lines = LeftLines(maxLength, keep)
        for piece in pieces:
            if lines.read(piece):
                break
        return lines, kept

    def test_commandsBeforeQuit(self):
        """
        The commands before the C{QUIT} are kept in order, lines cut
        across reads too; none after it.
        """
        lines, kept = self.read([b"MKD a\r\nRNFR b\r", b"\nRNTO c\r\nQU",
                                 b"IT\r\nDELE d\r\n"])
        self.assertEqual((lines.quit, lines.dropped, lines.done),
                         (True, False, True))
        self.assertEqual(kept, [("MKD", "a"), ("RNFR", "b"), ("RNTO", "c")])

    def test_dropped(self):
        """
        Once C{keep} refuses one, the rest are dropped; the C{QUIT} is
        still found, in a later read too.
        """
        lines, kept = self.read([b"MKD a\r\nMKD b\r\nMKD c\r\n",
                                 b"MKD d\r\nQUIT\r\n"], room=1)
        self.assertEqual((lines.quit, lines.dropped), (True, True))
        self.assertEqual(kept, [("MKD", "a")])

    def test_unended(self):
        """
        A last C{QUIT} without its line end is no command.
        """
        lines, kept = self.read([b"MKD a\r\nQUIT"])
        self.assertEqual((lines.quit, lines.done), (False, False))

    def test_overLong(self):
        """
        An over-long line ends the reading (the session would have
        closed there), whether commands are kept or only looked through.
        """
        for room in (10, 0):
            lines, kept = self.read([b"MKD a\r\n" + b"x" * 20 + b"\r\n",
                                     b"QUIT\r\n"], room=room, maxLength=10)
            self.assertEqual((lines.quit, lines.done), (False, True))

    def test_httpRequest(self):
        """
        An HTTP request ends the reading: the FTP commands a web page put
        in its body never run, a C{QUIT} among them is not honoured.
        """
        lines, kept = self.read([b"POST /x HTTP/1.1\r\n\r\nMKD a\r\n"
                                 b"QUIT\r\n"])
        self.assertEqual((lines.quit, lines.done, kept), (False, True, []))
