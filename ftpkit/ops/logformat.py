"""
C{--log-format text|json}: how log events are written.

C{text} is C{twistd}'s own format (a time, C{[namespace#level]}, the
text), written by L{ftpkit.ops.textformat}'s observer, which makes the same
lines as C{twistd}'s for less. C{json} writes each event as one JSON
object on a line of its own, as C{twisted.logger}'s
C{jsonFileLogObserver} does (through L{ftpkit.ops.jsonformat}'s, which
is cheaper). Either goes to the place C{twistd} would have
written its text (C{--logfile}, or standard output with C{-n}); the field
names are in C{docs/logging.rst}. With C{twistd}'s C{--syslog}, C{text}
is C{twistd}'s own syslog observer's messages (L{ftpkit.ops.syslogtext}),
and C{json} goes to syslog as one message per record
(L{ftpkit.ops.syslogjson}), either sent without ever waiting for the
syslog daemon (L{ftpkit.ops.syslogsend}). C{twistd}'s C{--logger},
when given, still decides instead.
"""

import signal
import sys

from ftpkit.compat.logfiles import ROTATE_LENGTH, openLogFile
from ftpkit.configvalues import LOG_FORMATS, logFormat  # noqa: F401 (its home was here)
from ftpkit.ops.eventlog import TEXT_FORMATS
from ftpkit.ops.jsonformat import jsonFileLogObserver
from ftpkit.ops.textformat import textFileLogObserver
from ftpkit.ops.unblockedlog import describedBy, standardOutput

FORMATS = LOG_FORMATS
"""The values C{--log-format} takes (read by L{logFormat})."""


def fileObserver(outFile, format):
    """
    @param outFile: a writable text file.
    @param format: one of L{FORMATS}.
    @return: an C{ILogObserver} writing each event to C{outFile} in that
        format (C{json}: one object per line; C{text}: with the session
        events' formats compiled already); an
        L{ftpkit.ops.unblockedlog.UnblockedLogFile} writes its own lines
        in that format too.
    """
    if format == "json":
        observer = jsonFileLogObserver(outFile, recordSeparator="")
    else:
        observer = textFileLogObserver(outFile, TEXT_FORMATS)
    describedBy(outFile, observer.formatEvent)
    return observer


def twistdLogFile(twistdOptions):
    """
    Open the log file C{twistd} would write to (as its own C{AppLogger}
    does), rotated on C{SIGUSR1} like C{twistd}'s, or opened again
    where it was moved away
    (L{ftpkit.compat.logfiles.MovableLogFile}).

    @param twistdOptions: C{twistd}'s parsed options (C{logfile},
        C{nodaemon}), and C{rotateLength}: the size at which the file
        rotates (C{--log-rotate-size}; C{0} for never).
    @return: a writable file: standard output (through an
        L{ftpkit.ops.unblockedlog.UnblockedLogFile} where it is a pipe,
        a terminal or a socket: a reader that stops reading never
        stalls the server), or a
        L{ftpkit.compat.logfiles.MovableLogFile}.
    @raise SystemExit: for C{--logfile -} without C{--nodaemon}, as
        C{twistd} does (a daemon has no standard output).
    """
    name = twistdOptions.get("logfile") or ""
    if name == "-" and not twistdOptions.get("nodaemon"):
        sys.exit("Daemons cannot log to stdout, exiting!")
    if name == "-" or (not name and twistdOptions.get("nodaemon")):
        return standardOutput()
    logFile = openLogFile(name or "twistd.log",
                          twistdOptions.get("rotateLength", ROTATE_LENGTH))
    if not signal.getsignal(signal.SIGUSR1):

        def rotate(number, frame):
            from twisted.internet import reactor

            reactor.callFromThread(logFile.rotate)

        signal.signal(signal.SIGUSR1, rotate)
    return logFile


_twistdOptions = {}
"""The C{twistd} options L{jsonTwistdObserver}, L{textTwistdObserver},
L{jsonSyslogObserver} and L{textSyslogObserver} read (set by
L{useFormat})."""


def jsonTwistdObserver():
    """
    The log observer factory L{useFormat} names to C{twistd} for C{json}
    (C{twistd} takes a fully-qualified name, C{--logger}).

    @return: a JSON observer writing where C{twistd} would have written
        text.
    """
    return fileObserver(twistdLogFile(_twistdOptions), "json")


def textTwistdObserver():
    """
    The log observer factory L{useFormat} names to C{twistd} for C{text}.

    @return: a text observer writing what and where C{twistd}'s own
        would have.
    """
    return fileObserver(twistdLogFile(_twistdOptions), "text")


def jsonSyslogObserver():
    """
    The log observer factory L{useFormat} names to C{twistd} for C{json}
    with C{--syslog}.

    @return: an observer sending each event's JSON record to syslog,
        under C{twistd}'s C{--prefix}, given its last time once the
        reactor stopped (L{ftpkit.ops.syslogsend.finishAtShutdown}).
    """
    from ftpkit.ops.syslogjson import JSONSyslogObserver
    from ftpkit.ops.syslogsend import finishAtShutdown

    observer = JSONSyslogObserver(_twistdOptions.get("prefix") or "twisted")
    finishAtShutdown(observer.send)
    return observer


def textSyslogObserver():
    """
    The log observer factory L{useFormat} names to C{twistd} for C{text}
    with C{--syslog}.

    @return: an observer sending what C{twistd}'s own syslog observer
        would, under C{twistd}'s C{--prefix}, without waiting for the
        syslog daemon (given its last time once the reactor stopped).
    """
    from ftpkit.ops.syslogsend import finishAtShutdown
    from ftpkit.ops.syslogtext import textSyslogObserver

    return textSyslogObserver(_twistdOptions.get("prefix") or "twisted",
                              atShutdown=finishAtShutdown)


_FACTORIES = {("json", False): "jsonTwistdObserver",
              ("text", False): "textTwistdObserver",
              ("json", True): "jsonSyslogObserver",
              ("text", True): "textSyslogObserver"}


def underTwist(twistdOptions):
    """
    @param twistdOptions: the options of the program running ftpkit's,
        or C{None}.
    @return: whether they are C{twist}'s (C{python -m twisted ftpkit}),
        which logs with observers of its own, to a file it never
        rotates, and takes none of C{twistd}'s C{--logger}.
    """
    return (isinstance(twistdOptions, dict) and "logFile" in twistdOptions
            and "logfile" not in twistdOptions)


def unblockTwistOutput(twistdOptions):
    """
    Under C{python -m twisted}, whose own observers write the log to
    standard output unless told otherwise, have that output written by
    an L{ftpkit.ops.unblockedlog.UnblockedLogFile} too (a reader that
    stops reading never stalls the server), as C{twistd -n}'s is
    (L{twistdLogFile}). To be called once the reactor is installed and
    before C{twist} starts logging (as ftpkit's service is made).

    @param twistdOptions: the options of the program running ftpkit's,
        or C{None}.
    """
    if underTwist(twistdOptions) and twistdOptions["logFile"] is sys.stdout:
        twistdOptions["logFile"] = standardOutput()


def ownLogFile(twistdOptions):
    """
    @param twistdOptions: C{twistd}'s parsed options, or C{None} where
        C{twistd} does not run the options (a worker of C{--workers}).
    @return: why C{twistd}'s log is no file of ftpkit's, which
        C{--log-rotate-size} could rotate (standard output, syslog,
        another C{--logger}); C{None} where it is one, or where C{twistd}
        does not say.
    """
    if not isinstance(twistdOptions, dict):
        return None
    if underTwist(twistdOptions):
        return ("python -m twisted writes its own log and never rotates it "
                "(run twistd --logfile PATH ftpkit ... instead)")
    if twistdOptions.get("logger"):
        return "twistd's --logger writes the log"
    if twistdOptions.get("syslog"):
        return "the log goes to syslog (twistd --syslog)"
    name = twistdOptions.get("logfile") or ""
    if name == "-" or (not name and twistdOptions.get("nodaemon")):
        return ("the log is standard output (give twistd --logfile PATH "
                "before ftpkit)")
    return None


def useFormat(options, format, rotateLength=ROTATE_LENGTH):
    """
    Make C{twistd} log in C{format}: name L{jsonTwistdObserver} or
    L{textTwistdObserver} (with C{--syslog}: L{jsonSyslogObserver} or
    L{textSyslogObserver}) as C{twistd}'s C{--logger}, which C{twistd}
    calls once it starts logging; unless a C{--logger} was given.

    @param options: the parsed C{ftpkit} options; their C{parent}, when
        it is a mapping (C{usage.Options} is one), is C{twistd}'s.
    @param format: one of L{FORMATS}.
    @param rotateLength: the size at which C{--logfile} rotates, in
        bytes; C{0} for never (C{--log-rotate-size}).
    """
    parent = getattr(options, "parent", None)
    if not isinstance(parent, dict) or "logger" not in parent or parent.get(
            "logger"):
        return
    factory = _FACTORIES.get((format, bool(parent.get("syslog"))))
    if factory is None:
        return
    _twistdOptions.clear()
    _twistdOptions.update(logfile=parent.get("logfile"),
                          nodaemon=parent.get("nodaemon"),
                          prefix=parent.get("prefix"),
                          rotateLength=rotateLength)
    parent["logger"] = f"{__name__}.{factory}"
