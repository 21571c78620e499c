"""
C{twistd --syslog} with C{--log-format json}: each log event goes to
syslog as one message, its JSON record (the same object a line of the
JSON log file holds), at the priority of its level, under C{twistd}'s
C{--prefix}.

C{twistd}'s own syslog observer writes text only; without this, the JSON
records went to a file, C{twistd.log} in the working directory, and
syslog got nothing.
"""

import syslog

from twisted.logger import ILogObserver, LogLevel
from zope.interface import implementer

from ftpkit.ops.jsonformat import eventAsJSON

_PRIORITIES = {
    LogLevel.debug: syslog.LOG_DEBUG,
    LogLevel.info: syslog.LOG_INFO,
    LogLevel.warn: syslog.LOG_WARNING,
    LogLevel.error: syslog.LOG_ERR,
    LogLevel.critical: syslog.LOG_CRIT,
}


def syslogPriority(event):
    """
    @param event: a log event.
    @return: the syslog priority of its level (C{LOG_WARNING} for
        C{warn}...); C{LOG_INFO} for an event of no level known (a
        legacy C{twisted.python.log} message), C{LOG_ERR} for one
        carrying a failure but no level.
    """
    level = event.get("log_level")
    if level in _PRIORITIES:
        return _PRIORITIES[level]
    if event.get("log_failure") is not None or event.get("isError"):
        return syslog.LOG_ERR
    return syslog.LOG_INFO


@implementer(ILogObserver)
class JSONSyslogObserver:
    """
    An C{ILogObserver} sending each event's JSON record to syslog.

    @ivar send: the function sending one message, C{syslog.syslog}'s
        signature (a priority, the text).
    """

    def __init__(self, prefix, openlog=None, send=None):
        """
        @param prefix: the identity syslog shows for the messages
            (C{twistd}'s C{--prefix}).
        @param openlog: C{syslog.openlog}'s signature; C{syslog.openlog}
            when C{None}.
        @param send: see L{send}; C{syslog.syslog} when C{None}.
        """
        (openlog or syslog.openlog)(prefix, 0, syslog.LOG_USER)
        self.send = send or syslog.syslog

    def __call__(self, event):
        """
        @param event: a log event; flattened in place, as the JSON file's
            observer does.
        """
        priority = syslogPriority(event)
        self.send(priority, eventAsJSON(event))
