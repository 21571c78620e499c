"""
Tests for when a lingering download looks at what its client acknowledged
(L{ftpkit.data.linger.nextLook}): early (a client waiting for the C{226},
as Python's C{urllib.request} does, gets it soon), then ever further
apart, on both paths (L{lingerOn}'s bare socket, L{TransportLinger}).
"""

import socket

from twisted.trial import unittest

from ftpkit.data import linger
from ftpkit.data.linger import TransportLinger, lingerOn, nextLook
from tests.unit.test_movers import ReadersClock

LOOKS = [0.05, 0.1, 0.2, 0.4, 0.8, 1.3, 1.8, 2.3, 2.8, 3.3, 3.8, 4.3, 4.8]
"""When, into a wait of 5 seconds, the looks come."""


class FakeTransport:
    """
    A Twisted TCP transport whose write side is closed.

    @ivar lost: when C{loseConnection} was called (the clock's seconds).
    """

    lost = None

    def __init__(self, clock):
        self._clock = clock

    def getHandle(self):
        return self

    def loseConnection(self):
        self.lost = self._clock.seconds()


class LookScheduleTests(unittest.TestCase):
    """
    The looks come L{linger.ACKED_FIRST} into the wait, then as far from
    the last as the wait has lasted, at most L{linger.ACKED_GRACE} apart,
    until the timeout.
    """

    def setUp(self):
        self.clock = ReadersClock()
        self.looks = []
        self.ackedAt = None
        self.patch(linger, "acknowledged", self.acknowledged)
        self.patch(linger, "writeSideClosed", lambda transport: True)

    def acknowledged(self, sock):
        """
        Note the look; the client acknowledged everything from
        C{self.ackedAt} on.
        """
        now = round(self.clock.seconds(), 6)
        self.looks.append(now)
        return self.ackedAt is not None and now >= self.ackedAt

    def advance(self):
        """
        Run the clock's timed calls, each when due, until none is left.
        """
        for _ in range(100):
            calls = self.clock.getDelayedCalls()
            if not calls:
                return
            self.clock.advance(min(c.getTime() for c in calls)
                               - self.clock.seconds())
        self.fail("timed calls without end")

    def test_nextLook(self):
        """
        The first look L{linger.ACKED_FIRST} into the wait, then each as
        far as the wait has lasted, at most L{linger.ACKED_GRACE}.
        """
        self.assertEqual(
            [nextLook(w) for w in (0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 4)],
            [0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.5, 0.5])

    def lingerOn(self):
        """
        Start a bare socket's wait (5 seconds).

        @return: the list its end is added to.
        """
        server, client = socket.socketpair()
        self.addCleanup(server.close)
        self.addCleanup(client.close)
        server.setblocking(False)
        ended = []
        self.assertIsNotNone(lingerOn(
            self.clock, server, lambda: ended.append(self.clock.seconds()),
            5))
        return ended

    def test_socketLooks(self):
        """
        A bare socket whose client never acknowledges everything is
        looked at on schedule, and its wait ends at the timeout.
        """
        ended = self.lingerOn()
        self.advance()
        self.assertEqual(self.looks, LOOKS)
        self.assertEqual([round(t, 6) for t in ended], [5])

    def test_socketAcknowledged(self):
        """
        A bare socket's wait ends at the first look after its client
        acknowledged everything.
        """
        self.ackedAt = 0.3
        ended = self.lingerOn()
        self.advance()
        self.assertEqual(self.looks, LOOKS[:4])
        self.assertEqual([round(t, 6) for t in ended], [0.4])

    def test_transportLooks(self):
        """
        A transport whose client never acknowledges everything is looked
        at on schedule, and closed at the timeout.
        """
        transport = FakeTransport(self.clock)
        TransportLinger(self.clock, transport, 5)
        self.advance()
        self.assertEqual(self.looks, LOOKS)
        self.assertEqual(round(transport.lost, 6), 5)

    def test_transportAcknowledged(self):
        """
        A transport is closed at the first look after its client
        acknowledged everything, the first one at once.
        """
        self.ackedAt = 0
        transport = FakeTransport(self.clock)
        TransportLinger(self.clock, transport, 5)
        self.advance()
        self.assertEqual(self.looks, [0.05])
        self.assertEqual(round(transport.lost, 6), 0.05)
