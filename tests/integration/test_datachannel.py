"""
Data connections over real loopback sockets: strangers racing the client
for a passive port after its transfer command.
"""

import os
import socket

from twisted.internet import defer, reactor
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.passive import PassiveListener
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, pasvAddress
from tests.logevents import captureWarnings
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.sockreads import readToEnd
from tests.strangers import strangerReads


def epsvAddress(ftp):
    """
    @return: C{(host, port)} from an EPSV reply (the control host).
    """
    reply = ftp.sendcmd("EPSV")
    return ftp.sock.getpeername()[0], int(reply.split("|")[-2])


def listenerWatched():
    """
    @return: whether the reactor watches a passive listener (a transfer
        command is waiting for its data connection).
    """
    return any(isinstance(reader, PassiveListener)
               for reader in reactor.getReaders())


def thiefRefused(host, port):
    """
    Connect to a passive port from 127.0.0.2 and wait until the server
    ends that connection (blocking).

    @return: what the thief received (C{b""} when it was refused).
    """
    return strangerReads(host, port, "127.0.0.2")


class LateThiefTests(LoopbackServerMixin, unittest.TestCase):
    """
    A stranger connecting to the passive port while the transfer command
    waits for the client's connection is refused, and the client's own
    connection still carries the transfer.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "hello.txt"), "wb") as f:
            f.write(b"hello\n")
        self.warnings = captureWarnings(self)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=20))

    def login(self):
        return ftplibLogin(self, self.server.port, timeout=10, binary=True)

    @defer.inlineCallbacks
    def transferPastThief(self, passive, command, move, thief=True):
        """
        Set up a passive connection, send C{command}, let a thief connect
        once the server waits for the data connection, then connect as the
        client and C{move} the data.

        @param passive: L{pasvAddress} or L{epsvAddress}.
        @param command: the transfer command.
        @param move: called with the client's data socket; returns what it
            received.
        @return: a Deferred firing with what the thief received, the
            preliminary and final replies, what C{move} returned, and the
            next transfer's data.
        """
        def start():
            ftp = self.login()
            host, port = passive(ftp)
            ftp.putcmd(command)
            return ftp, host, port

        ftp, host, port = yield self.inThread(start)
        watched = yield waitFor(listenerWatched)
        self.assertTrue(watched)

        def finish():
            stolen = thiefRefused(host, port) if thief else None
            with socket.create_connection((host, port), timeout=10) as data:
                preliminary = ftp.getresp()
                moved = move(data)
            final = ftp.voidresp()
            again = []
            ftp.retrbinary("RETR hello.txt", again.append)
            ftp.quit()
            return (stolen, preliminary[:3], final[:3], moved,
                    b"".join(again))

        result = yield self.inThread(finish)
        return result

    @staticmethod
    def readAll(data):
        return readToEnd(data)

    def assertThiefLogged(self):
        self.assertTrue(
            [text for text in self.warnings
             if "127.0.0.2" in text and "passive" in text], self.warnings)

    @defer.inlineCallbacks
    def test_retrPASV(self):
        """
        PASV, RETR, a thief: the thief is refused, the client gets the file
        (and the port, back in the pool, serves the next transfer).
        """
        result = yield self.transferPastThief(
            pasvAddress, "RETR hello.txt", self.readAll)
        self.assertEqual(result,
                         (b"", "150", "226", b"hello\n", b"hello\n"))
        self.assertThiefLogged()

    @defer.inlineCallbacks
    def test_connectAfterCommand(self):
        """
        Without a thief, a client that connects after its transfer command
        (accepted by the reactor, not by the command) gets its file, and
        the listener goes to the pool still open: the next PASV gets it,
        and it works.
        """
        result = yield self.transferPastThief(
            pasvAddress, "RETR hello.txt", self.readAll, thief=False)
        self.assertEqual(result,
                         (None, "150", "226", b"hello\n", b"hello\n"))

    @defer.inlineCallbacks
    def test_storEPSV(self):
        """
        EPSV, STOR, a thief: the thief is refused, the upload arrives.
        """
        def send(data):
            data.sendall(b"uploaded")
            data.shutdown(socket.SHUT_WR)
            return self.readAll(data)

        result = yield self.transferPastThief(
            epsvAddress, "STOR up.bin", send)
        self.assertEqual(result, (b"", "150", "226", b"", b"hello\n"))
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), b"uploaded")
        self.assertThiefLogged()

    @defer.inlineCallbacks
    def test_listEPSV(self):
        """
        EPSV, LIST, a thief: the thief is refused, the client gets the
        listing.
        """
        stolen, preliminary, final, listing, again = (
            yield self.transferPastThief(epsvAddress, "LIST", self.readAll))
        self.assertEqual((stolen, preliminary, final, again),
                         (b"", "150", "226", b"hello\n"))
        self.assertTrue(listing.endswith(b" hello.txt\r\n"), listing)
        self.assertThiefLogged()

    @defer.inlineCallbacks
    def test_nlstPASV(self):
        """
        PASV, NLST, a thief: likewise.
        """
        result = yield self.transferPastThief(
            pasvAddress, "NLST", self.readAll)
        self.assertEqual(result,
                         (b"", "150", "226", b"hello.txt\r\n", b"hello\n"))
        self.assertThiefLogged()


BIG = 32 << 20
"""A download big enough to be running when ABOR arrives."""


class AbortClosesInOrderTests(LoopbackServerMixin, unittest.TestCase):
    """
    ABOR during a download ends the data connection with a FIN, not a
    reset: a client still reading it sees the end of the data.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"\n" * BIG)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=20))

    def abortWhileReading(self, kind, passive=True):
        """
        RETR big.bin in TYPE C{kind}, read some, send ABOR, then read the
        data connection to its end (blocking).

        @param passive: EPSV if true, else EPRT (the server connects).
        @return: how the data connection ended (C{"eof"} or the error's
            name) and the two replies' codes.
        """
        ftp = ftplibLogin(self, self.server.port, timeout=10)
        ftp.voidcmd("TYPE " + kind)
        if passive:
            host, port = epsvAddress(ftp)
            data = socket.create_connection((host, port), timeout=10)
            ftp.putcmd("RETR big.bin")
        else:
            listening = socket.socket()
            listening.bind(("127.0.0.1", 0))
            listening.listen(1)
            ftp.voidcmd("EPRT |1|127.0.0.1|%d|" % listening.getsockname()[1])
            ftp.putcmd("RETR big.bin")
            data, _ = listening.accept()
            listening.close()
            data.settimeout(10)
        with data:
            preliminary = ftp.getmultiline()
            data.recv(65536)
            ftp.putcmd("ABOR")
            try:
                while data.recv(1 << 20):
                    pass
                ended = "eof"
            except OSError as e:
                ended = type(e).__name__
        first = ftp.getmultiline()
        second = ftp.getmultiline() if first.startswith("426") else first
        ftp.close()
        return ended, preliminary[:3], first[:3], second[:3]

    @defer.inlineCallbacks
    def check(self, kind, passive=True):
        result = yield self.inThread(self.abortWhileReading, kind, passive)
        self.assertEqual(result, ("eof", "150", "426", "226"))

    def test_binaryPassive(self):
        """
        A TYPE I passive download (C{sendfile} on the bare socket).
        """
        return self.check("I")

    def test_asciiPassive(self):
        """
        A TYPE A download (through a Twisted transport).
        """
        return self.check("A")

    def test_binaryActive(self):
        """
        A TYPE I active download (C{sendfile} under a Twisted transport).
        """
        return self.check("I", passive=False)


class AbortAfterLossTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.data.connection.DataConnection.abort} once the connection has ended.
    """

    def test_noop(self):
        """
        Aborting an ended connection leaves its transport alone: a TLS
        transport has dropped its TLS connection by then, and aborting it
        raised C{AttributeError} ("Unhandled Error" in the log when a
        session whose TLS data connection had ended was closed).
        """
        from twisted.internet.error import ConnectionDone
        from twisted.internet.task import Clock
        from twisted.python.failure import Failure

        from ftpkit.data.connection import DataConnection

        class Transport:
            aborted = 0

            def abortConnection(self):
                self.aborted += 1

        connection = DataConnection(lambda made: None, Clock(), 30,
                                    lambda: None)
        connection.transport = Transport()
        connection.connectionLost(Failure(ConnectionDone()))
        connection.abort()
        self.assertEqual(connection.transport.aborted, 0)
