"""
L{ftpkit.ops.textformat.TextFileLogObserver} given a reactor: the lines
written straight from the events of one poll (L{ftpkit.ops.directlines})
reach the file in one C{write}, with the poll's last line or once its
events are handled, before the reactor next waits, in the order they and
every other line were logged, and none is left behind by a rotation or a
stop.
"""

import io
import os
import signal
from threading import get_ident

from twisted.internet import reactor as globalReactor
from twisted.internet.task import Clock
from twisted.logger import LogLevel, LogPublisher
from twisted.python import logfile, threadable
from twisted.trial import unittest

from ftpkit.compat.dispatch import LazyDispatch
from ftpkit.ops import eventlog, events, logformat
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.textformat import textFileLogObserver
from tests.unit.test_directlines import variedEvents

WHEN = 1700000000.25
"""The time of every line."""


class Turning(Clock):
    """
    A reactor in the middle of handing out the events of a poll (more
    are left), whose turn ends when the test says: the calls queued for
    after the turn run then (C{threadCallQueue}, as the L{LazyDispatch}
    of C{ftpkit}'s server runs them before it waits).

    @ivar triggers: the system event triggers added, as
        C{(phase, event, function)}.
    """

    running = True

    def __init__(self, lazy=True):
        """
        @param lazy: whether it dispatches with L{LazyDispatch}.
        """
        Clock.__init__(self)
        self.threadCallQueue = []
        self.triggers = []
        if lazy:
            self.doIteration = LazyDispatch(self)
            self.doIteration.left = 3

    def addSystemEventTrigger(self, phase, event, function):
        """
        Keep the trigger.
        """
        self.triggers.append((phase, event, function))

    def endTurn(self):
        """
        Run the calls queued for after the turn, and the timed calls due;
        then begin the next poll.
        """
        self.doIteration.left = 0
        queue, self.threadCallQueue = self.threadCallQueue, []
        for function, args, kwargs in queue:
            function(*args, **kwargs)
        self.advance(0)
        self.doIteration.left = 3


class Writes(io.StringIO):
    """
    A text file keeping each C{write} it is given.

    @ivar writes: the texts written, one per call.
    """

    def __init__(self):
        io.StringIO.__init__(self)
        self.writes = []

    def write(self, text):
        """
        Keep C{text}, and write it.
        """
        self.writes.append(text)
        return io.StringIO.write(self, text)


def logged(testCase, observer, made):
    """
    Log C{made} through an L{EventLog} whose logger's only observer is
    C{observer}.

    @param testCase: the running test.
    @param observer: a text observer.
    @param made: the events to log.
    @return: the L{LogPublisher}.
    """
    publisher = LogPublisher(observer)
    testCase.patch(eventlog._log, "observer", publisher)
    testCase.patch(eventlog, "time", lambda: WHEN)
    log = EventLog(Clock())
    for event in made:
        try:
            log(event)
        except Exception:
            pass
    return publisher


def downloads(count):
    """
    @param count: how many.
    @return: C{count} downloads' events, a login before and a logout after.
    """
    return ([events.Event(events.LOGIN, "10.0.0.1", user="alice",
                          session=3)]
            + [events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                            command="RETR", path=f"/{number}.bin", code=226,
                            bytes=16384, seconds=0.01, session=3)
               for number in range(count)]
            + [events.Event(events.LOGOUT, "10.0.0.1", user="alice",
                            seconds=1.5, session=3)])


def general(text):
    """
    @param text: a line's text.
    @return: a log event of that text, another module's.
    """
    return {"log_format": text, "log_level": LogLevel.info,
            "log_namespace": "other", "log_time": WHEN}


class OneWriteTests(unittest.TestCase):
    """
    The lines of one turn go in one C{write}, at its end.
    """

    def setUp(self):
        self.patch(threadable, "ioThread", get_ident())

    def test_oneWrite(self):
        """
        A turn's login, ten downloads and logout: nothing written during
        the turn, one C{write} at its end, of the bytes each line alone
        makes.
        """
        made = downloads(10)
        alone = Writes()
        logged(self, textFileLogObserver(alone), made)
        self.assertEqual(len(alone.writes), 12)
        reactor = Turning()
        out = Writes()
        logged(self, textFileLogObserver(out, reactor=reactor), made)
        self.assertEqual(out.writes, [])
        self.assertEqual(reactor.getDelayedCalls(), [])
        reactor.endTurn()
        self.assertEqual(out.writes, [alone.getvalue()])
        reactor.endTurn()
        self.assertEqual(len(out.writes), 1)

    def test_sameBytes(self):
        """
        Every event of L{variedEvents} (straight, or through the publisher
        for many): the same bytes as without a reactor.
        """
        made = variedEvents()
        alone = Writes()
        logged(self, textFileLogObserver(alone), made)
        reactor = Turning()
        out = Writes()
        logged(self, textFileLogObserver(out, reactor=reactor), made)
        reactor.endTurn()
        self.assertEqual(out.getvalue(), alone.getvalue())
        self.assertLess(len(out.writes), len(alone.writes))

    def test_eachTurn(self):
        """
        Each turn's lines are written at its end.
        """
        reactor = Turning()
        out = Writes()
        observer = textFileLogObserver(out, reactor=reactor)
        logged(self, observer, downloads(1))
        reactor.endTurn()
        logged(self, observer, downloads(2))
        reactor.endTurn()
        self.assertEqual([text.count("\n") for text in out.writes], [3, 4])

    def test_lastEvent(self):
        """
        The line of the poll's last event (or of a timed call, after the
        poll) is written at once, with the lines held, in one C{write}.
        """
        reactor = Turning()
        out = Writes()
        observer = textFileLogObserver(out, reactor=reactor)
        logged(self, observer, downloads(2)[:3])
        reactor.doIteration.left = 0
        logged(self, observer, downloads(2)[3:])
        self.assertEqual(len(out.writes), 1)
        self.assertEqual(out.getvalue().count("\n"), 4)
        reactor.endTurn()
        self.assertEqual(len(out.writes), 1)

    def test_otherReactor(self):
        """
        A reactor that does not dispatch with L{LazyDispatch} has each
        line written at once.
        """
        reactor = Turning(lazy=False)
        out = Writes()
        logged(self, textFileLogObserver(out, reactor=reactor), downloads(2))
        self.assertEqual(len(out.writes), 4)


class OrderTests(unittest.TestCase):
    """
    The lines held come first: whatever is written after them is written
    after them.
    """

    def setUp(self):
        self.patch(threadable, "ioThread", get_ident())
        self.reactor = Turning()
        self.out = Writes()
        self.observer = textFileLogObserver(self.out, reactor=self.reactor)

    def lines(self):
        """
        @return: the texts of the lines written (after their system).
        """
        return [line.split("] ", 1)[1]
                for line in self.out.getvalue().splitlines()]

    def test_otherLine(self):
        """
        A line of another module, through the same publisher, in the
        middle of the turn: written at once, after the lines held.
        """
        publisher = logged(self, self.observer, downloads(1)[:2])
        publisher(general("another line"))
        self.assertEqual(len(self.out.writes), 2)
        logged(self, self.observer, downloads(1)[2:])
        self.reactor.endTurn()
        self.assertEqual(len(self.out.writes), 3)
        texts = self.lines()
        self.assertEqual(texts[2], "another line")
        self.assertIn("alice", texts[0])
        self.assertTrue(texts[3].startswith("logout"), texts[3])

    def test_otherThread(self):
        """
        A line from another thread is written at once, after the lines
        held.
        """
        logged(self, self.observer, downloads(1)[:2])
        self.patch(threadable, "ioThread", object())
        logged(self, self.observer, downloads(1)[2:])
        self.assertEqual(self.out.getvalue().count("\n"), 3)
        self.assertTrue(self.lines()[2].startswith("logout"))


class StopTests(unittest.TestCase):
    """
    Nothing held is lost when the reactor stops.
    """

    def test_afterShutdown(self):
        """
        The observer writes what it holds after the reactor's shutdown
        triggers, once the reactor has stopped turning.
        """
        self.patch(threadable, "ioThread", get_ident())
        reactor = Turning()
        out = Writes()
        observer = textFileLogObserver(out, reactor=reactor)
        logged(self, observer, downloads(3))
        self.assertEqual(reactor.triggers,
                         [("after", "shutdown", observer.flushLines)])
        reactor.triggers[0][2]()
        self.assertEqual(len(out.writes), 1)
        self.assertEqual(out.getvalue().count("\n"), 5)

    def test_installedReactor(self):
        """
        C{--log-format text}'s observer (L{logformat.fileObserver}) holds
        the lines of the installed reactor's turns, and writes them after
        its shutdown.
        """
        added = []
        self.patch(globalReactor, "addSystemEventTrigger",
                   lambda *args: added.append(args))
        observer = logformat.fileObserver(io.StringIO(), "text")
        self.assertIs(observer._reactor, globalReactor)
        self.assertEqual(added, [("after", "shutdown", observer.flushLines)])


class RotationTests(unittest.TestCase):
    """
    C{SIGUSR1} rotates C{twistd}'s log file after writing the lines held
    to it: each line goes to the file it went to unheld.
    """

    def test_rotationInTurn(self):
        """
        A rotation (C{SIGUSR1}, queued for the reactor before the turn's
        first line) in the middle of a turn: the lines before it in the
        rotated file, those after it in the new one.
        """
        self.patch(threadable, "ioThread", get_ident())
        directory = self.mktemp()
        os.mkdir(directory)
        path = os.path.join(directory, "ftpkit.log")
        handlers = []
        self.patch(signal, "getsignal", lambda number: None)
        self.patch(signal, "signal",
                   lambda number, handler: handlers.append(handler))
        reactor = Turning()
        self.patch(globalReactor, "callFromThread",
                   lambda function, *args: reactor.threadCallQueue.append(
                       (function, args, {})))
        self.patch(globalReactor, "addSystemEventTrigger",
                   lambda *args: None)
        self.patch(logformat, "_twistdOptions", {"logfile": path})
        observer = logformat.textTwistdObserver()
        observer._reactor = reactor
        self.addCleanup(observer.outFile.close)
        self.assertIsInstance(observer.outFile, logfile.LogFile)
        [rotate] = handlers
        rotate(signal.SIGUSR1, None)
        logged(self, observer, downloads(1)[:2])
        # The rotation, queued first, runs first at the end of the turn.
        self.assertEqual(len(reactor.getDelayedCalls()), 1)
        reactor.endTurn()
        logged(self, observer, downloads(1)[2:])
        reactor.endTurn()
        with open(path + ".1") as rotated:
            self.assertEqual(rotated.read().count("\n"), 2)
        with open(path) as current:
            self.assertIn("logout", current.read())
