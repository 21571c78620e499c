"""
Tests for L{ftpkit.control.fairqueue}.
"""

from twisted.trial import unittest

from ftpkit.control.fairqueue import FairQueue


class FairQueueTests(unittest.TestCase):
    """
    L{FairQueue} takes by key in turn, and remembers only the keys with
    items waiting or running.
    """

    def test_empty(self):
        """
        Nothing to take: L{IndexError}.
        """
        queue = FairQueue()
        self.assertEqual(len(queue), 0)
        self.assertRaises(IndexError, queue.take)

    def test_runningKeyWaitsItsTurn(self):
        """
        A key whose item was taken, and is still running, takes its next
        turn after a key that came since.
        """
        queue = FairQueue()
        queue.put("a", 1)
        self.assertEqual(queue.take(), ("a", 1))
        queue.put("a", 2)
        queue.put("b", 3)
        self.assertEqual([queue.take(), queue.take()], [("b", 3), ("a", 2)])
        self.assertEqual(len(queue), 0)

    def test_forgotten(self):
        """
        A key with nothing waiting or running is forgotten: it comes back
        as a key that has had no turn.
        """
        queue = FairQueue()
        for key in ("a", "b"):
            queue.put(key, key)
            queue.take()
        queue.finished("a")
        queue.put("b", "b2")
        queue.put("a", "a2")
        self.assertEqual([queue.take(), queue.take()],
                         [("a", "a2"), ("b", "b2")])
        queue.finished("a")
        queue.finished("a")
        queue.finished("b")
        queue.finished("b")
        self.assertEqual((queue._fresh, queue._served, queue._running),
                         ({}, {}, {}))
