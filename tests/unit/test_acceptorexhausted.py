"""
The acceptor of C{--workers} out of descriptors
(L{ftpkit.deploy.acceptor.Acceptor}): in one turn of the reactor it
refuses, with its spare descriptor, every client waiting, up to the
bound a one-process listener has
(L{ftpkit.deploy.listening.EXHAUSTED_AT_ONCE}); it refused one a turn.
Where even the spare frees none, it pauses accepting
(L{ftpkit.deploy.acceptpause.AcceptPause}).
"""

import errno

from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.deploy import fdlimit
from ftpkit.deploy.acceptor import Acceptor
from ftpkit.deploy.acceptpause import LOG_EVERY, PAUSE, AcceptPause
from ftpkit.deploy.listening import EXHAUSTED_AT_ONCE


class Connection:
    """
    An accepted connection that records its close.
    """

    def __init__(self, number):
        self.number = number
        self.closed = False

    def close(self):
        self.closed = True


class ExhaustedListener:
    """
    A listening socket whose C{accept} fails with C{EMFILE} while the
    spare descriptor is held, and otherwise gives the clients waiting.

    @ivar waiting: the clients left in the listen queue.
    """

    def __init__(self, spare, waiting):
        self.spare = spare
        self.waiting = waiting
        self.accepted = []

    def accept(self):
        if self.spare.held:
            raise OSError(errno.EMFILE, "Too many open files")
        if not self.waiting:
            raise BlockingIOError(errno.EAGAIN, "none waits")
        self.waiting -= 1
        connection = Connection(len(self.accepted))
        self.accepted.append(connection)
        return connection, ("192.0.2.7", 40000 + connection.number)


class Spare:
    """
    A L{fdlimit.SpareDescriptor} that only says whether it is held.
    """

    held = True
    gone = False

    @property
    def fd(self):
        return 3 if self.held else None

    def release(self):
        held, self.held = self.held, False
        return held

    def reserve(self):
        self.held = not self.gone


class Reactor(Clock):
    """
    A clock that keeps the readers it is given.
    """

    def __init__(self):
        Clock.__init__(self)
        self.readers = []

    def addReader(self, reader):
        self.readers.append(reader)

    def removeReader(self, reader):
        self.readers.remove(reader)


class Dispatcher:
    """
    What the acceptor uses of a dispatcher when out of descriptors.
    """

    def __init__(self):
        self.spare = Spare()
        self.refused = []
        self.reactor = Reactor()

    def refuse(self, connection, host, refusal):
        self.refused.append((connection.number, host, refusal))


class ExhaustedAcceptorTests(unittest.SynchronousTestCase):
    """
    L{Acceptor.doRead} when C{accept} fails for want of a descriptor.
    """

    def read(self, waiting):
        """
        @param waiting: clients in the listen queue.
        @return: the dispatcher and the listener, after one turn.
        """
        dispatcher = Dispatcher()
        listener = ExhaustedListener(dispatcher.spare, waiting)
        Acceptor(dispatcher, listener).doRead()
        return dispatcher, listener

    def test_everyWaiting(self):
        """
        Every client waiting is refused (C{421}, L{fdlimit.REFUSAL}) and
        closed in one turn, and the spare is held again.
        """
        dispatcher, listener = self.read(5)
        self.assertEqual(dispatcher.refused,
                         [(number, "192.0.2.7", fdlimit.REFUSAL)
                          for number in range(5)])
        self.assertTrue(all(c.closed for c in listener.accepted))
        self.assertEqual(listener.waiting, 0)
        self.assertTrue(dispatcher.spare.held)

    def test_bounded(self):
        """
        No more than L{EXHAUSTED_AT_ONCE} in one turn: a client
        connecting as fast as it can does not hold the turn.
        """
        dispatcher, listener = self.read(EXHAUSTED_AT_ONCE + 20)
        self.assertEqual(len(dispatcher.refused), EXHAUSTED_AT_ONCE)
        self.assertEqual(listener.waiting, 20)
        self.assertTrue(dispatcher.spare.held)

    def test_noSpare(self):
        """
        Without the spare (given up on a turn that had no descriptor to
        take it back with), nothing is accepted, and the spare is taken
        again (it was only after a refusal, which needed it).
        """
        dispatcher = Dispatcher()
        dispatcher.spare.held = False
        listener = ExhaustedListener(Spare(), 3)
        Acceptor(dispatcher, listener).doRead()
        self.assertEqual(dispatcher.refused, [])
        self.assertEqual(listener.waiting, 3)
        self.assertTrue(dispatcher.spare.held)


class StarvedSocket(ExhaustedListener):
    """
    A listening socket whose C{accept} always fails with C{EMFILE} (the
    spare's number is above the limit), open until closed.
    """

    def __init__(self):
        ExhaustedListener.__init__(self, Spare(), 3)
        self.closed = False

    def fileno(self):
        return -1 if self.closed else 7


class StarvedAcceptorTests(unittest.SynchronousTestCase):
    """
    Where even the spare frees no descriptor, the acceptor stops reading
    its socket for L{PAUSE} seconds: readable every turn, it ran its
    accept at full CPU.
    """

    def setUp(self):
        self.dispatcher = Dispatcher()
        self.dispatcher.spare.gone = True
        self.listener = StarvedSocket()
        self.acceptor = Acceptor(self.dispatcher, self.listener)
        self.reactor = self.dispatcher.reactor
        self.reactor.addReader(self.acceptor)

    def test_paused(self):
        """
        Reading stops, then starts again after the pause.
        """
        self.acceptor.doRead()
        self.assertEqual(self.reactor.readers, [])
        self.assertEqual(self.listener.waiting, 3)
        self.reactor.advance(PAUSE)
        self.assertEqual(self.reactor.readers, [self.acceptor])

    def test_spareGoneLater(self):
        """
        A spare given up before, which cannot be taken again, pauses
        reading too.
        """
        self.dispatcher.spare.held = False
        self.acceptor.doRead()
        self.assertEqual(self.reactor.readers, [])

    def test_closedMeanwhile(self):
        """
        An acceptor stopped during the pause does not read again.
        """
        self.acceptor.doRead()
        self.listener.closed = True
        self.reactor.advance(PAUSE)
        self.assertEqual(self.reactor.readers, [])


class AcceptPauseTests(unittest.SynchronousTestCase):
    """
    L{AcceptPause}: one pause at a time, one line a minute at most.
    """

    def test_linesBounded(self):
        """
        Pauses within L{LOG_EVERY} seconds of the line give none; the
        first after gives one; a pause asked during one changes nothing.
        """
        clock, calls, events = Clock(), [], []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        pause = AcceptPause(clock, lambda: calls.append("stop"),
                            lambda: calls.append("start"), lambda: 42)
        pause.pause()
        pause.pause()
        clock.advance(PAUSE)
        pause.pause()
        clock.advance(LOG_EVERY)
        pause.pause()
        self.assertEqual(calls, ["stop", "start", "stop", "start", "stop"])
        lines = [formatEvent(event) for event in events
                 if event.get("log_namespace", "").startswith(
                     "ftpkit.deploy.acceptpause")]
        self.assertEqual(len(lines), 2)
        self.assertIn("the limit of open files, 42,", lines[0])
