"""
C{twistd --syslog} with C{--log-format text}: C{twistd}'s own syslog
observer's messages (the same text, priorities and facility, one message
per line, under C{twistd}'s C{--prefix}), sent through an
L{ftpkit.ops.syslogsend.SyslogSender}, which never waits for the syslog
daemon, where C{twistd}'s sent them through the C library's blocking
C{syslog(3)}.
"""

import syslog

from twisted.logger import LegacyLogObserverWrapper, formatEvent
from twisted.python.syslog import SyslogObserver

from ftpkit.ops.syslogsend import SyslogSender


def describeText(event):
    """
    @param event: a log event of a L{SyslogSender}'s own.
    @return: C{(priority, text)} of its message, as C{twistd}'s observer
        sends an event of no system.
    """
    return syslog.LOG_WARNING, "[-] " + formatEvent(event)


class TextSyslogObserver(SyslogObserver):
    """
    C{twistd}'s syslog observer (a legacy one: L{emit}), sending through a
    L{SyslogSender}.

    @ivar sender: the L{SyslogSender}.
    """

    def __init__(self, prefix, path=None):
        """
        @param prefix: the identity syslog shows for the messages.
        @param path: the socket the syslog daemon reads [default:
            L{ftpkit.ops.syslogsend.SYSLOG_SOCKET}].
        """
        self._path = path
        SyslogObserver.__init__(self, prefix)

    def openlog(self, prefix, options, facility):
        """
        Make the L{sender} (C{syslog.openlog}'s signature).

        @param prefix: the identity.
        @param options: C{syslog(3)}'s options (none is used by
            C{twistd}).
        @param facility: the facility of the messages.
        """
        self.sender = SyslogSender(prefix, facility, describeText,
                                   self._path)

    def syslog(self, priority, text):
        """
        Send one message (C{syslog.syslog}'s signature).

        @param priority: its priority.
        @param text: its text.
        """
        self.sender(priority, text)


def textSyslogObserver(prefix, path=None, atShutdown=None):
    """
    @param prefix: see L{TextSyslogObserver}.
    @param path: see L{TextSyslogObserver}.
    @param atShutdown: called with the observer's L{SyslogSender}
        (L{ftpkit.ops.syslogsend.finishAtShutdown}), or C{None}.
    @return: an C{ILogObserver} sending what C{twistd --syslog} sends.
    """
    observer = TextSyslogObserver(prefix, path)
    if atShutdown is not None:
        atShutdown(observer.sender)
    return LegacyLogObserverWrapper(observer.emit)
