"""
Tests for L{ftpkit.ops.syslogjson}: C{--log-format json} with C{twistd
--syslog}.
"""

import json
import syslog

from twisted.logger import LogLevel
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.ops.syslogjson import JSONSyslogObserver, syslogPriority


class PriorityTests(unittest.TestCase):
    """
    L{syslogPriority}.
    """

    def test_levels(self):
        """
        Each level has the syslog priority of its name.
        """
        self.assertEqual(
            [syslogPriority({"log_level": level}) for level in (
                LogLevel.debug, LogLevel.info, LogLevel.warn,
                LogLevel.error, LogLevel.critical)],
            [syslog.LOG_DEBUG, syslog.LOG_INFO, syslog.LOG_WARNING,
             syslog.LOG_ERR, syslog.LOG_CRIT])

    def test_noLevel(self):
        """
        An event of no level is information, or an error when it carries
        a failure.
        """
        self.assertEqual(syslogPriority({"message": ("hi",)}),
                         syslog.LOG_INFO)
        self.assertEqual(
            syslogPriority({"log_failure": Failure(ValueError("no"))}),
            syslog.LOG_ERR)


class ObserverTests(unittest.TestCase):
    """
    L{JSONSyslogObserver}.
    """

    def test_oneMessagePerEvent(self):
        """
        Each event is one message, its JSON record on one line, at its
        level's priority; the log is opened once, under the prefix.
        """
        calls = []
        observer = JSONSyslogObserver(
            "ftpd", lambda *args: calls.append(("open",) + args),
            lambda *args: calls.append(("send",) + args))
        observer({"log_format": "a\nb {x}", "x": "y\nz",
                  "log_level": LogLevel.error, "log_namespace": "n",
                  "log_time": 1.0})
        self.assertEqual(calls[0], ("open", "ftpd", 0, syslog.LOG_USER))
        self.assertEqual([call[:2] for call in calls[1:]],
                         [("send", syslog.LOG_ERR)])
        self.assertNotIn("\n", calls[1][2])
        self.assertEqual(json.loads(calls[1][2])["x"], "y\nz")
