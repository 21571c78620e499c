"""
Tests for L{ftpkit.control.turns}: client addresses take turns at the
shell's slow work, in front of a first-come, first-served worker queue.
"""

from twisted.internet.defer import Deferred, succeed
from twisted.trial import unittest
from zope.interface import implementer, implementer_only
from zope.interface.verify import verifyObject

from ftpkit.control.turns import Turn, Turns
from ftpkit.errors import TransferAborted
from ftpkit.interfaces import IDirectoryListing, INameListing, IStatListing


class FakeLane:
    """
    A worker thread's queue, first come, first served, run by hand: each
    job is a label, and L{step} finishes the oldest.

    @ivar finished: the labels of the jobs finished, in order.
    """

    def __init__(self):
        self.queued = []
        self.finished = []

    def submit(self, label):
        """
        Queue a job.

        @return: a Deferred firing with C{label} once it has run.
        """
        done = Deferred()
        self.queued.append((label, done))
        return done

    def step(self):
        """
        Finish the oldest job.
        """
        label, done = self.queued.pop(0)
        self.finished.append(label)
        done.callback(label)

    def drain(self):
        """
        Finish jobs until none is left (finishing one may queue another).
        """
        while self.queued:
            self.step()


class TurnsTests(unittest.TestCase):
    """
    L{Turns} in front of a L{FakeLane}.
    """

    def setUp(self):
        self.lane = FakeLane()
        self.turns = Turns()

    def test_secondAddressBeforeFlood(self):
        """
        Ten sessions of one address queue a job each, then another address
        asks: its job runs second, before nine of the flood's, although it
        came last.
        """
        for session in range(10):
            self.turns.run("attacker", session, self.lane.submit,
                           "attacker-%d" % session)
        self.turns.run("victim", "v", self.lane.submit, "victim")
        self.lane.step()
        self.lane.step()
        self.assertEqual(self.lane.finished, ["attacker-0", "victim"])
        self.lane.drain()
        self.assertEqual(
            self.lane.finished,
            ["attacker-0", "victim"]
            + ["attacker-%d" % session for session in range(1, 10)])

    def test_withoutTurnsFirstComeFirstServed(self):
        """
        What L{Turns} prevents: straight into the lane, the other address's
        job runs after all ten of the flood's.
        """
        for session in range(10):
            self.lane.submit("attacker-%d" % session)
        self.lane.submit("victim")
        self.lane.drain()
        self.assertEqual(self.lane.finished[-1], "victim")

    def test_roundRobin(self):
        """
        Addresses each asking for batch after batch (a listing asks for the
        next when the last arrives) are served in turn.
        """
        def listing(key, batches):
            left = [batches]

            def ask():
                if left[0]:
                    left[0] -= 1
                    self.turns.run(key, key, self.lane.submit, key).addCallback(
                        lambda _: ask())
            ask()

        listing("a", 3)
        listing("b", 3)
        listing("c", 2)
        self.lane.drain()
        self.assertEqual(self.lane.finished,
                         ["a", "b", "c", "a", "b", "c", "a", "b"])

    def test_answeredAtOnce(self):
        """
        A call answered at once (a batch read already) gives its answer
        and its turn back at once, whether it was started at once or
        waited for its turn; one that fails at once fails the same way.
        """
        self.assertEqual(
            self.successResultOf(self.turns.run("k", 1, succeed, "now")),
            "now")
        self.assertEqual(self.turns.running("k"), 0)
        first = self.turns.run("k", 1, self.lane.submit, "one")
        waiting = self.turns.run("k", 2, succeed, "after")
        failing = self.turns.run("k", 3, lambda: 1 // 0)
        self.assertNoResult(waiting)
        self.lane.drain()
        self.assertEqual(self.successResultOf(first), "one")
        self.assertEqual(self.successResultOf(waiting), "after")
        self.failureResultOf(failing, ZeroDivisionError)
        self.failureResultOf(self.turns.run("k", 4, lambda: 1 // 0),
                             ZeroDivisionError)
        self.assertEqual((self.turns.running("k"), self.turns.waiting("k")),
                         (0, 0))

    def test_oneAtATimePerKey(self):
        """
        A key's second call waits until its first has ended; the order of
        its calls is kept.
        """
        first = self.turns.run("k", 1, self.lane.submit, "one")
        second = self.turns.run("k", 2, self.lane.submit, "two")
        self.assertEqual([label for label, _ in self.lane.queued], ["one"])
        self.assertEqual((self.turns.running("k"), self.turns.waiting("k")),
                         (1, 1))
        results = []
        first.addCallback(results.append)
        second.addCallback(results.append)
        self.lane.drain()
        self.assertEqual(results, ["one", "two"])
        self.assertEqual((self.turns.running("k"), self.turns.waiting("k")),
                         (0, 0))

    def test_perKey(self):
        """
        With C{perKey=2}, two calls of one key run at once.
        """
        turns = Turns(perKey=2)
        for label in ("one", "two", "three"):
            turns.run("k", None, self.lane.submit, label)
        self.assertEqual([label for label, _ in self.lane.queued],
                         ["one", "two"])

    def test_failurePassesAndFreesTheTurn(self):
        """
        A call that fails fails its caller's Deferred, and the next call
        of the key runs.
        """
        def broken():
            raise TransferAborted()

        failed = self.turns.run("k", None, broken)
        self.failureResultOf(failed, TransferAborted)
        self.assertEqual(self.successResultOf(
            self.turns.run("k", None, succeed, 5)), 5)

    def test_synchronousCallsDoNotRecurse(self):
        """
        Many waiting calls that end at once are started from a loop: no
        recursion as deep as the queue.
        """
        gate = Deferred()
        self.turns.run("k", None, lambda: gate)
        results = [self.turns.run("k", None, succeed, n) for n in range(5000)]
        gate.callback(None)
        self.assertEqual(self.successResultOf(results[-1]), 4999)
        self.assertEqual(self.turns.running("k"), 0)

    def test_withdraw(self):
        """
        A waiting call taken back never runs and fails with
        L{TransferAborted}; one already running is not taken back.
        """
        running = self.turns.run("k", None, self.lane.submit, "one")
        waiting = self.turns.run("k", None, self.lane.submit, "two")
        self.assertFalse(self.turns.withdraw("k", running))
        self.assertTrue(self.turns.withdraw("k", waiting))
        self.failureResultOf(waiting, TransferAborted)
        self.lane.drain()
        self.assertEqual(self.lane.finished, ["one"])
        self.assertEqual(self.successResultOf(running), "one")

    def test_forget(self):
        """
        The waiting calls of a session that ended are taken back; those of
        other sessions of its address still run.
        """
        self.turns.run("k", "s1", self.lane.submit, "s1-a")
        gone = self.turns.run("k", "s1", self.lane.submit, "s1-b")
        self.turns.run("k", "s2", self.lane.submit, "s2")
        self.turns.forget("k", "s1")
        self.turns.forget("other", "s1")
        self.failureResultOf(gone, TransferAborted)
        self.lane.drain()
        self.assertEqual(self.lane.finished, ["s1-a", "s2"])
        self.assertEqual(self.turns.waiting("k"), 0)

    def test_stop(self):
        """
        L{Turns.stop} takes back a session's waiting calls and cancels its
        running one: that call fails with L{TransferAborted} at once and
        its turn goes to the next session of the address, whose call is
        not touched.
        """
        cancelled = []

        def work(label):
            return Deferred(lambda _: cancelled.append(label))

        running = self.turns.run("k", "s1", work, "s1-a")
        waiting = self.turns.run("k", "s1", work, "s1-b")
        other = self.turns.run("k", "s2", self.lane.submit, "s2")
        self.turns.stop("k", "s1")
        self.turns.stop("other", "s1")
        self.assertEqual(cancelled, ["s1-a"])
        self.failureResultOf(running, TransferAborted)
        self.failureResultOf(waiting, TransferAborted)
        self.assertEqual(self.turns.running("k"), 1)
        self.turns.stop("k", "s1")
        self.lane.drain()
        self.assertEqual(self.successResultOf(other), "s2")
        self.assertEqual(self.turns.running("k"), 0)


@implementer(IDirectoryListing, IStatListing)
class LaneListing:
    """
    A listing whose batches are jobs of a L{FakeLane}.
    """

    def __init__(self, lane, name, batches):
        self.lane = lane
        self.name = name
        self.left = batches
        self.closed = False

    def nextBatch(self):
        if not self.left:
            return succeed([])
        self.left -= 1
        return self.lane.submit(self.name).addCallback(
            lambda label: [(label, None)])

    def nextFormattedBatch(self, format):
        return self.nextBatch().addCallback(
            lambda batch: format(batch) if batch else None)

    def close(self):
        self.closed = True


@implementer_only(IDirectoryListing)
class PlainListing(LaneListing):
    """
    A L{LaneListing} that does not format its own batches.
    """

    nextFormattedBatch = None


@implementer(INameListing)
class NamedListing(LaneListing):
    """
    A L{LaneListing} that also names its entries.
    """

    def nextNames(self):
        return self.nextBatch().addCallback(
            lambda batch: [name for name, _ in batch])


@implementer_only(IDirectoryListing, INameListing)
class NamedPlainListing(NamedListing):
    """
    A L{NamedListing} that does not format its own batches.
    """

    nextFormattedBatch = None


class TurnListingTests(unittest.TestCase):
    """
    L{Turn.listing}: each batch of a listing in its session's turn.
    """

    def setUp(self):
        self.lane = FakeLane()
        self.turns = Turns()

    def test_interfaces(self):
        """
        The wrapped listing formats its own batches exactly when the
        listing it wraps does.
        """
        turn = Turn(self.turns, "k", None)
        stat = turn.listing(LaneListing(self.lane, "a", 1))
        plain = turn.listing(PlainListing(self.lane, "a", 1))
        verifyObject(IStatListing, stat)
        verifyObject(IDirectoryListing, plain)
        self.assertFalse(IStatListing.providedBy(plain))
        self.assertFalse(INameListing.providedBy(stat))
        for listing, formats in ((NamedListing(self.lane, "a", 1), True),
                                 (NamedPlainListing(self.lane, "a", 1),
                                  False)):
            named = turn.listing(listing)
            verifyObject(INameListing, named)
            self.assertEqual(IStatListing.providedBy(named), formats)

    def test_namesTakeTurns(self):
        """
        A listing's names are read in its session's turn too.
        """
        turn = Turn(self.turns, "k", None)
        named = turn.listing(NamedListing(self.lane, "a", 1))
        other = self.turns.run("k", None, self.lane.submit, "other")
        reading = named.nextNames()
        self.assertNoResult(reading)
        self.lane.drain()
        self.assertEqual(self.lane.finished, ["other", "a"])
        self.assertEqual(self.successResultOf(reading), ["a"])
        self.successResultOf(other)

    def test_batchesTakeTurns(self):
        """
        Two sessions of one address and one of another, listing at once:
        the other address's batches alternate with the first address's.
        """
        def consume(listing):
            def next(batch):
                if batch:
                    listing.nextFormattedBatch(repr).addCallback(next)
            listing.nextFormattedBatch(repr).addCallback(next)

        for owner, key in (("a1", "a"), ("a2", "a"), ("b", "b")):
            consume(Turn(self.turns, key, owner).listing(
                LaneListing(self.lane, owner, 2)))
        self.lane.drain()
        self.assertEqual(self.lane.finished,
                         ["a1", "b", "a2", "b", "a1", "a2"])

    def test_closeWithdrawsWaitingBatch(self):
        """
        A listing closed while its batch waits for its turn (C{ABOR}) takes
        that batch back: it never reaches the lane, and the listing is
        closed at once.
        """
        Turn(self.turns, "k", "other").call(self.lane.submit, "busy")
        inner = LaneListing(self.lane, "mine", 5)
        listing = Turn(self.turns, "k", "me").listing(inner)
        asked = listing.nextBatch()
        listing.close()
        self.assertTrue(inner.closed)
        self.failureResultOf(asked, TransferAborted)
        self.lane.drain()
        self.assertEqual(self.lane.finished, ["busy"])
        self.assertEqual(self.turns.running("k"), 0)

    def test_closeWhileRunning(self):
        """
        A listing closed while its batch is at the lane lets that batch
        end (and hold the turn until then).
        """
        inner = LaneListing(self.lane, "mine", 5)
        listing = Turn(self.turns, "k", "me").listing(inner)
        asked = listing.nextBatch()
        listing.close()
        self.assertTrue(inner.closed)
        self.assertEqual(self.turns.running("k"), 1)
        self.lane.drain()
        self.assertEqual(self.successResultOf(asked), [("mine", None)])
        self.assertEqual(self.turns.running("k"), 0)


class StuckTurnsTests(unittest.TestCase):
    """
    A call holding its key's turn for C{stuckAfter} seconds while others
    of the key wait (a listing of a hung mount) holds it no more.
    """

    def setUp(self):
        from twisted.internet.task import Clock

        self.clock = Clock()
        self.lane = FakeLane()
        self.turns = Turns(clock=self.clock, stuckAfter=1)

    def ask(self, label, owner=None):
        """
        @param label: the job's label, of key C{"a"}.
        @param owner: its owner (the label when C{None}).
        @return: the Deferred of its turn.
        """
        return self.turns.run("a", owner or label, self.lane.submit, label)

    def queued(self):
        """
        @return: the labels of the jobs at the lane.
        """
        return [label for label, _ in self.lane.queued]

    def test_stuckCallSetAside(self):
        """
        The next call starts once the first has run C{stuckAfter} seconds;
        the first still ends, giving no turn back twice.
        """
        stuck, later = self.ask("stuck"), self.ask("later")
        self.clock.advance(0.5)
        self.assertEqual(self.queued(), ["stuck"])
        self.clock.advance(0.5)
        self.assertEqual(self.queued(), ["stuck", "later"])
        self.lane.drain()
        self.assertEqual((self.successResultOf(stuck),
                          self.successResultOf(later)), ("stuck", "later"))
        self.assertEqual((self.turns.running("a"), self.turns.waiting("a"),
                          self.clock.getDelayedCalls()), (0, 0, []))
        self.ask("next")
        self.assertEqual(self.queued(), ["next"])

    def test_onlyCallsRunningThatLong(self):
        """
        A call that started since the calls waited is not set aside with
        those that ran that long.
        """
        self.ask("first")
        self.ask("second")
        self.ask("third")
        self.clock.advance(0.5)
        self.lane.step()
        self.assertEqual(self.queued(), ["second"])
        self.clock.advance(0.5)
        self.assertEqual(self.queued(), ["second"])
        self.clock.advance(1)
        self.assertEqual(self.queued(), ["second", "third"])

    def test_cancelledTimer(self):
        """
        A timer cancelled by someone else (trial, at a test's end) does
        not stop the next call waiting from setting one.
        """
        self.ask("stuck")
        self.ask("later")
        [check] = self.clock.getDelayedCalls()
        check.cancel()
        self.ask("third")
        self.clock.advance(1)
        self.assertEqual(self.queued(), ["stuck", "later"])

    def test_stopSetAside(self):
        """
        L{Turns.stop} cancels its owner's calls set aside too.
        """
        cancelled = []
        stuck = self.turns.run("a", "o", lambda: Deferred(cancelled.append))
        self.ask("later")
        self.clock.advance(1)
        self.turns.stop("a", "o")
        self.assertEqual(len(cancelled), 1)
        self.failureResultOf(stuck, TransferAborted)

    def test_noTimerLeft(self):
        """
        Once no call waits (its turn came, or it was taken back), no
        timer is left.
        """
        self.ask("first")
        self.ask("second")
        self.lane.step()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        third = self.ask("third")
        self.turns.withdraw("a", third)
        self.failureResultOf(third, TransferAborted)
        self.assertEqual(self.clock.getDelayedCalls(), [])
