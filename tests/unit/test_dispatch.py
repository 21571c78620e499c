"""
Tests for L{ftpkit.compat.dispatch}: the C{epoll} reactor's ready
descriptors handled with the log context made only when used, each line
logged meanwhile naming the same C{system} as under Twisted's own
C{doPoll}.
"""

import os
import socket

from twisted.internet import epollreactor, selectreactor
from twisted.python import context, log
from twisted.trial import unittest

from ftpkit.compat.dispatch import LazyDispatch, dispatchLazily, eventsLeft
from ftpkit.data.descriptors import closeSocket


class _Reader:
    """
    A pipe's reading end that runs C{action} when readable.
    """

    def __init__(self, name, action):
        self.name = name
        self.action = action
        self.lost = []
        self.readEnd, self.writeEnd = os.pipe()

    def fileno(self):
        return self.readEnd

    def logPrefix(self):
        return self.name

    def doRead(self):
        os.read(self.readEnd, 100)
        return self.action()

    def connectionLost(self, reason):
        self.lost.append(reason)

    def close(self):
        os.close(self.readEnd)
        os.close(self.writeEnd)


class _BuggyPrefix(_Reader):
    """
    A reader whose C{logPrefix} raises.
    """

    def logPrefix(self):
        raise ValueError("no prefix")


class _RecordingPoller:
    """
    An C{epoll} object's stand-in that records each poll's timeout, and
    polls the real one only when told not to wait (a test that would
    otherwise block forever gets nothing instead).

    @ivar timeouts: the timeouts asked for, in order.
    """

    def __init__(self, poller):
        self._poller = poller
        self.timeouts = []

    def poll(self, timeout, maxevents=-1):
        self.timeouts.append(timeout)
        if timeout != 0:
            return []
        return self._poller.poll(0, maxevents)

    def __getattr__(self, name):
        return getattr(self._poller, name)


class LazyDispatchTests(unittest.TestCase):
    """
    L{LazyDispatch} against Twisted's own C{doPoll}, on a reactor of its
    own (never run: each test polls it once).
    """

    def setUp(self):
        self.reactor = epollreactor.EPollReactor()
        self.addCleanup(self.reactor._poller.close)
        self.addCleanup(self.reactor.removeAll)
        self.events = []
        log.addObserver(self.events.append)
        self.addCleanup(log.removeObserver, self.events.append)

    def reader(self, name, action, kind=_Reader):
        """
        @return: a ready reader, watched by the reactor.
        """
        reader = kind(name, action)
        self.addCleanup(reader.close)
        os.write(reader.writeEnd, b"x")
        self.reactor.addReader(reader)
        self.addCleanup(self.reactor.removeReader, reader)
        return reader

    def systems(self, poll):
        """
        Poll once with C{poll}.

        @return: the C{system} of each line logged meanwhile, with its
            message.
        """
        del self.events[:]
        poll(0)
        return [(event["system"], event["message"]) for event in self.events]

    def both(self, name, action, kind=_Reader):
        """
        Run C{action} in a ready reader's C{doRead} under Twisted's
        C{doPoll}, then under L{LazyDispatch}.

        @return: what each logged (L{systems}).
        """
        reader = self.reader(name, action, kind)
        twisted = self.systems(self.reactor.doPoll)
        os.write(reader.writeEnd, b"x")
        lazy = self.systems(LazyDispatch(self.reactor))
        return twisted, lazy

    def test_system(self):
        """
        A line logged while a descriptor is handled names its
        C{logPrefix}, as under Twisted's C{doPoll}.
        """
        twisted, lazy = self.both("FTPProtocol,7,10.0.0.1",
                                  lambda: log.msg("hello"))
        self.assertEqual(twisted, [("FTPProtocol,7,10.0.0.1", ("hello",))])
        self.assertEqual(lazy, twisted)

    def test_nested(self):
        """
        A context pushed while the descriptor is handled is read first,
        and inherits from the event's.
        """
        def action():
            log.callWithContext({"system": "inner"}, log.msg, "one")
            log.callWithContext({"other": 1}, log.msg, "two")

        twisted, lazy = self.both("outer", action)
        self.assertEqual(twisted, [("inner", ("one",)), ("outer", ("two",))])
        self.assertEqual(lazy, twisted)

    def test_eachDescriptor(self):
        """
        Two descriptors ready in one poll each log under their own
        C{logPrefix}.
        """
        self.reader("first", lambda: log.msg("a"))
        self.reader("second", lambda: log.msg("b"))
        self.assertEqual(sorted(self.systems(LazyDispatch(self.reactor))),
                         [("first", ("a",)), ("second", ("b",))])

    def test_error(self):
        """
        A C{doRead} that raises is logged under the descriptor's
        C{logPrefix} and disconnects it, as under Twisted's C{doPoll}; the
        context stack is as it was.
        """
        def action():
            raise ZeroDivisionError()

        stack = context.theContextTracker.currentContext().contexts
        depth = len(stack)
        first = self.reader("failing", action)
        twisted = self.systems(self.reactor.doPoll)
        second = self.reader("failing", action)
        lazy = self.systems(LazyDispatch(self.reactor))
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 2)
        self.assertEqual([system for system, _ in twisted], ["failing"])
        self.assertEqual(lazy, twisted)
        self.assertEqual((len(first.lost), len(second.lost)), (1, 1))
        self.assertEqual(len(stack), depth)

    def test_buggyPrefix(self):
        """
        A C{logPrefix} that raises is named as C{callWithLogger} names it,
        and logged.
        """
        twisted, lazy = self.both("ignored", lambda: log.msg("hi"),
                                  _BuggyPrefix)
        self.flushLoggedErrors(ValueError)
        self.assertIn(("(buggy logPrefix method)", ("hi",)), twisted)
        self.assertIn(("(buggy logPrefix method)", ("hi",)), lazy)

    def test_notLogging(self):
        """
        A descriptor handled without logging leaves its context unmade.
        """
        made = []
        self.reader("quiet", lambda: made.append(
            context.theContextTracker.currentContext().contexts[-1]))
        LazyDispatch(self.reactor)(0)
        self.assertEqual(len(made), 1)
        self.assertEqual(dict(made[0]), {})

    def test_otherTracker(self):
        """
        With another context tracker installed, descriptors are handled
        through C{callWithLogger}, as Twisted's C{doPoll} does.
        """
        original = context.theContextTracker
        self.addCleanup(context.installContextTracker, original)
        context.installContextTracker(context.ContextTracker())
        self.reader("plain", lambda: log.msg("hello"))
        self.assertEqual(self.systems(LazyDispatch(self.reactor)),
                         [("plain", ("hello",))])


    def recordPolls(self):
        """
        @return: the L{_RecordingPoller} now standing in for the reactor's.
        """
        recorder = _RecordingPoller(self.reactor._poller)
        self.patch(self.reactor, "_poller", recorder)
        return recorder

    def test_queuedCallsNoWait(self):
        """
        While the reactor's C{threadCallQueue} holds calls (queued by a
        timed call with L{ftpkit.compat.afterThisTurn}), it polls without
        waiting, whatever its timed calls allow; then it waits again.
        """
        recorder = self.recordPolls()
        dispatch = LazyDispatch(self.reactor)
        self.reactor.threadCallQueue.append((lambda: None, (), {}))
        dispatch(None)
        dispatch(5)
        del self.reactor.threadCallQueue[:]
        dispatch(None)
        self.assertEqual(recorder.timeouts, [0, 0, -1])

    def test_eventsLeft(self):
        """
        While it handles the descriptors one poll gave, L{eventsLeft} tells
        how many are still to be handled after the current one; none
        before the poll and after it.
        """
        dispatchLazily(self.reactor)
        seen = []
        for name in ("a", "b", "c"):
            self.reader(name,
                        lambda: seen.append(eventsLeft(self.reactor)))
        self.assertEqual(eventsLeft(self.reactor), 0)
        self.reactor.doIteration(0)
        self.assertEqual(seen, [2, 1, 0])
        self.assertEqual(eventsLeft(self.reactor), 0)

    def test_eventsLeftOtherDispatch(self):
        """
        A reactor that does not dispatch with L{LazyDispatch} has no
        events known to be left.
        """
        self.assertEqual(eventsLeft(self.reactor), 0)

    def test_timedCloseFreesNumber(self):
        """
        A socket closed by a timed call (the listener pool's purge, an
        idle timeout) has its descriptor number freed in that turn, not
        held by C{/dev/null} until the next event (an idle server may
        have none).
        """
        if not os.path.isdir("/proc/self/fd"):
            raise unittest.SkipTest("needs /proc/self/fd to name descriptors")
        dispatchLazily(self.reactor)
        recorder = self.recordPolls()
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        number = listener.fileno()
        self.reactor.callLater(0, closeSocket, self.reactor, listener)
        self.reactor.runUntilCurrent()
        self.assertEqual(os.readlink(f"/proc/self/fd/{number}"), os.devnull)
        self.reactor.doIteration(self.reactor.timeout())
        self.reactor.runUntilCurrent()
        self.assertEqual(recorder.timeouts, [0])
        self.assertFalse(os.path.exists(f"/proc/self/fd/{number}"))


class DispatchLazilyTests(unittest.TestCase):
    """
    L{dispatchLazily} takes the C{epoll} reactor only.
    """

    def test_epoll(self):
        """
        Twisted's C{epoll} reactor handles its descriptors with a
        L{LazyDispatch}.
        """
        reactor = epollreactor.EPollReactor()
        self.addCleanup(reactor._poller.close)
        self.addCleanup(reactor.removeAll)
        self.assertTrue(dispatchLazily(reactor))
        self.assertIsInstance(reactor.doIteration, LazyDispatch)

    def test_other(self):
        """
        Another reactor is left as it is.
        """
        reactor = selectreactor.SelectReactor()
        self.addCleanup(reactor.removeAll)
        self.assertFalse(dispatchLazily(reactor))
        self.assertNotIn("doIteration", vars(reactor))
