"""
Tests for L{ftpkit.deploy.workerrelay}: what the acceptor passes on to its
workers.
"""

from twisted.internet import error as netError
from twisted.trial import unittest

from ftpkit.deploy import workerrelay
from tests.workerpools import LineChannel


class _Transport:
    """
    A worker's process transport that keeps the signals sent, or raises
    when the process exited.
    """

    def __init__(self, exited=False):
        self.exited = exited
        self.signals = []

    def signalProcess(self, name):
        """
        @param name: the signal.
        """
        if self.exited:
            raise netError.ProcessExitedAlready()
        self.signals.append(name)


class _Worker:
    """
    A worker, as the relay sees it.
    """

    def __init__(self, alive=True, ready=True, exited=False):
        self.alive = alive
        self.ready = ready
        self.reloadPending = False
        self.channel = LineChannel()
        self.transport = _Transport(exited)


class RelayTests(unittest.SynchronousTestCase):
    """
    L{workerrelay} with stand-in workers.
    """

    def test_tellAll(self):
        """
        Every running worker gets the line; one that ended does not.
        """
        running, ended = _Worker(), _Worker(alive=False)
        workerrelay.tellAll([running, ended], b"theft")
        self.assertEqual(running.channel.lines, [b"theft"])
        self.assertEqual(ended.channel.lines, [])

    def test_signalExited(self):
        """
        A worker that exited already is left alone, the others signalled.
        """
        exited, running = _Worker(exited=True), _Worker()
        workerrelay.signalAll([exited, running], "TERM")
        self.assertEqual(running.transport.signals, ["TERM"])

    def test_reloadOnceReady(self):
        """
        C{SIGHUP} reaches a ready worker at once, and one still starting
        when L{workerrelay.hangUp} is called once it is ready: as a line,
        C{reload}, not as a signal (a worker's signals are its
        acceptor's).
        """
        ready, starting = _Worker(), _Worker(ready=False)
        workerrelay.reload([ready, starting])
        self.assertEqual(ready.channel.lines, [b"reload"])
        self.assertEqual(starting.channel.lines, [])
        self.assertTrue(starting.reloadPending)
        workerrelay.hangUp(starting)
        self.assertEqual(starting.channel.lines, [b"reload"])
        self.assertFalse(starting.reloadPending)
        self.assertEqual(ready.transport.signals + starting.transport.signals,
                         [])

    def test_stopAll(self):
        """
        The acceptor's C{SIGTERM} reaches every running worker as a line,
        C{stop}, not as a signal.
        """
        running, ended = _Worker(), _Worker(alive=False)
        workerrelay.stopAll([running, ended])
        self.assertEqual(running.channel.lines, [b"stop"])
        self.assertEqual(ended.channel.lines, [])
        self.assertEqual(running.transport.signals, [])
