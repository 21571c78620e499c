"""
The Python C{logging} records of the libraries a realm works through
(L{LIBRARIES}: paramiko for C{sftp://}, botocore and s3fs for C{s3://},
fsspec), in the server's log: one line each, at their level, from
C{WARNING} up.

With no handler of their own, they went to C{logging}'s last resort,
standard error, which C{twistd} logs a line at a time as
C{[stderr#error]}: paramiko logs the traceback of a connection it gave
up on (an SFTP store's connect abandoned at its deadline: C{Error
reading SSH protocol banner}) as one record per line of it, some ten
C{[stderr#error]} lines each time. A traceback's lines are left out
here (L{tracebackStep}): the record before them says what failed, and
an exception a record carries is named on its line, not unrolled.
"""

import logging
import threading

from twisted.logger import Logger, LogLevel

LIBRARIES = ("paramiko", "botocore", "aiobotocore", "s3fs", "fsspec")
"""The loggers whose records the server logs (L{bridgeLibraryLogs}), with
those below them (C{paramiko.transport})."""

_TRACEBACK = "Traceback (most recent call last):"

_CHAINED = ("During handling of the above exception",
            "The above exception was the direct cause")


def tracebackStep(inTraceback, message):
    """
    Tell the lines of a traceback logged one record each (paramiko's
    C{util.tb_strings}) from the records around them.

    @param inTraceback: whether the logger's record before this one was
        within a traceback.
    @param message: this record's message.
    @return: C{(inTraceback, logged)}: whether this record leaves the
        logger within a traceback, and whether to log it. A traceback
        starts at its first line (or the line joining a chained one) and
        ends at its exception's line, the first one not indented, which
        repeats what the record before it said; blank lines are not
        logged.
    """
    if not message.strip():
        return inTraceback, False
    if message.startswith((_TRACEBACK, *_CHAINED)):
        return True, False
    if inTraceback:
        return message[:1].isspace(), False
    return False, True


def levelOf(record):
    """
    @param record: a C{logging.LogRecord}, of C{WARNING} or above.
    @return: the C{LogLevel} of its level.
    """
    if record.levelno >= logging.CRITICAL:
        return LogLevel.critical
    if record.levelno >= logging.ERROR:
        return LogLevel.error
    return LogLevel.warn


def oneLine(record):
    """
    @param record: a C{logging.LogRecord}.
    @return: its message's first line, and the type and text of the
        exception it carries, if any (not its traceback).
    """
    lines = record.getMessage().splitlines() or [""]
    line = lines[0]
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        line += f" ({type(error).__name__}: {error})"
    return line


class TwistedLogHandler(logging.Handler):
    """
    A C{logging} handler that logs each record as one event of the
    server's log, in the namespace of the record's logger; from another
    thread than the main one, the reactor's (paramiko's transport
    thread), through the reactor.
    """

    def __init__(self, reactor=None):
        """
        @param reactor: the reactor (an C{IReactorFromThreads}) to log
            through from other threads; the global one when C{None}.
        """
        logging.Handler.__init__(self, logging.WARNING)
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self._inTraceback = {}

    def emit(self, record):
        """
        Log C{record}, unless it is a line of a traceback.

        @param record: a C{logging.LogRecord}.
        """
        message = record.getMessage()
        inside, logged = tracebackStep(
            self._inTraceback.get(record.name, False), message)
        self._inTraceback[record.name] = inside
        if not logged:
            return
        log = Logger(namespace=record.name)
        if threading.current_thread() is threading.main_thread():
            log.emit(levelOf(record), "{line}", line=oneLine(record))
        else:
            self._reactor.callFromThread(log.emit, levelOf(record),
                                         "{line}", line=oneLine(record))


def bridgeLibraryLogs(names=LIBRARIES, reactor=None):
    """
    Have the records of the loggers C{names} logged by the server
    (L{TwistedLogHandler}) rather than written to standard error; once
    per process, however often called.

    @param names: the loggers' names.
    @param reactor: see L{TwistedLogHandler}.
    """
    handler = None
    for name in names:
        logger = logging.getLogger(name)
        if any(isinstance(h, TwistedLogHandler) for h in logger.handlers):
            continue
        handler = handler or TwistedLogHandler(reactor)
        logger.addHandler(handler)
        logger.propagate = False
