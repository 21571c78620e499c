"""
The C{seconds} of a transfer that ended before its data connection was
ready: they run from its command. A download whose data connection came
under C{PROT P} and never finished its TLS handshake, cut by C{ABOR},
said C{0 bytes in 0.000 s} however long it had waited, as did one waiting
for its data connection.
"""

import socket
import threading
import time

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.commandqueue import CommandQueue
from ftpkit.ops import events
from tests.memorysessions import connect, makeFactory, replyCodes
from tests.tlssupport import FTPSTestsMixin

WAITED = 0.5
"""Seconds the client lets its transfer wait before C{ABOR}, from when
the server read its command."""


class BeforeDataSecondsTests(unittest.TestCase):
    """
    On a session of in-memory transports and a clock.
    """

    def test_waitingForConnection(self):
        """
        A C{RETR} cut by C{ABOR} while it waits for its data connection
        lasted from its command to its reply.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock)
        published = []
        factory.events.subscribe(published.append, [events.TRANSFER])
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nPASV\r\n")
        clock.advance(3)
        protocol.dataReceived(b"RETR /top.bin\r\n")
        clock.advance(7)
        protocol.dataReceived(b"ABOR\r\n")
        self.assertEqual(replyCodes(transport)[-2:], ["425", "226"])
        [event] = published
        self.assertTrue(event.beforeData)
        self.assertEqual(event.seconds, 7)


class HandshakeCutSecondsTests(FTPSTestsMixin, unittest.TestCase):
    """
    A real server under TLS, and a client whose data connection never
    makes its handshake.
    """

    def test_cutDuringHandshake(self):
        """
        The transfer event of a C{RETR} whose data connection was cut
        (C{ABOR}) before its TLS handshake says how long its command ran.
        """
        server = self.serve()
        published = []
        server.factory.events.subscribe(published.append, [events.TRANSFER])
        # The wait starts once the server read the RETR: started when the
        # client sent it, a server slower to read it than WAITED (under
        # load) read it with the ABOR, and counted no wait.
        retrRead = threading.Event()
        arrive = CommandQueue.arrive

        def arriving(queue, verb, *args):
            action = arrive(queue, verb, *args)
            if verb == "RETR":
                retrRead.set()
            return action
        self.patch(CommandQueue, "arrive", arriving)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            host, port = ftp.makepasv()
            data = socket.create_connection((host, port), timeout=10)
            try:
                ftp.putcmd("RETR big.bin")
                self.assertTrue(retrRead.wait(60))
                time.sleep(WAITED)
                ftp.putcmd("ABOR")
                replies = [ftp.getline()[:3] for _ in range(3)]
            finally:
                data.close()
            ftp.quit()
            return replies

        def check(replies):
            self.assertIn("226", replies)
            [event] = published
            self.assertEqual(event.bytes, 0)
            self.assertGreaterEqual(event.seconds, WAITED * 0.9)
        return self.inThread(client).addCallback(check)
