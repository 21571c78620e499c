"""
Tests for L{ftpkit.deferreds}.
"""

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.trial import unittest

from ftpkit.deferreds import isDeferred


class IsDeferredTests(unittest.TestCase):
    """
    L{isDeferred} tells what C{isinstance(value, Deferred)} tells.
    """

    def test_deferreds(self):
        """
        A L{Deferred}, fired or not, and one of a subclass, are.
        """
        for value in (Deferred(), succeed(1), DeferredList([])):
            self.assertTrue(isDeferred(value))
            self.assertEqual(isDeferred(value), isinstance(value, Deferred))

    def test_others(self):
        """
        Replies, C{None}, classes and coroutines are not.
        """
        async def coroutine():
            pass
        running = coroutine()
        self.addCleanup(running.close)
        for value in ((226, "Transfer complete"), None, True, Deferred,
                      running, object()):
            self.assertFalse(isDeferred(value))
