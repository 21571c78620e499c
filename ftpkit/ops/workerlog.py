"""
One log for every process of C{--workers}: a worker writes its log events
as JSON records to its standard output (L{beginWorkerLogging}); the
acceptor reads them (L{WorkerLogReader}) and hands them to its own
observers, which C{twistd}'s C{--logfile}, C{--syslog} or the terminal
decide. Anything else a worker writes (to standard error: an interpreter
that cannot start, say) is logged by the acceptor a line at a time.
"""

import sys
import time

from twisted.logger import LogLevel, globalLogBeginner

from ftpkit.ops.flatten import flattenEvent
from ftpkit.ops.jsonformat import eventFromJSON, jsonFileLogObserver

RECORD_SEPARATOR = "\x1e"
"""Starts each JSON record (RFC 7464, as L{jsonFileLogObserver} writes)."""


def beginWorkerLogging(out=None):
    """
    Send every log event of this (worker) process to the acceptor.

    @param out: the text file to write to (standard output when C{None}).
    """
    if out is None:
        out = sys.stdout
    globalLogBeginner.beginLoggingTo([workerObserver(out)],
                                     redirectStandardIO=False)


def workerObserver(out):
    """
    @param out: the text file to write to.
    @return: the observer writing a worker's events for the acceptor, as
        JSON records, each with its fields formatted by
        L{_formatUnportable} first.
    """
    write = jsonFileLogObserver(out, recordSeparator=RECORD_SEPARATOR)

    def observe(event):
        _formatUnportable(event)
        write(event)

    return observe


_PORTABLE = (int, float, str, type(None))
"""Values that reach the acceptor as they are (L{_applyFormatSpecs})."""


def _formatUnportable(event):
    """
    Flatten an event (as its JSON record will be), formatting each field
    that has a format spec and a value JSON cannot carry (a C{datetime}
    with C{{until:%Y-%m-%d}}) with its spec: the acceptor gets only the
    value's C{str} (see L{_applyFormatSpecs}).

    @param event: a log event, changed in place.
    """
    if type(event.get("log_format")) is not str:
        return
    try:
        flattenEvent(event)
    except Exception:  # noqa: BLE001 (the JSON encoding says what is wrong)
        return
    flattened = event.get("log_flattened")
    for key in list(flattened or ()):
        name, _, rest = key.partition("!")
        conversion, _, spec = rest.partition(":")
        value = flattened.get(f"{name}!:{spec}")
        if conversion != "s" or not spec or isinstance(value, _PORTABLE):
            continue
        try:
            flattened[key] = format(value, spec)
        except (TypeError, ValueError):
            pass


def workerEvent(record, pid, when):
    """
    Turn one JSON record of a worker into an event of the acceptor's log.

    @param record: the text of one record, without its separator.
    @param pid: the worker's process id.
    @param when: when it was read, the time of one that is not JSON.
    @return: the event (a C{dict}), its C{log_system} naming the worker
        (L{workerSystem}); text that is not a JSON event becomes an event
        of its own.
    """
    try:
        event = eventFromJSON(record)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return textEvent(record, pid, when)
    event["log_system"] = workerSystem(event, pid)
    event["ftpkit_worker"] = pid
    flattened = event.get("log_flattened")
    if isinstance(flattened, dict):
        _applyFormatSpecs(flattened)
    return event


def workerSystem(event, pid):
    """
    The system a worker's event is logged under: the worker's pid, then
    the system its line would name in one process (its C{log_system}, or
    C{NAMESPACE#LEVEL} as C{twisted.logger}'s text makes it), so that a
    text line says C{[worker 1234 ftpkit#warn]} where one process says
    C{[ftpkit#warn]}.

    @param event: a log event of the worker.
    @param pid: the worker's process id.
    @return: the system, C{worker PID SYSTEM}.
    """
    system = event.get("log_system")
    if system is None:
        level = event.get("log_level")
        system = "{}#{}".format(event.get("log_namespace", "-"),
                                getattr(level, "name", "-"))
    return f"worker {pid} {system}"


def _applyFormatSpecs(flattened):
    """
    Give the flattened fields of an event the format specs their log
    format asks for (C{{seconds:.3f}}): Twisted's flattening keeps only
    C{str} of each value, which C{formatEvent} then prints as it is.

    @param flattened: an event's C{log_flattened} C{dict}, changed in
        place: a key C{NAME!s:SPEC} gets its structured value
        (C{NAME!:SPEC}) formatted with C{SPEC}.
    """
    for key in list(flattened):
        if key.endswith(":"):
            continue  # No spec.
        name, _, rest = key.partition("!")
        conversion, _, spec = rest.partition(":")
        value = flattened.get(f"{name}!:{spec}")
        if conversion != "s" or not spec or not isinstance(
                value, (int, float, str)):
            continue
        try:
            flattened[key] = format(value, spec)
        except ValueError:
            pass


def textEvent(line, pid, when, level=LogLevel.info):
    """
    @param line: a line a worker wrote outside its log.
    @param pid: the worker's process id.
    @param when: when it was read (seconds since the epoch).
    @param level: the level to log it at.
    @return: an event logging C{line} as it is.
    """
    event = {
        "log_time": when,
        "log_format": "{line}",
        "line": line.rstrip("\n"),
        "log_level": level,
        "log_namespace": "ftpkit.deploy.worker",
        "ftpkit_worker": pid,
    }
    event["log_system"] = workerSystem(event, pid)
    return event


class WorkerLogReader:
    """
    Reads one worker's log records and standard error.

    @ivar publish: where events go (the global log publisher).
    """

    def __init__(self, pid, publish, now=time.time):
        """
        @param pid: the worker's process id.
        @param publish: a callable taking an event.
        @param now: gives the time, for lines that bring none.
        """
        self.pid = pid
        self.publish = publish
        self.now = now
        self._records = ""
        self._errors = ""

    def recordsReceived(self, data):
        """
        Publish the complete records in C{data} (the worker's standard
        output), keeping a partial one for next time.

        @param data: C{bytes} read.
        """
        text = self._records + data.decode("utf-8", "replace")
        pieces = text.split(RECORD_SEPARATOR)
        last = pieces.pop()
        if last.endswith("\n"):
            pieces.append(last)
            last = ""
        self._records = last
        for piece in pieces:
            if piece.strip():
                self.publish(workerEvent(piece, self.pid, self.now()))

    def errorsReceived(self, data):
        """
        Publish each complete line of the worker's standard error as an
        error event.

        @param data: C{bytes} read.
        """
        lines = (self._errors + data.decode("utf-8", "replace")).split("\n")
        self._errors = lines.pop()
        for line in lines:
            if line.strip():
                self.publish(textEvent(line, self.pid, self.now(),
                                       LogLevel.error))

    def flush(self):
        """
        The worker exited: publish whatever it left unfinished.
        """
        if self._records.strip():
            self.publish(workerEvent(self._records, self.pid, self.now()))
        if self._errors.strip():
            self.publish(textEvent(self._errors, self.pid, self.now(),
                                   LogLevel.error))
        self._records = self._errors = ""

