"""
Tests for L{ftpkit.deploy.workersignals}: a worker's signals are its
acceptor's; it reloads and stops at the acceptor's word.
"""

import signal

from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.deploy.worker import ConnectionReceiver
from ftpkit.deploy.workersignals import (
    QUIT,
    RELOAD,
    STOP,
    LeaveToAcceptor,
    signalledLine,
)
from ftpkit.deploy.workerstop import STOP_MARGIN
from tests.loglines import LoggedLines
from tests.workerpools import LineChannel, poolWithWorkers


class _Reactor:
    """
    A reactor running what is called from a thread at once, and counting
    its stops.
    """

    def __init__(self):
        self.stops = 0

    def callFromThread(self, function, *args):
        """
        Call C{function} with C{args} now.
        """
        function(*args)

    def stop(self):
        """
        Count a stop.
        """
        self.stops += 1


class LeaveToAcceptorTests(unittest.SynchronousTestCase):
    """
    The worker's side.
    """

    def setUp(self):
        self.channel = LineChannel()
        self.reactor = _Reactor()
        self.leaving = LeaveToAcceptor(self.channel, self.reactor)

    def test_signalledTold(self):
        """
        A C{SIGTERM} to the worker stops nothing: the acceptor is told,
        each time.
        """
        self.leaving._signalled(signal.SIGTERM, None)
        self.leaving._signalled(signal.SIGTERM, None)
        self.assertEqual(self.channel.lines,
                         [b"signalled SIGTERM", b"signalled SIGTERM"])
        self.assertEqual(self.reactor.stops, 0)

    def test_stopOnce(self):
        """
        The acceptor's C{stop} stops the reactor, once.
        """
        self.leaving.stop()
        self.leaving.stop()
        self.assertEqual(self.reactor.stops, 1)
        self.assertTrue(self.leaving.stopping)

    def test_quit(self):
        """
        The acceptor's C{quit} cuts the worker's transfers (its hurries)
        and stops the reactor, once.
        """
        hurried = []
        self.leaving.hurries.append(lambda: hurried.append(True))
        self.leaving.quit()
        self.assertEqual(hurried, [True])
        self.assertEqual(self.reactor.stops, 1)
        self.leaving.stop()
        self.assertEqual(self.reactor.stops, 1)

    def test_signalledLine(self):
        """
        The line names the signal.
        """
        self.assertEqual(signalledLine(signal.SIGTERM), b"signalled SIGTERM")

    def test_words(self):
        """
        The worker's receiver calls what the acceptor's C{reload} and
        C{stop} lines name, and answers pings as before.
        """
        called = []
        receiver = ConnectionReceiver(
            None, self.channel, None,
            words={RELOAD: lambda: called.append("reload"),
                   STOP: lambda: called.append("stop"),
                   QUIT: lambda: called.append("quit")})
        for line in (RELOAD, b"ping", STOP, QUIT):
            receiver.lineReceived(line, [])
        self.assertEqual(called, ["reload", "stop", "quit"])
        self.assertEqual(self.channel.lines, [b"pong"])


class _Stopping:
    """
    The acceptor's L{ftpkit.deploy.stopsignals.StopOnce}, as the pool
    sees it.
    """

    stopping = False


class WorkerSignalledTests(LoggedLines, unittest.SynchronousTestCase):
    """
    The acceptor's side: L{WorkerPool.workerSignalled}.
    """

    def setUp(self):
        self.pool, self.ends = poolWithWorkers(self)
        self.pool.stopSignals = _Stopping()
        self.captureLog()

    def received(self, end):
        """
        @return: the lines a worker's end of its socket holds.
        """
        try:
            return end.recv(65536).split(b"\n")[:-1]
        except BlockingIOError:
            return []

    def test_alone(self):
        """
        A worker given C{SIGTERM} alone is told to stop, is handed no
        more connections, and the log says so once; a second C{SIGTERM}
        is one line more, and nothing else.
        """
        worker, other = self.pool.workers
        worker.pid = 4321
        worker.lineReceived(b"signalled SIGTERM", [])
        self.assertEqual(self.received(self.ends[0]), [b"stop"])
        self.assertEqual(self.received(self.ends[1]), [])
        self.assertEqual(self.pool.readyWorkers(), [other])
        worker.lineReceived(b"signalled SIGTERM", [])
        self.assertEqual(self.received(self.ends[0]), [])
        self.assertEqual(self.lines(), [
            "worker 4321: SIGTERM: stopping it; another starts once it "
            "exited",
            "worker 4321: SIGTERM again: already stopping, transfers "
            "running still finish"])

    def test_hurry(self):
        """
        The acceptor's C{SIGQUIT} tells every worker to quit, and once
        the pool stops, kills those still running L{STOP_MARGIN} later,
        not after their grace.
        """
        self.pool.hurry()
        self.assertEqual([self.received(end) for end in self.ends],
                         [[QUIT], [QUIT]])
        self.pool.stopService()
        clock = self.pool.reactor
        clock.advance(STOP_MARGIN)
        self.assertEqual([worker.transport.signals
                          for worker in self.pool.workers],
                         [[signal.SIGKILL], [signal.SIGKILL]])

    def test_hurryWhileStopping(self):
        """
        A C{SIGQUIT} while the pool stops brings the kill of the workers
        still running to L{STOP_MARGIN} from now.
        """
        self.pool.stopService()
        clock = self.pool.reactor
        clock.advance(1)
        self.pool.hurry()
        self.assertEqual([self.received(end) for end in self.ends],
                         [[STOP, QUIT], [STOP, QUIT]])
        clock.advance(STOP_MARGIN)
        self.assertEqual([worker.transport.signals
                          for worker in self.pool.workers],
                         [[signal.SIGKILL], [signal.SIGKILL]])

    def test_withTheAcceptor(self):
        """
        A worker's C{SIGTERM} while the acceptor's own has come (the
        signal was sent to every process) changes nothing and logs
        nothing: the acceptor's stop reaches every worker.
        """
        self.pool.stopSignals.stopping = True
        for worker in self.pool.workers:
            worker.lineReceived(b"signalled SIGTERM", [])
        self.assertEqual([self.received(end) for end in self.ends], [[], []])
        self.assertEqual(self.lines(), [])

    def test_endedWhileSignalled(self):
        """
        A worker that exits once the acceptor's own C{SIGTERM} came, but
        before its service stopped (one still starting, without the
        worker's handler yet, ended by the signal sent to every process),
        is not replaced, and no error is logged: it was replaced, with
        an error line.
        """
        started = []
        self.pool._startWorker = lambda: started.append(True)
        self.pool.stopSignals.stopping = True
        worker = self.pool.workers[0]
        worker.pid = 4321
        worker.processEnded(Failure(Exception("killed")))
        self.assertEqual(started, [])
        self.assertEqual(self.lines(), [])
