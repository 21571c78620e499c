"""
Tests for L{ftpkit.data.listenerpool}.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.listenerpool import ListenerPool


class _Listener:
    """
    Stands for a L{ftpkit.data.passive.PassiveListener}.
    """

    releasedAt = None

    def __init__(self, interface="127.0.0.1", portRange=None):
        self.onAccept = self.admits = print
        self.interface = interface
        self.portRange = portRange
        self.closed = False
        self.reading = False

    def startReading(self):
        self.reading = True

    def stopReading(self):
        self.reading = False

    def stopListening(self):
        self.closed = True


class ListenerPoolTests(unittest.TestCase):
    """
    Listeners are kept for reuse, most recent first, for C{keep} seconds.
    """

    def setUp(self):
        self.clock = Clock()
        self.pool = ListenerPool(self.clock, keep=10, size=2)

    def test_mostRecentForTheInterface(self):
        """
        C{take} gives the listener released last for the interface asked,
        once; none when there is none.
        """
        first, second, other = _Listener(), _Listener(), _Listener("::1")
        self.pool.give(first)
        self.pool.give(second)
        self.pool.give(other)
        self.assertTrue(other.closed)  # The pool was full.
        self.assertIs(self.pool.take("127.0.0.1"), second)
        self.assertIsNone(self.pool.take("::1"))
        self.assertIs(self.pool.take("127.0.0.1"), first)
        self.assertIsNone(self.pool.take("127.0.0.1"))
        self.assertFalse(first.closed or second.closed)
        self.assertEqual((first.onAccept, first.admits, first.reading),
                         (None, None, False))

    def test_configuredRangeNotKept(self):
        """
        A listener from a configured port range is closed, not kept.
        """
        listener = _Listener(portRange=(60000, 60010))
        self.pool.give(listener)
        self.assertTrue(listener.closed)
        self.assertIsNone(self.pool.take("127.0.0.1"))

    def test_expiry(self):
        """
        Each listener is closed C{keep} seconds after it was released;
        nothing stays scheduled once the pool is empty.
        """
        early, late = _Listener(), _Listener()
        self.pool.give(early)
        self.clock.advance(6)
        self.pool.give(late)
        self.clock.advance(4)
        self.assertEqual((early.closed, late.closed), (True, False))
        self.clock.advance(6)
        self.assertTrue(late.closed)
        self.assertEqual(self.pool.listeners, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_closeAll(self):
        """
        C{closeAll} closes every listener and cancels the purge.
        """
        listener = _Listener()
        self.pool.give(listener)
        self.pool.closeAll()
        self.assertTrue(listener.closed)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_givenAfterCloseAll(self):
        """
        A listener given after C{closeAll} (a session ending after the
        server stopped listening) is closed, with no purge left pending
        (it was kept, with a purge timer outliving the server); after
        C{reopen} listeners are kept again.
        """
        self.pool.closeAll()
        late = _Listener()
        self.pool.give(late)
        self.assertTrue(late.closed)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.pool.reopen()
        kept = _Listener()
        self.pool.give(kept)
        self.assertFalse(kept.closed)

    def test_keptRefusing(self):
        """
        A kept listener is watched, and what it accepts meanwhile is
        closed at once (one C{PASV}, one data connection); taken, it is
        no longer watched.
        """
        listener = _Listener()
        self.pool.give(listener)
        self.assertTrue(listener.reading)
        closed = []

        class _Socket:
            def close(self):
                closed.append(True)

        listener.onAccept(_Socket(), ("127.0.0.1", 1))
        self.assertEqual(closed, [True])
        self.assertIs(self.pool.take("127.0.0.1"), listener)
        self.assertFalse(listener.reading)
