"""
The end of a drain comes on a turn of the reactor of its own: the
C{Deferred} of L{Drain.stopService} fired inside the call that closed the
last session, and the reactor's shutdown, waiting on it, went on from
there, closing every connection (C{disconnectAll}) while one was still
half way through its own C{connectionLost}. A TLS data connection whose
client closed as the grace ended (C{readConnectionLost}) was then closed
twice, the second close finding its socket gone: an C{AttributeError}
traceback in the log, about one shutdown in three with stalled clients.
"""

from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.ops.drain import SHUTTING_DOWN, Drain
from tests.memorysessions import connect, makeFactory, replyCodes


class DrainEndTests(unittest.TestCase):
    """
    L{Drain.stopService} on a session of an
    L{ftpkit.control.server.FTPFactory} on an in-memory transport.
    """

    def test_endsOnALaterTurn(self):
        """
        The last session's connection ending does not fire the drain's
        C{Deferred} from within its C{connectionLost}; the next turn of
        the reactor does.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock)
        session, transport = connect(factory)
        session.dataReceived(b"USER alice\r\nPASS secret\r\n")
        drained = Drain(factory, 30, clock).stopService()
        self.assertEqual(replyCodes(transport)[-1], "421")
        ended = []
        drained.addCallback(ended.append)
        session.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(ended, [])
        clock.advance(0)
        self.assertEqual(ended, [None])

    def test_noSessions(self):
        """
        Without sessions too, the drain ends on a later turn.
        """
        clock = MemoryReactorClock()
        ended = []
        Drain(makeFactory(clock), 30, clock).stopService().addCallback(
            ended.append)
        self.assertEqual(ended, [])
        clock.advance(0)
        self.assertEqual(ended, [None])


class DrainHeldTests(unittest.TestCase):
    """
    A connection waiting over a connection limit
    (L{ftpkit.control.overlimitholds}) when the drain begins.
    """

    def test_heldRefused(self):
        """
        It gets the C{421} of a client connecting during the drain at
        once and is closed, not admitted when the drain closes an idle
        session of its client: it had its session started, then cut
        without a reply, and an upload it began was lost.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxConnectionsPerIP=1)
        session, _ = connect(factory)
        session.dataReceived(b"USER alice\r\nPASS secret\r\n")
        held, heldTransport = connect(factory)
        held.dataReceived(b"USER alice\r\nPASS secret\r\nPWD\r\n")
        Drain(factory, 30, clock).stopService()
        self.assertEqual(heldTransport.value(),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")
        self.assertTrue(heldTransport.disconnecting)
        session.connectionLost(Failure(ConnectionDone()))
        held.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(heldTransport.value(),
                         b"421 " + SHUTTING_DOWN.encode() + b"\r\n")
        self.assertEqual(factory.sessions, 0)
