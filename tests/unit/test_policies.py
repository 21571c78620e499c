"""
Tests for L{ftpkit.control.policies.ConnectionLimiter}.
"""

from twisted.trial import unittest

from ftpkit.control.policies import ConnectionLimiter


class ConnectionLimiterTests(unittest.SynchronousTestCase):
    """
    Sessions are admitted up to the total and per-address limits.
    """

    def test_totalLimit(self):
        limiter = ConnectionLimiter(2, 10)
        self.assertIsNone(limiter.admit("a"))
        self.assertIsNone(limiter.admit("b"))
        self.assertIn("Too many connections", limiter.admit("c"))
        limiter.release("a")
        self.assertIsNone(limiter.admit("c"))
        self.assertEqual(limiter.sessions, 2)

    def test_perHostLimit(self):
        limiter = ConnectionLimiter(10, 1)
        self.assertIsNone(limiter.admit("a"))
        self.assertIn("your address", limiter.admit("a"))
        self.assertIsNone(limiter.admit("b"))
        self.assertEqual(dict(limiter.sessionsByHost), {"a": 1, "b": 1})

    def test_releaseForgetsHost(self):
        limiter = ConnectionLimiter(10, 10)
        limiter.admit("a")
        limiter.release("a")
        self.assertEqual(dict(limiter.sessionsByHost), {})
        self.assertEqual(limiter.sessions, 0)

    def test_releaseUnknownIsHarmless(self):
        limiter = ConnectionLimiter(10, 10)
        limiter.release("nobody")
        self.assertEqual(limiter.sessions, 0)
        self.assertEqual(dict(limiter.sessionsByHost), {})
