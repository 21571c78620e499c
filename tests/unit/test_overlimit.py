"""
L{OverLimitWaits}: under C{--workers}, connections over a limit wait a
moment for a session to end; and the acceptor's L{SpareDescriptor}.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.deploy.fdlimit import SpareDescriptor
from ftpkit.deploy.overlimit import MOST_WAITING, RELEASE_WAIT, OverLimitWaits
from ftpkit.deploy.waiting import WaitingConnections


class Connection:
    """
    An accepted socket, as far as L{OverLimitWaits} uses one.

    @ivar closed: whether it was closed.
    @ivar gone: whether its client ended it (unread).
    """

    closed = False
    gone = False

    def close(self):
        self.closed = True


class OverLimitWaitsTests(unittest.SynchronousTestCase):
    """
    Held until a session ends or the wait is over, oldest first.
    """

    def setUp(self):
        self.clock = Clock()
        self.room = 0
        self.admitted = []
        self.refused = []
        self.waits = OverLimitWaits(self.clock, self.admit, self.refuse)

    def admit(self, connection, host):
        if self.room <= 0:
            return False
        self.room -= 1
        self.admitted.append(host)
        connection.close()
        return True

    def refuse(self, connection, host, refusal):
        self.refused.append((host, refusal, connection.closed))

    def test_admittedWhenRoom(self):
        """
        When a session ends, waiting connections are tried again, oldest
        first, as long as they fit; the others keep waiting.
        """
        for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            self.assertTrue(self.waits.wait(Connection(), host, "full",
                                            RELEASE_WAIT))
        self.room = 2
        self.waits.retry()
        self.assertEqual(self.admitted, ["10.0.0.1", "10.0.0.2"])
        self.assertEqual([entry[1] for entry in self.waits.waiting],
                         ["10.0.0.3"])
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_refusedAfterWait(self):
        """
        A connection still waiting after its time is refused, then
        closed.
        """
        connection = Connection()
        self.waits.wait(connection, "10.0.0.1", "full", RELEASE_WAIT)
        self.clock.advance(RELEASE_WAIT)
        self.assertEqual(self.refused, [("10.0.0.1", "full", False)])
        self.assertTrue(connection.closed)
        self.assertEqual(self.waits.waiting, [])

    def test_onePerClient(self):
        """
        A second connection from a client already waiting, with no
        session counted, is not held.
        """
        self.assertTrue(self.waits.wait(Connection(), "10.0.0.1", "full", 2))
        self.assertFalse(self.waits.wait(Connection(), "10.0.0.1", "full", 2))

    def test_hungUpMakesRoom(self):
        """
        Where none more may wait, one whose client ended it is closed,
        unanswered, and its timer cancelled, to make room for the new
        one; one still open is kept, and the next one is not held.
        """
        waits = OverLimitWaits(self.clock, self.admit, self.refuse,
                               hungUp=lambda connection: connection.gone)
        left, kept = Connection(), Connection()
        self.assertTrue(waits.wait(left, "10.0.0.1", "full", 2))
        left.gone = True
        self.assertTrue(waits.wait(kept, "10.0.0.1", "full", 2))
        self.assertTrue(left.closed)
        self.assertEqual([entry[0] for entry in waits.waiting], [kept])
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.assertFalse(waits.wait(Connection(), "10.0.0.1", "full", 2))
        self.assertFalse(kept.closed)
        self.assertEqual(self.refused, [])

    def test_asManyAsSessions(self):
        """
        A client has as many connections waiting as it has sessions
        counted (its sessions cut, FileZilla's two connections come back
        at once); the next one is not held, while another client's is.
        """
        counted = {"10.0.0.1": 2}
        waits = OverLimitWaits(self.clock, self.admit, self.refuse,
                               sessionsOf=lambda client: counted.get(client, 0))
        for _ in range(2):
            self.assertTrue(waits.wait(Connection(), "10.0.0.1", "full", 2))
        self.assertFalse(waits.wait(Connection(), "10.0.0.1", "full", 2))
        self.assertTrue(waits.wait(Connection(), "10.0.0.2", "full", 2))

    def test_mostWaiting(self):
        """
        At most L{MOST_WAITING} connections wait.
        """
        for n in range(MOST_WAITING):
            self.assertTrue(self.waits.wait(Connection(), f"10.0.{n}.1",
                                            "full", 2))
        self.assertFalse(self.waits.wait(Connection(), "10.1.0.1", "full", 2))

    def test_stop(self):
        """
        Stopping refuses every waiting connection at once with the
        refusal given (not its own), closes it and cancels its timer; a
        session ending then admits none.
        """
        connection = Connection()
        self.waits.wait(connection, "10.0.0.1", "full", 2)
        self.waits.stop("stopping")
        self.assertTrue(connection.closed)
        self.assertEqual(self.refused, [("10.0.0.1", "stopping", False)])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.room = 1
        self.waits.retry()
        self.assertEqual(self.admitted, [])


class WaitingConnectionsTests(unittest.SynchronousTestCase):
    """
    L{WaitingConnections} without a rule of its own: any connection may
    wait, up to its bound.
    """

    def test_bound(self):
        """
        Connections of one client wait together, up to C{most} in all.
        """
        waits = WaitingConnections(Clock(), lambda *_: False,
                                   lambda *_: None, 2)
        self.assertTrue(waits.wait(Connection(), "10.0.0.1", "busy", 3))
        self.assertTrue(waits.wait(Connection(), "10.0.0.1", "busy", 3))
        self.assertFalse(waits.wait(Connection(), "10.0.0.2", "busy", 3))


class SpareDescriptorTests(unittest.SynchronousTestCase):
    """
    L{SpareDescriptor} holds one descriptor to give up.
    """

    def test_reserveRelease(self):
        spare = SpareDescriptor()
        self.assertFalse(spare.release())
        spare.reserve()
        held = spare.fd
        self.assertIsNotNone(held)
        spare.reserve()
        self.assertEqual(spare.fd, held)
        self.assertTrue(spare.release())
        self.assertIsNone(spare.fd)
        self.assertFalse(spare.release())
