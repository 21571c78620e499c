"""
L{ftpkit.deploy.deadworker.closeAfterEvents}, with the reactor trial
runs: a worker's descriptors closed while the reactor handles one poll's
events keep their numbers until every event of that poll is handled.
"""

import os
import socket

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReadDescriptor
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.deploy.logpipe import PacedPipe, logPipe


@implementer(IReadDescriptor)
class Reader:
    """
    A descriptor the reactor watches for reading, calling C{whenRead}
    (once) and noting whether the reactor gave it up.
    """

    def __init__(self, descriptor, whenRead=None):
        self.descriptor = descriptor
        self.whenRead = whenRead
        self.lost = None

    def fileno(self):
        return self.descriptor

    def logPrefix(self):
        return "test-reader"

    def doRead(self):
        whenRead, self.whenRead = self.whenRead, None
        if whenRead is not None:
            whenRead()

    def connectionLost(self, reason):
        self.lost = reason


def lowestFree(reference, limit):
    """
    Take the lowest free descriptor numbers until one is C{limit} or
    above, as the next descriptors opened would.

    @param reference: a descriptor to duplicate.
    @param limit: the number looked for.
    @return: C{(found, fillers)}: the duplicate numbered C{limit}, or
        C{None} where C{limit} is taken, and the lower ones to close.
    """
    fillers = []
    while True:
        number = os.dup(reference)
        if number == limit:
            return number, fillers
        if number > limit:
            os.close(number)
            return None, fillers
        fillers.append(number)


class LogPipeClosedInPollTests(unittest.TestCase):
    """
    A worker's log pipe closed by the handling of an event (its exit) while
    the same poll also found the pipe's hang-up: the pipe's number is not
    given to a descriptor opened meanwhile (the replacement worker's
    channel), which that hang-up would otherwise end.
    """

    def test_numberKept(self):
        readEnd, writeEnd = logPipe()
        pipe = PacedPipe(readEnd, lambda data: None, reactor)
        trigger, poke = socket.socketpair()
        self.addCleanup(trigger.close)
        self.addCleanup(poke.close)
        spare, spareEnd = socket.socketpair()
        self.addCleanup(spare.close)
        self.addCleanup(spareEnd.close)
        opened = []
        handled = Deferred()

        def workerExited():
            pipe.close()
            number, fillers = lowestFree(spare.fileno(), readEnd)
            for filler in fillers:
                os.close(filler)
            replacement = Reader(
                spare.fileno() if number is None else number)
            opened.append((number, replacement))
            reactor.addReader(replacement)
            # Checked once every event of this poll was handled.
            reactor.callLater(0, reactor.callLater, 0, handled.callback,
                              None)

        exiting = Reader(trigger.fileno(), workerExited)
        reactor.addReader(exiting)
        self.addCleanup(reactor.removeReader, exiting)
        # One poll finds both: the exit first, then the pipe's hang-up.
        poke.send(b"x")
        os.close(writeEnd)

        def check(ignored):
            [(number, replacement)] = opened
            reactor.removeReader(replacement)
            if number is not None:
                os.close(number)
            self.assertIsNone(replacement.lost)
            self.assertIsNone(number)

        return handled.addCallback(check)
