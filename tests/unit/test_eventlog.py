"""
L{EventLog} hands its observers the log event C{Logger.emit} would
have made.
"""

from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import LOGGED, EventLog, logFields


class SameEventTests(unittest.TestCase):
    """
    The event of each logged kind has the fields and C{log_*} keys of
    C{Logger.emit}'s, with the same values.
    """

    def test_sameAsEmit(self):
        """
        For each logged kind, with a success and a failure code, the event
        L{EventLog} gives its observers equals the one C{Logger.emit} makes
        from L{logFields} (but for its logger and, nearly, its time).
        """
        seen = []
        self.patch(eventlog._log, "observer", seen.append)
        emitted = []
        logger = Logger(namespace="ftpkit", observer=emitted.append)
        for kind in LOGGED:
            for code in (226, 550):
                event = events.Event(
                    kind, "10.0.0.1", time=1.0, user="alice",
                    command="RETR", path="/a", code=code, bytes=3,
                    seconds=0.5, reason="full", session=4, host="h")
                EventLog()(event)
                level, text, fields = logFields(event)
                logger.emit(level, text, **fields)
        self.assertEqual(len(seen), 2 * len(LOGGED))
        for ours, theirs in zip(seen, emitted):
            self.assertEqual(set(ours), set(theirs))
            self.assertIs(ours.pop("log_logger"), eventlog._log)
            theirs.pop("log_logger")
            self.assertLess(abs(ours.pop("log_time") - theirs.pop("log_time")),
                            60)
            self.assertEqual(ours, theirs)
