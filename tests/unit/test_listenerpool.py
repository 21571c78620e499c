"""
Tests for L{ftpkit.data.listenerpool}.
"""

import socket
import struct

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.listenerpool import SWEEP_INTERVAL, ListenerPool


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
        self.queued = []

    def discardQueued(self, discard):
        """
        Hand what is queued to C{discard}.
        """
        queued, self.queued = self.queued, []
        for sock in queued:
            discard(sock, ("127.0.0.1", 1))

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
        self.assertEqual((first.onAccept, first.admits), (None, None))

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
        What a kept listener queues (a second connection of one C{PASV},
        a stranger's) is reset (C{SO_LINGER} 0, then closed) every
        L{SWEEP_INTERVAL} seconds while it is kept, and when it is taken;
        the sweeps stop with the pool empty.
        """
        closed = []

        class _Socket:
            linger = None

            def setsockopt(self, level, option, value):
                if (level, option) == (socket.SOL_SOCKET, socket.SO_LINGER):
                    self.linger = struct.unpack("ii", value)

            def close(self):
                self.assertReset()
                closed.append(self)

            def assertReset(self):
                if self.linger != (1, 0):
                    raise AssertionError(f"closed with linger {self.linger}")

        listener = _Listener()
        self.pool.give(listener)
        early, late = _Socket(), _Socket()
        listener.queued.append(early)
        self.clock.advance(SWEEP_INTERVAL)
        self.assertEqual(closed, [early])
        listener.queued.append(late)
        self.assertIs(self.pool.take("127.0.0.1"), listener)
        self.assertEqual(closed, [early, late])
        self.clock.advance(SWEEP_INTERVAL)
        self.assertEqual(
            [call.func.__name__ for call in self.clock.getDelayedCalls()],
            ["_purge"])
        self.assertFalse(listener.closed)
