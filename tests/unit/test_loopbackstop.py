"""
Tests for L{ftpkit.loopback.LoopbackServer.stop}: it waits for the calls
the realm still runs, as a real server's shutdown waits for its blocking
pools.
"""

from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServer
from ftpkit.shells.memory import MemoryShell


class IdleRealm:
    """
    A realm whose calls end when the test says (L{whenIdle}).

    @ivar idle: the Deferred L{whenIdle} gives.
    """

    def __init__(self):
        self.idle = defer.Deferred()

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Unused: nobody logs in.
        """
        return interfaces[0], MemoryShell(), lambda: None

    def whenIdle(self):
        """
        @return: L{idle}.
        """
        return self.idle


class RealmIdleTests(unittest.TestCase):
    """
    The stop waits for the realm's C{whenIdle}, within its grace.
    """

    def stopped(self, grace):
        """
        Start and stop a server of an L{IdleRealm} on a memory reactor.

        @return: C{(the stop's Deferred, the realm, the reactor)}.
        """
        clock = MemoryReactorClock()
        realm = IdleRealm()
        server = LoopbackServer(realm, reactor=clock)
        server.start()
        return server.stop(grace), realm, clock

    def test_waits(self):
        """
        The stop ends once the realm's calls ended (before, at once: the
        calls the sessions made last went on into the next test).
        """
        stopped, realm, clock = self.stopped(5)
        clock.advance(4)
        self.assertNoResult(stopped)
        realm.idle.callback(None)
        clock.advance(0.01)
        self.successResultOf(stopped)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_bounded(self):
        """
        A realm whose calls never end holds the stop its grace at most.
        """
        stopped, realm, clock = self.stopped(5)
        clock.advance(5)
        clock.advance(0.01)
        self.successResultOf(stopped)
        self.assertEqual(clock.getDelayedCalls(), [])
