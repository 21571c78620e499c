"""
C{twistd --syslog} with C{--log-format json}: each log event goes to
syslog as one message, its JSON record (the same object a line of the
JSON log file holds), at the priority of its level, under C{twistd}'s
C{--prefix}, sent without ever waiting for the syslog daemon
(L{ftpkit.ops.syslogsend.SyslogSender}).

C{twistd}'s own syslog observer writes text only; without this, the JSON
records went to a file, C{twistd.log} in the working directory, and
syslog got nothing.
"""

import syslog

from twisted.logger import ILogObserver, LogLevel
from zope.interface import implementer

from ftpkit.ops.jsonformat import eventAsJSON
from ftpkit.ops.syslogsend import SyslogSender

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


def describeJSON(event):
    """
    @param event: a log event of a L{SyslogSender}'s own.
    @return: C{(priority, text)} of its message: its JSON record.
    """
    return syslogPriority(event), eventAsJSON(dict(event))


@implementer(ILogObserver)
class JSONSyslogObserver:
    """
    An C{ILogObserver} sending each event's JSON record to syslog.

    @ivar send: the function sending one message, C{syslog.syslog}'s
        signature (a priority, the text).
    """

    def __init__(self, prefix, openlog=None, send=None, path=None):
        """
        @param prefix: the identity syslog shows for the messages
            (C{twistd}'s C{--prefix}).
        @param openlog: C{syslog.openlog}'s signature, called once for a
            C{send} of the C{syslog} module's kind (C{syslog.openlog}
            when C{None}).
        @param send: see L{send}; when C{None}, a L{SyslogSender} of the
            prefix, which needs no C{openlog}.
        @param path: the socket the syslog daemon reads, for the
            L{SyslogSender} [default:
            L{ftpkit.ops.syslogsend.SYSLOG_SOCKET}].
        """
        if openlog is None and send is None:
            send = SyslogSender(prefix, syslog.LOG_USER, describeJSON, path)
        else:
            (openlog or syslog.openlog)(prefix, 0, syslog.LOG_USER)
        self.send = send

    def __call__(self, event):
        """
        @param event: a log event; flattened in place, as the JSON file's
            observer does.
        """
        priority = syslogPriority(event)
        self.send(priority, eventAsJSON(event))
