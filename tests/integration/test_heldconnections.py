"""
Connections over C{--max-connections-per-ip} that wait, unread, for a
session of their client to end (L{ftpkit.control.overlimitholds} in one
process, L{ftpkit.deploy.overlimit} in the acceptor of C{--workers}),
against a real server (C{python -m ftpkit}), in one process and under
C{--workers 2}:

  - C{SIGTERM} while one waits: it gets the C{421} of a client that
    connects during the drain at once. In one process the drain closing
    the client's idle session let it in (C{220}, its commands answered,
    then closed without a C{421}; an upload it began was lost when the
    process ended); the acceptor closed it unanswered.
  - A connection its client closed while it waited: the client's next
    connection waits in its place, and gets C{220} once the session
    ends; it got C{421} at once, the one waiting slot of its client
    taken by the connection it had left (unread, its end unseen).
"""

import select
import signal
import socket

from twisted.trial import unittest

from ftpkit.ops.drain import SHUTTING_DOWN
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_listeners import serveProxied
from tests.serverprocess import holdsAny, serverEnd, startServer, waitInReactors
from tests.sockreads import readToEnd
from tests.tcptable import peerClosedBy


def readAfterTerm(testCase, server, port, sent, held):
    """
    Connect to a server, send some bytes, wait until the server holds the
    connection (accepted, every reactor idle), tell it C{SIGTERM} and read
    the connection to its end.

    @param testCase: the running test (which closes the connection).
    @param server: the L{tests.serverprocess.ServerProcess}.
    @param port: the port to connect to on C{127.0.0.1}.
    @param sent: the bytes to send.
    @param held: what is awaited, for the timeout's message.
    @return: what the connection read until the server closed it.
    """
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    testCase.addCleanup(connection.close)
    connection.sendall(sent)
    pid = server.process.pid
    server.waitFor(lambda: holdsAny(pid, serverEnd(connection))
                   and waitInReactors(pid), held)
    server.signal(signal.SIGTERM)
    return readToEnd(connection)


class HeldWhenDrainingTests(unittest.TestCase):
    """
    A client logged in at its limit, and its second connection waiting
    (its commands sent), when the server is told C{SIGTERM}.
    """

    timeout = 120

    def drainWithOneHeld(self, *options):
        """
        Start a server allowing one session an address, log in, connect
        again and send a login and C{PWD}, wait until the server holds
        that connection, then C{SIGTERM}.

        @param options: more of the server's options.
        @return: what the waiting connection read until the server
            closed it.
        """
        server, _ = startServer(self, "--max-connections-per-ip", "1",
                                *options)
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        # Kept until the end: a client let go of is closed.
        session = ftplibLogin(self, server.port)
        read = readAfterTerm(
            self, server, server.port, b"USER alice\r\nPASS secret\r\nPWD\r\n",
            "the server holding the connection over the limit")
        session.close()
        return read

    def test_oneProcess(self):
        """
        In one process: C{421}, not admitted by the end of the session
        the drain closed.
        """
        self.assertEqual(self.drainWithOneHeld(),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")

    def test_workers(self):
        """
        Under C{--workers 2}: C{421} from the acceptor, not closed
        unanswered.
        """
        self.assertEqual(self.drainWithOneHeld("--workers", "2"),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")


class HeldLeftTests(unittest.TestCase):
    """
    A client logged in at its limit opens a connection, closes it while
    it waits, opens another, then ends its session.
    """

    timeout = 120

    def heldAfterLeft(self, *options):
        """
        @param options: more of the server's options.
        @return: the first line the second connection read.
        """
        server, _ = startServer(self, "--max-connections-per-ip", "1",
                                *options)
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        session = ftplibLogin(self, server.port)
        pid = server.process.pid

        def heldNow(sock):
            # Or answered at once (a refusal, which the test then reads).
            server.waitFor(lambda: select.select([sock], [], [], 0)[0]
                           or (holdsAny(pid, serverEnd(sock))
                               and waitInReactors(pid)),
                           "the server holding a connection over the limit")

        left = socket.create_connection(("127.0.0.1", server.port),
                                        timeout=30)
        self.addCleanup(left.close)
        heldNow(left)
        closed = peerClosedBy(left)
        left.close()
        server.waitFor(closed, "the server's end seeing the client's")
        again = socket.create_connection(("127.0.0.1", server.port),
                                         timeout=30)
        self.addCleanup(again.close)
        heldNow(again)
        session.quit()
        with again.makefile("rb") as lines:
            return lines.readline()

    def test_oneProcess(self):
        """
        In one process: C{220} once the session ended.
        """
        self.assertEqual(self.heldAfterLeft()[:4], b"220 ")

    def test_workers(self):
        """
        Under C{--workers 2}: likewise, from a worker.
        """
        self.assertEqual(self.heldAfterLeft("--workers", "2")[:4], b"220 ")


class HeaderWaitWhenDrainingTests(unittest.TestCase):
    """
    A connection to a C{haproxy:} listener of C{--workers 2} whose PROXY
    header has not all come when the server is told C{SIGTERM}.
    """

    timeout = 120

    def test_refused(self):
        """
        It gets the drain's C{421} from the acceptor, not a close
        without a word.
        """
        server, proxied = serveProxied(self, "--workers", "2")
        server.waitForLog(" ready\n", 2)
        self.assertEqual(
            readAfterTerm(self, server, proxied, b"PROXY TCP4 203.0.113.7 ",
                          "the acceptor waiting for the PROXY header"),
            b"421 " + SHUTTING_DOWN.encode() + b"\r\n")
