"""
The files a plugin's shell opens, held by L{ftpkit.shells.contract}: their
failures are lines counted with the session's others (ten a minute for
each method, then one line counting the rest), and a peer gone is no
plugin's fault.
"""

from twisted.internet.defer import fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.errors import FTPError
from ftpkit.interfaces import IRandomReadFile, IReadFile
from ftpkit.shells.contract import COMPLAINT_LINES, heldToContract
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import CollectingConsumer


@implementer(IReadFile)
class FailingSender:
    """
    An L{IReadFile} whose C{send} fails with C{error}.
    """

    size = 1

    def __init__(self, error):
        """
        @param error: the exception C{send} fails with.
        """
        self.error = error

    def send(self, consumer):
        """
        @return: a failed Deferred.
        """
        return fail(self.error)

    def close(self):
        """
        @raise RuntimeError: always.
        """
        raise RuntimeError("close broke")


@implementer(IRandomReadFile)
class FailingReads:
    """
    An L{IRandomReadFile} whose reads fail.
    """

    size = 1

    def readAt(self, offset, length):
        """
        @return: a failed Deferred.
        """
        return fail(RuntimeError("readAt broke"))

    def close(self):
        """
        Nothing to release.
        """


class OpeningShell(MemoryShell):
    """
    A L{MemoryShell} from outside ftpkit opening what C{opens} makes.
    """

    def __init__(self, opens):
        """
        @param opens: called for each download; gives the file.
        """
        MemoryShell.__init__(self)
        self.opens = opens

    def openForReading(self, path, offset=0):
        """
        @return: a fired Deferred of C{opens()}.
        """
        return succeed(self.opens())


class HeldFilesTests(unittest.TestCase):
    """
    A session's held shell opens held files.
    """

    def held(self, opens):
        """
        @param opens: see L{OpeningShell}.
        @return: the session's held shell, on a L{Clock}.
        """
        shell = heldToContract(OpeningShell(opens))
        shell.clock = Clock()
        return shell

    def send(self, shell):
        """
        Open a download and send it.

        @return: the failure its C{send} gave.
        """
        opened = self.successResultOf(shell.openForReading(("f",)))
        return self.failureResultOf(opened.send(CollectingConsumer()))

    def test_peerGone(self):
        """
        A C{send} failing with L{ConnectionLost} (the client went away)
        fails as it is, with no line.
        """
        shell = self.held(lambda: FailingSender(ConnectionLost()))
        with capturedLogs() as logged:
            failure = self.send(shell)
        failure.trap(ConnectionLost)
        self.assertEqual(logged, [])

    def test_sendFlood(self):
        """
        C{send} failing with another exception: an L{FTPError}, and ten
        lines for fifteen downloads, the one after them counting.
        """
        shell = self.held(lambda: FailingSender(RuntimeError("boom")))
        with capturedLogs() as logged:
            for _ in range(15):
                self.send(shell).trap(FTPError)
            shell.stopComplaints()
        lines = [formatEvent(event) for event in logged]
        self.assertEqual(len(lines), COMPLAINT_LINES + 1, lines)
        self.assertIn("FailingSender.send failed with RuntimeError: boom",
                      lines[0])
        self.assertEqual(lines[-1], "FailingSender.send contract breaches "
                                    "not logged: 5")

    def test_closeFlood(self):
        """
        A C{close} raising: ten lines for fifteen downloads released,
        none raised.
        """
        shell = self.held(lambda: FailingSender(RuntimeError("boom")))
        with capturedLogs() as logged:
            for _ in range(15):
                opened = self.successResultOf(shell.openForReading(("f",)))
                self.successResultOf(opened.close())
        self.assertEqual(len(logged), COMPLAINT_LINES)
        self.assertIn("FailingSender.close failed with RuntimeError",
                      formatEvent(logged[0]))

    def test_readFlood(self):
        """
        A file read at offsets whose reads fail: one line a download,
        ten for fifteen downloads.
        """
        shell = self.held(FailingReads)
        with capturedLogs() as logged:
            for _ in range(15):
                self.send(shell).trap(FTPError)
        self.assertEqual(len(logged), COMPLAINT_LINES)
        self.assertIn("RuntimeError: readAt broke", formatEvent(logged[0]))
