"""
Failed logins per address counted across the workers of C{--workers}
(L{ftpkit.deploy.sharedfailures}): two workers' factories, as
C{makeService} builds them, linked to an acceptor's L{WorkerPool} by
real Unix sockets.
"""

from twisted.trial import unittest

from ftpkit.control.loginfailures import HOLD_AFTER
from ftpkit.deploy.channel import Channel
from ftpkit.deploy.service import makeService
from ftpkit.deploy.worker import ConnectionReceiver
from tests.tapoptions import parse
from tests.workerpools import poolWithWorkers, workerFactory

GUESSER = "203.0.113.9"

FIRST = 1.0
"""The delay of a first failure (the server's default)."""


class SharedFailuresTests(unittest.SynchronousTestCase):
    """
    A guesser spread over two workers is held after L{HOLD_AFTER}
    failures in all, not per worker.
    """

    def setUp(self):
        self.pool, ends = poolWithWorkers(self)
        self.clock = self.pool.reactor
        self.factories = []
        self.receivers = []
        for theirs in ends:
            channel = Channel(theirs, self.clock)
            server = makeService(parse("--auth", "anonymous"),
                                 workerChannel=channel)
            factory = workerFactory(server)
            self.factories.append(factory)
            channel.receiver = ConnectionReceiver(self.clock, channel,
                                                  factory)
            self.receivers.append(channel)

    def pump(self):
        """
        Let the acceptor read what the workers sent, and the workers what
        it sent them.
        """
        for worker in self.pool.workers:
            worker.channel.doRead()
        for receiver in self.receivers:
            receiver.doRead()

    def failLogins(self, worker, count):
        """
        Count C{count} failed logins of L{GUESSER} on a worker, as its
        sessions do.
        """
        for _ in range(count):
            self.factories[worker].loginFailures.record(
                GUESSER, self.clock.seconds())
            self.pump()

    def test_heldAcrossWorkers(self):
        """
        Failures on one worker count on the other: the worker that saw
        fewer than L{HOLD_AFTER} of them holds the guesser's passwords
        too.
        """
        self.failLogins(0, HOLD_AFTER - 2)
        self.failLogins(1, 2)
        self.assertGreater(self.factories[1].loginFailures.hold(
            GUESSER, self.clock.seconds(), FIRST), 0)
        self.assertGreater(self.factories[0].loginFailures.hold(
            GUESSER, self.clock.seconds(), FIRST), 0)

    def test_checksTakeTurns(self):
        """
        Once held, a check started on one worker makes the other wait a
        delay too: one check a delay for the address, not one per worker.
        """
        self.failLogins(0, HOLD_AFTER)
        self.clock.advance(30)
        self.assertEqual(self.factories[0].loginFailures.hold(
            GUESSER, self.clock.seconds(), FIRST), 0)
        self.pump()
        self.assertGreater(self.factories[1].loginFailures.hold(
            GUESSER, self.clock.seconds(), FIRST), 0)

    def test_replacementTold(self):
        """
        A worker started in place of one that died is told the counts as
        it gets ready: it holds the guesser's passwords at once, as the
        dead one did.
        """
        self.failLogins(0, HOLD_AFTER)
        self.clock.advance(30)
        replacement = self.pool.workers[0]
        server = makeService(parse("--auth", "anonymous"),
                             workerChannel=self.receivers[0])
        factory = workerFactory(server)
        self.receivers[0].receiver = ConnectionReceiver(
            self.clock, self.receivers[0], factory)
        self.pool._accepting = True
        self.pool.workerReady(replacement)
        self.pump()
        self.assertGreater(factory.loginFailures.hold(
            GUESSER, self.clock.seconds(), FIRST), 0)

    def test_otherAddressesFree(self):
        """
        Another address is not held.
        """
        self.failLogins(0, HOLD_AFTER)
        self.assertEqual(self.factories[1].loginFailures.hold(
            "198.51.100.1", self.clock.seconds(), FIRST), 0)


class ChecksRunningTests(unittest.SynchronousTestCase):
    """
    A worker of C{--workers 2} counts each check it runs twice: the other
    worker may run as many meanwhile, which it is not told of, so that a
    guesser's burst of passwords sent at once gets about L{HOLD_AFTER}
    checked together over both workers, not that many on each.
    """

    def test_countedOncePerWorker(self):
        """
        Three checks running (six counted) hold the address; two (four)
        do not.
        """
        pool, ends = poolWithWorkers(self)
        server = makeService(parse("--auth", "anonymous", "--workers", "2"),
                             workerChannel=Channel(ends[0], pool.reactor))
        failures = workerFactory(server).loginFailures
        now = pool.reactor.seconds()
        for _ in range(2):
            failures.checking(GUESSER)
        self.assertEqual(failures.hold(GUESSER, now, FIRST), 0)
        failures.checking(GUESSER)
        self.assertGreater(failures.hold(GUESSER, now, FIRST), 0)
