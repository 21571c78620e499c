"""
The passive port theft alarm shared by the workers of C{--workers}
(L{ftpkit.deploy.sharedtheft}): two workers' factories, as C{makeService}
builds them, linked to an acceptor's L{WorkerPool} by real Unix sockets.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.theftalarm import ALARM_SECONDS
from ftpkit.deploy.service import makeService
from ftpkit.deploy.sharedtheft import WorkerTheftAlarm
from ftpkit.deploy.worker import ConnectionReceiver
from tests.integration import test_shared_failures
from tests.tapoptions import parse
from tests.workerpools import workerFactory


class SharedTheftTests(unittest.SynchronousTestCase):
    """
    A stranger refused on one worker's passive port sounds both workers'
    alarms, as it sounds a single process's.
    """

    setUp = test_shared_failures.SharedFailuresTests.setUp
    pump = test_shared_failures.SharedFailuresTests.pump

    def alarms(self):
        """
        @return: whether each worker's alarm sounds.
        """
        return [factory.theftAlarm.sounding for factory in self.factories]

    def test_everyWorkerWatches(self):
        """
        The other worker's alarm sounds too.
        """
        self.assertEqual(self.alarms(), [False, False])
        self.factories[0].theftAlarm.sound()
        self.pump()
        self.assertEqual(self.alarms(), [True, True])

    def test_toldOnceAWhile(self):
        """
        A flood of strangers is told the acceptor once in half the
        alarm's duration, not once each; after that, once again.
        """
        told = []
        channel = self.factories[0].theftAlarm.channel
        self.patch(channel, "sendLine", told.append)
        clock = Clock()
        alarm = WorkerTheftAlarm(clock, channel)
        for _ in range(100):
            alarm.sound()
        self.assertEqual(told, [b"theft"])
        clock.advance(ALARM_SECONDS / 2)
        alarm.sound()
        self.assertEqual(told, [b"theft", b"theft"])
        alarm.lineReceived(b"theft")
        self.assertEqual(told, [b"theft", b"theft"])

    def test_replacementTold(self):
        """
        A worker started in place of one that died, while the alarm
        sounds, sounds its own as it gets ready.
        """
        self.factories[0].theftAlarm.sound()
        self.pump()
        self.clock.advance(ALARM_SECONDS / 2)
        server = makeService(parse("--auth", "anonymous"),
                             workerChannel=self.receivers[1])
        factory = workerFactory(server)
        self.receivers[1].receiver = ConnectionReceiver(
            self.clock, self.receivers[1], factory)
        self.pool._accepting = True
        self.pool.workerReady(self.pool.workers[1])
        self.pump()
        self.assertTrue(factory.theftAlarm.sounding)
