"""
The log line C{SIGHUP} writes (L{ftpkit.deploy.hangup}): a plain sentence,
the same in one process and in each worker, and in the acceptor of
C{--workers} one that says it passes the signal on.
"""

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.deploy.hangup import ReloadOnHangup


class HangupLineTests(unittest.TestCase):
    """
    L{ReloadOnHangup.reloadAll} logs one line, then reloads.
    """

    def linesOf(self, hangup):
        """
        @param hangup: a L{ReloadOnHangup}.
        @return: the text and C{count} field of each line its
            C{reloadAll} logs.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        try:
            hangup.reloadAll()
        finally:
            globalLogPublisher.removeObserver(logged.append)
        return [(formatEvent(event), event["count"]) for event in logged]

    def test_reloading(self):
        """
        A process with something to reload says it reloads users and
        certificates; it said C{SIGHUP: reloading (2 to reload)}.
        """
        called = []
        hangup = ReloadOnHangup([lambda: called.append(1),
                                 lambda: called.append(2)])
        self.assertEqual(self.linesOf(hangup),
                         [("SIGHUP: reloading users and certificates", 2)])
        self.assertEqual(called, [1, 2])

    def test_nothing(self):
        """
        A process with nothing to reload says so.
        """
        self.assertEqual(
            self.linesOf(ReloadOnHangup([])),
            [("SIGHUP: reloading nothing (no users file or certificate)",
              0)])

    def test_acceptor(self):
        """
        The acceptor of C{--workers} says how many workers it passes the
        signal on to; it said C{SIGHUP: reloading (1 to reload)}, its one
        callable passing it on.
        """
        called = []
        hangup = ReloadOnHangup([lambda: called.append(True)], workers=3)
        self.assertEqual(self.linesOf(hangup),
                         [("SIGHUP: reloading 3 workers", 3)])
        self.assertEqual(called, [True])
