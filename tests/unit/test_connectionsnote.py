"""
C{--max-connections} past what the server's descriptors hold: a warning
at start (L{ftpkit.deploy.fdlimit.connectionsNote},
L{ftpkit.deploy.startwarnings.warnDescriptors}); the value was taken
without a word.
"""

import resource

from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy.fdlimit import (
    REFUSAL,
    connectionsNote,
    limitAtStart,
    sessionCeiling,
)
from ftpkit.deploy.startwarnings import warnDescriptors


class CeilingTests(unittest.SynchronousTestCase):
    """
    L{sessionCeiling} and L{limitAtStart}.
    """

    def test_ceiling(self):
        """
        The reserve is taken from the limit (a quarter of a small one); no
        limit, no ceiling.
        """
        self.assertEqual(sessionCeiling(1024), 960)
        self.assertEqual(sessionCeiling(64), 48)
        self.assertIsNone(sessionCeiling(resource.RLIM_INFINITY))

    def test_limitAtStart(self):
        """
        The hard limit, to which the start raises the soft one; the soft
        one where the hard one is none.
        """
        self.assertEqual(limitAtStart(lambda kind: (256, 4096)), 4096)
        self.assertEqual(
            limitAtStart(lambda kind: (256, resource.RLIM_INFINITY)), 256)


class NoteTests(unittest.SynchronousTestCase):
    """
    L{connectionsNote}.
    """

    def test_held(self):
        """
        A value the descriptors hold, or no limit: nothing to say.
        """
        self.assertIsNone(connectionsNote(512, 1, 1024))
        self.assertIsNone(connectionsNote(960, 1, 1024))
        self.assertIsNone(connectionsNote(1800, 2, 1024))
        self.assertIsNone(connectionsNote(10 ** 9, 1, resource.RLIM_INFINITY))

    def test_beyond(self):
        """
        Past the limit: the value, how many fewer sessions the
        descriptors hold, the limit and its reserve, the refusal's text,
        and what to do.
        """
        self.assertEqual(
            connectionsNote(100000, 1, 1024),
            "--max-connections 100000 is more sessions than the server's "
            "descriptors hold: fewer than 960 (a limit of 1024 open files, "
            "the last 64 kept for the sessions' transfers); past that, new "
            f"clients get 421 ({REFUSAL}). Raise the limit (LimitNOFILE= in "
            "a systemd unit, ulimit -Hn) or lower --max-connections.")

    def test_workers(self):
        """
        Under C{--workers}, each worker holds its own.
        """
        note = connectionsNote(2000, 2, 1024)
        self.assertIn("fewer than 1920 (a limit of 1024 open files in each "
                      "of the 2 workers,", note)


class WarnTests(unittest.TestCase):
    """
    L{warnDescriptors} logs the note.
    """

    def warned(self, maxConnections, limits):
        """
        @return: the warnings logged for C{maxConnections} under the
            limits C{(soft, hard)}.
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        warnDescriptors(ServerConfig(maxConnections=maxConnections),
                        lambda kind: limits)
        return [formatEvent(event) for event in events
                if event.get("log_level") == LogLevel.warn]

    def test_warned(self):
        """
        C{--max-connections} past the hard limit is warned of.
        """
        [text] = self.warned(5000, (256, 1024))
        self.assertTrue(text.startswith("--max-connections 5000 is more "
                                        "sessions"), text)

    def test_quiet(self):
        """
        Within the hard limit (though past the soft one, which the start
        raises), nothing is said.
        """
        self.assertEqual(self.warned(512, (256, 1024)), [])

    def test_atStart(self):
        """
        The options of a server past this machine's limit are warned of
        as the service is made.
        """
        from ftpkit.deploy.tap import makeService
        from tests.tapoptions import parse

        if limitAtStart() == resource.RLIM_INFINITY:
            raise unittest.SkipTest("no descriptor limit here")
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        makeService(parse("--auth", "anonymous", "--max-connections",
                          str(10 ** 12)))
        self.assertIn("--max-connections 1000000000000 is more sessions",
                      " ".join(formatEvent(event) for event in events))
