"""
The acceptor of C{--workers} out of descriptors
(L{ftpkit.deploy.acceptor.Acceptor}): in one turn of the reactor it
refuses, with its spare descriptor, every client waiting, up to the
bound a one-process listener has
(L{ftpkit.deploy.listening.EXHAUSTED_AT_ONCE}); it refused one a turn.
"""

import errno

from twisted.trial import unittest

from ftpkit.deploy import fdlimit
from ftpkit.deploy.acceptor import Acceptor
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

    def release(self):
        held, self.held = self.held, False
        return held

    def reserve(self):
        self.held = True


class Dispatcher:
    """
    What the acceptor uses of a dispatcher when out of descriptors.
    """

    def __init__(self):
        self.spare = Spare()
        self.refused = []

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
