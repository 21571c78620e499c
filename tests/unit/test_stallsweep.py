"""
L{ftpkit.data.stallsweep}: one timer looks at every data connection
watched for stalls with one timeout on one reactor.
"""

from twisted.internet import error
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.data import watchdog
from ftpkit.data.channel import DataChannel
from ftpkit.data.stallsweep import StallSweep, sweepFor
from tests.droppedreactor import dropEverything


class _Looked:
    """
    A watched connection that records its looks, and can remove itself or
    another from the sweep when looked at.
    """

    def __init__(self, looks, name, onLook=None):
        self.looks = looks
        self.name = name
        self.onLook = onLook

    def look(self, now):
        self.looks.append((self.name, now))
        if self.onLook is not None:
            self.onLook()


class StallSweepTests(unittest.TestCase):
    """
    L{StallSweep} looks at its connections a quarter of the timeout apart,
    each first once it has been watched that long.
    """

    def setUp(self):
        self.clock = Clock()
        self.sweep = StallSweep(self.clock, 8.0)
        self.looks = []

    def watched(self, name, onLook=None):
        connection = _Looked(self.looks, name, onLook)
        self.sweep.add(connection)
        return connection

    def test_oneTimerForAll(self):
        """
        Connections watched at once share one timed call.
        """
        self.watched("a")
        self.watched("b")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_looksEveryPeriod(self):
        """
        A connection is looked at every quarter of the timeout, with the
        reactor's time.
        """
        self.watched("a")
        self.clock.advance(2)
        self.clock.advance(2)
        self.assertEqual(self.looks, [("a", 2.0), ("a", 4.0)])

    def test_joinedMeanwhileWaitsAPeriod(self):
        """
        A connection that joins while the timer runs is first looked at the
        look after the next, at least a quarter of the timeout after it
        joined.
        """
        self.watched("a")
        self.clock.advance(1)
        self.watched("b")
        self.clock.advance(1)
        self.assertEqual(self.looks, [("a", 2.0)])
        self.clock.advance(2)
        self.assertEqual(self.looks[1:], [("a", 4.0), ("b", 4.0)])

    def test_lastRemovedCancels(self):
        """
        Not held, the timer is cancelled when the last connection leaves.
        """
        a = self.watched("a")
        b = self.watched("b")
        self.sweep.remove(a)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.sweep.remove(b)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_removedFreshCancels(self):
        """
        A connection that joined while the timer ran and left counts too.
        """
        a = self.watched("a")
        self.clock.advance(1)
        b = self.watched("b")
        self.sweep.remove(a)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.sweep.remove(b)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.clock.advance(10)
        self.assertEqual(self.looks, [])

    def test_heldRunsOut(self):
        """
        Held, the timer is left to run out when the last connection leaves;
        one watched meanwhile uses it, and once it fires with none, no
        other is made.
        """
        self.sweep.hold()
        self.sweep.remove(self.watched("a"))
        [timer] = self.clock.getDelayedCalls()
        self.clock.advance(1)
        self.watched("b")
        self.assertEqual(self.clock.getDelayedCalls(), [timer])
        self.clock.advance(1)
        self.assertEqual(self.looks, [])
        self.clock.advance(2)
        self.assertEqual(self.looks, [("b", 4.0)])
        self.sweep.remove(self.sweep._watched.copy().popitem()[0])
        self.clock.advance(2)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_releaseCancels(self):
        """
        Released by its last holder with no connection watched, the sweep
        cancels its timer; with one watched, it keeps it.
        """
        self.sweep.hold()
        self.sweep.hold()
        a = self.watched("a")
        self.sweep.remove(a)
        self.sweep.release()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.sweep.release()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.sweep.hold()
        self.watched("b")
        self.sweep.release()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_removedDuringSweepNotLooked(self):
        """
        A connection removed by another's look (dropped, say) is not looked
        at in that sweep; one that removes itself is not looked at again.
        """
        holder = {}

        def dropB():
            self.sweep.remove(holder["a"])
            self.sweep.remove(holder["b"])

        holder["a"] = self.watched("a", dropB)
        holder["b"] = self.watched("b")
        self.clock.advance(2)
        self.assertEqual(self.looks, [("a", 2.0)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_sweepFor(self):
        """
        L{sweepFor} gives one sweep per reactor and timeout.
        """
        other = Clock()
        self.assertIs(sweepFor(self.clock, 8.0), sweepFor(self.clock, 8.0))
        self.assertIsNot(sweepFor(self.clock, 8.0), sweepFor(self.clock, 9.0))
        self.assertIsNot(sweepFor(self.clock, 8.0), sweepFor(other, 8.0))
        self.assertEqual(sweepFor(self.clock, 8.0).period, 2.0)


class SharedWatchdogTests(unittest.TestCase):
    """
    Data connections' watchdogs (L{watchdog.WatchedConnection}) on one
    reactor share their sweep's timer.
    """

    def setUp(self):
        self.patch(watchdog, "unacknowledged", lambda sock: None)
        self.clock = MemoryReactorClock()
        self.channel = DataChannel(self.clock, "10.0.0.254", "10.0.0.1", 8.0,
                                   lambda: None)

    def connected(self):
        connection = self.channel.buildConnection()
        transport = StringTransport(
            peerAddress=IPv4Address("TCP", "10.0.0.1", 3000))
        connection.makeConnection(transport)
        return connection, transport

    def test_oneTimedCall(self):
        """
        Two watched connections make one timed call, not one each; both
        are dropped once stalled for the timeout.
        """
        (first, firstTransport), (second, secondTransport) = (
            self.connected(), self.connected())
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(8)
        self.assertTrue(first.timedOut)
        self.assertTrue(firstTransport.disconnecting)
        self.clock.advance(2)
        self.assertTrue(second.timedOut)
        self.assertTrue(secondTransport.disconnecting)

    def test_lostLeavesSweep(self):
        """
        A connection lost leaves the sweep: the other goes on being
        watched, and with none left nothing is scheduled.
        """
        (first, _), (second, transport) = self.connected(), self.connected()
        first.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        for _ in range(5):
            self.clock.advance(2)
        self.assertTrue(transport.disconnecting)
        second.connectionLost(Failure(error.ConnectionAborted()))
        self.assertEqual(self.clock.getDelayedCalls(), [])


class ServerHoldsTests(unittest.TestCase):
    """
    A started server holds the sweep of its data timeout, so that its
    data connections watched one after another share one timer.
    """

    def test_heldWhileStarted(self):
        """
        C{startFactory} holds the sweep for the configured C{dataTimeout},
        C{stopFactory} releases it, and its timer then ends with the last
        connection.
        """
        from tests.memorysessions import makeFactory

        clock = MemoryReactorClock()
        factory = makeFactory(clock, dataTimeout=12.0)
        sweep = sweepFor(clock, 12.0)
        factory.doStart()
        self.addCleanup(lambda: factory.numPorts and factory.doStop())
        before = set(clock.getDelayedCalls())
        connection = _Looked([], "a")
        sweep.add(connection)
        sweep.remove(connection)
        self.assertEqual(len(set(clock.getDelayedCalls()) - before), 1)
        factory.doStop()
        self.assertEqual(set(clock.getDelayedCalls()) - before, set())

    def test_reactorDroppedIt(self):
        """
        A server started after the reactor's timed calls were all
        cancelled without a word (trial's cleanup of a test that left it
        dirty, its server never stopped) has its connections looked at,
        and leaves nothing scheduled when it stops. The sweep thought its
        timer pending: no later connection of the process was looked at
        again, and the dirty test's hold kept the sweep held for good.
        """
        from tests.memorysessions import makeFactory

        clock = MemoryReactorClock()
        dirty = makeFactory(clock, dataTimeout=12.0)
        dirty.doStart()
        sweep = sweepFor(clock, 12.0)
        sweep.add(_Looked([], "dropped"))
        dropEverything(clock)
        factory = makeFactory(clock, dataTimeout=12.0)
        factory.doStart()
        self.addCleanup(lambda: factory.numPorts and factory.doStop())
        looks = []
        connection = _Looked(looks, "seen")
        sweep.add(connection)
        clock.advance(3)
        self.assertEqual(looks, [("seen", 3.0)])
        sweep.remove(connection)
        factory.doStop()
        self.assertEqual(clock.getDelayedCalls(), [])
