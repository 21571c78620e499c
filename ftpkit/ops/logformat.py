"""
C{--log-format text|json}: how log events are written.

C{text} is C{twistd}'s own format (a time, C{[namespace#level]}, the
text). C{json} writes each event as one JSON object on a line of its own,
through C{twisted.logger}'s L{jsonFileLogObserver}, to the place C{twistd}
would have written the text (C{--logfile}, or standard output with
C{-n}); the field names are in C{docs/logging.rst}.
"""

import signal
import sys

from twisted.logger import jsonFileLogObserver, textFileLogObserver
from twisted.python import logfile

FORMATS = ("text", "json")
"""The values C{--log-format} takes."""


def logFormat(text):
    """
    @param text: a C{--log-format} value.
    @return: C{text}, one of L{FORMATS}.
    @raise ValueError: for anything else.
    """
    if text not in FORMATS:
        raise ValueError(f"must be text or json, not {text!r}")
    return text


def fileObserver(outFile, format):
    """
    @param outFile: a writable text file.
    @param format: one of L{FORMATS}.
    @return: an C{ILogObserver} writing each event to C{outFile} in that
        format (C{json}: one object per line).
    """
    if format == "json":
        return jsonFileLogObserver(outFile, recordSeparator="")
    return textFileLogObserver(outFile)


def twistdLogFile(twistdOptions):
    """
    Open the log file C{twistd} would write to (as its own C{AppLogger}
    does), rotated on C{SIGUSR1} like C{twistd}'s.

    @param twistdOptions: C{twistd}'s parsed options (C{logfile},
        C{nodaemon}).
    @return: a writable file: standard output, or a L{logfile.LogFile}.
    """
    name = twistdOptions.get("logfile") or ""
    if name == "-" or (not name and twistdOptions.get("nodaemon")):
        return sys.stdout
    logFile = logfile.LogFile.fromFullPath(name or "twistd.log")
    if not signal.getsignal(signal.SIGUSR1):

        def rotate(number, frame):
            from twisted.internet import reactor

            reactor.callFromThread(logFile.rotate)

        signal.signal(signal.SIGUSR1, rotate)
    return logFile


_twistdOptions = {}
"""The C{twistd} options L{jsonTwistdObserver} reads (set by
L{useFormat})."""


def jsonTwistdObserver():
    """
    The log observer factory L{useFormat} names to C{twistd} (which takes
    a fully-qualified name, C{--logger}).

    @return: a JSON observer writing where C{twistd} would have written
        text.
    """
    return fileObserver(twistdLogFile(_twistdOptions), "json")


def useFormat(options, format):
    """
    Make C{twistd} log in C{format}: for C{json}, name
    L{jsonTwistdObserver} as C{twistd}'s C{--logger} (unless one was
    given), which C{twistd} calls once it starts logging.

    @param options: the parsed C{ftpkit} options; their C{parent}, when
        there is one, is C{twistd}'s.
    @param format: one of L{FORMATS}.
    """
    parent = getattr(options, "parent", None)
    if format != "json" or parent is None or "logger" not in parent:
        return
    if parent.get("logger"):
        return
    _twistdOptions.clear()
    _twistdOptions.update(logfile=parent.get("logfile"),
                          nodaemon=parent.get("nodaemon"))
    parent["logger"] = __name__ + ".jsonTwistdObserver"
