"""
One log for every process of C{--workers}: a worker writes its log events
as JSON records to its standard output (L{beginWorkerLogging}); the
acceptor reads them (L{WorkerLogReader}) and hands them to its own
observers, which C{twistd}'s C{--logfile}, C{--syslog} or the terminal
decide. Anything else a worker writes (to standard error: an interpreter
that cannot start, say) is logged by the acceptor a line at a time.

Where the acceptor's log is its text log alone when it starts a worker
(L{workerEnvironment}: C{--log-format text}, no C{--syslog} or
C{--logger}), ftpkit's own event lines (a transfer, a login...) go as
text instead (L{WorkerLines}, a line record): made in the worker as one
process makes them (L{ftpkit.ops.directlines}), written as they are by
the acceptor (L{WorkerLogReader}). Their JSON records cost the worker
and the acceptor more than the rest of a 16 KiB download's logging
(C{docs/benchmark-investigations.rst}, C{bench-smallfiles-33}). The lines are the same
bytes; should the acceptor's log no longer be its text log alone, such
a line is logged as an event of its text (C{{line}}).
"""

import json
import os
import time
from json.encoder import encode_basestring_ascii
from math import isfinite

from twisted.logger import (
    LogLevel,
    globalLogBeginner,
    globalLogPublisher,
)
from twisted.python.compat import ioType

from ftpkit.compat.logpublisher import soleObserver
from ftpkit.ops.flatten import flattenEvent
from ftpkit.ops.jsonformat import eventFromJSON, jsonFileLogObserver
from ftpkit.ops.textformat import TextFileLogObserver, writeGivingUp
from ftpkit.ops.unblockedlog import describedBy, standardOutput

RECORD_SEPARATOR = "\x1e"
"""Starts each JSON record (RFC 7464, as L{jsonFileLogObserver} writes)."""

REPORT_MARK = "!"
"""Starts a record that is no log line but a report to the acceptor
(L{ftpkit.deploy.inflight}), after L{RECORD_SEPARATOR}."""


LINES_VARIABLE = "FTPKIT_WORKER_LOG_LINES"
"""The environment variable the acceptor sets (to C{1}) for a worker
when its log is its text log alone (L{workerEnvironment})."""

_lineEncoder = json.JSONEncoder()

_LEVELS = {level.name: level for level in LogLevel.iterconstants()}
"""Each log level by its name: what C{LogLevel.levelWithName} answers,
without its calls (the acceptor reads a level's name in each of a
worker's line records)."""


def microseconds(when):
    """
    A record's time as the acceptor reads it (a line record's,
    L{lineRecord}, and a transfer's start,
    L{ftpkit.deploy.inflight.startFields}): whole microseconds, whose
    text costs a worker far less than the shortest C{repr} of a C{float}
    (C{bench-workers-54} in C{docs/benchmark-investigations.rst}).

    @param when: seconds since the epoch.
    @return: C{when} in whole microseconds, an C{int}, where it is a
        finite C{int} or C{float}; else C{when} itself (no time the
        acceptor reads as one).
    """
    if type(when) in (int, float) and isfinite(when):
        return round(when * 1_000_000)
    return when


def lineRecordText(when, name, namespace, text):
    """
    @param when: a line's C{log_time}.
    @param name: its level's name.
    @param namespace: its C{log_namespace}.
    @param text: its text.
    @return: the JSON array of the four, the time in whole microseconds
        (L{microseconds}), as C{json.JSONEncoder().encode} writes it,
        made without the encoder a call of C{encode} makes (a worker
        writes one for each of its transfers' lines) where each is of its
        usual type: a finite C{float} and three C{str}.
    """
    if (type(when) is float and isfinite(when) and type(name) is str
            and type(namespace) is str and type(text) is str):
        return (f"[{round(when * 1_000_000)},"
                f" {encode_basestring_ascii(name)},"
                f" {encode_basestring_ascii(namespace)},"
                f" {encode_basestring_ascii(text)}]")
    return _lineEncoder.encode([microseconds(when), name, namespace, text])


def workerEnvironment(environ=None, publisher=globalLogPublisher):
    """
    @param environ: the acceptor's environment (C{os.environ} when
        C{None}).
    @param publisher: the acceptor's log publisher.
    @return: the environment a worker starts with: C{environ}, with
        L{LINES_VARIABLE} set where C{publisher}'s only observer is
        ftpkit's text log (the worker then sends its event lines as
        text, L{WorkerLines}), and unset otherwise.
    """
    environment = dict(os.environ if environ is None else environ)
    environment.pop(LINES_VARIABLE, None)
    if type(soleObserver(publisher)) is TextFileLogObserver:
        environment[LINES_VARIABLE] = "1"
    return environment


def beginWorkerLogging(out=None, environ=None):
    """
    Send every log event of this (worker) process to the acceptor.

    @param out: the text file to write to (when C{None}, standard output,
        through an L{ftpkit.ops.unblockedlog.UnblockedLogFile}: an
        acceptor that reads nothing for a while never stalls the
        worker).
    @param environ: the worker's environment (C{os.environ} when
        C{None}): L{LINES_VARIABLE} says whether to send event lines as
        text.
    @return: the L{HeldText} the log records are written through, in
        which the worker's reports to the acceptor are held
        (L{ftpkit.deploy.inflight.InFlightReports}): the caller passes it
        on (L{ftpkit.deploy.service.makeService}).
    """
    if out is None:
        out = standardOutput()
    if environ is None:
        environ = os.environ
    held = HeldText(out)
    observer = workerObserver(held, environ.get(LINES_VARIABLE) == "1")
    describedBy(out, observer.formatEvent)
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    return held


class HeldText:
    """
    A worker's log file, which writes the reports held in it
    (L{ftpkit.deploy.inflight}) ahead of the next record, in the same
    C{write}: a report costs the worker no write of its own when a log
    record follows it (the worker's standard output may be unbuffered,
    C{PYTHONUNBUFFERED}).

    @ivar out: the text file written to.
    """

    def __init__(self, out):
        """
        @param out: the text file to write to.
        """
        self.out = out
        self._held = ""

    def hold(self, text):
        """
        @param text: text to write ahead of the next record.
        """
        self._held += text

    def send(self):
        """
        Write and flush the text held, if any, now. A write or flush that
        raises is given up (L{writeGivingUp}).
        """
        if self._held:
            text, self._held = self._held, ""
            writeGivingUp(self.out, None, text)

    def write(self, text):
        """
        @param text: a record (or part of one), written after the text
            held.
        @return: what the file's C{write} returns.
        """
        if self._held:
            text, self._held = self._held + text, ""
        return self.out.write(text)

    def flush(self):
        """
        Flush the file.
        """
        self.out.flush()


def workerObserver(out, lines=False):
    """
    @param out: the text file to write to.
    @param lines: the acceptor's log is its text log alone: event lines
        may be sent as text.
    @return: the observer writing a worker's events for the acceptor (a
        L{WorkerObserver}; with C{lines}, a L{WorkerLines}).
    """
    return (WorkerLines if lines else WorkerObserver)(out)


class WorkerObserver:
    """
    Writes a worker's events for the acceptor, as JSON records, each with
    its fields formatted by L{_formatUnportable} first.

    @ivar formatEvent: makes an event's record, as written (the format
        of the lines L{ftpkit.ops.unblockedlog} adds itself).
    """

    def __init__(self, out):
        """
        @param out: the file to write to.
        """
        self._out = out
        self._encoding = None if ioType(out) is str else "utf-8"
        self._write = jsonFileLogObserver(out,
                                          recordSeparator=RECORD_SEPARATOR)
        self.formatEvent = self._write.formatEvent

    def __call__(self, event):
        """
        @param event: a log event.
        """
        _formatUnportable(event)
        self._write(event)


class WorkerLines(WorkerObserver):
    """
    A L{WorkerObserver} that also writes lines made already, as line
    records: what L{ftpkit.ops.directlines} writes to a text log, here
    for the acceptor's text log (L{WorkerLogReader}).
    """

    def writeText(self, text, namespace, level, when):
        """
        Write a line record: the JSON array of C{when} (in whole
        microseconds, L{lineRecordText}), the level's name, C{namespace}
        and C{text}. A write or flush that raises is given up
        (L{writeGivingUp}).

        @param text: the event's formatted text.
        @param namespace: its C{log_namespace}.
        @param level: its C{log_level}.
        @param when: its C{log_time}.
        @return: C{True}.
        """
        record = "{}{}\n".format(RECORD_SEPARATOR, lineRecordText(
            when, level.name, namespace, text))
        writeGivingUp(self._out, self._encoding, record)
        return True


def lineRecord(value):
    """
    @param value: a worker's record, parsed.
    @return: C{(when, level, namespace, text)} when it is a line record
        (L{WorkerLines.writeText}; its time whole microseconds,
        L{microseconds}), C{when} in seconds; else C{None}.
    """
    if type(value) is not list or len(value) != 4:
        return None
    when, name, namespace, text = value
    if (type(when) is not int or type(name) is not str
            or type(namespace) is not str or type(text) is not str):
        return None
    level = _LEVELS.get(name)
    if level is None:
        return None
    return when / 1_000_000, level, namespace, text


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


def workerEvent(record, pid, when, parsed=None):
    """
    Turn one JSON record of a worker into an event of the acceptor's log.

    @param record: the text of one record, without its separator.
    @param pid: the worker's process id.
    @param when: when it was read, the time of one that is not JSON.
    @param parsed: what C{record} parses to, when parsed already; C{None}
        to parse it here.
    @return: the event (a C{dict}), its C{log_system} naming the worker
        (L{workerSystem}); text that is not a JSON event becomes an event
        of its own.
    """
    event = parsed
    if event is None:
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

    def __init__(self, pid, publish, now=time.time,
                 observer=globalLogPublisher, reports=None):
        """
        @param pid: the worker's process id.
        @param publish: a callable taking an event.
        @param now: gives the time, for lines that bring none.
        @param observer: the acceptor's log (its publisher): where its
            only observer is ftpkit's text log, a line record is written
            there as it is.
        @param reports: a callable taking the text of each record marked
            L{REPORT_MARK} (after the mark), or C{None} to ignore them.
        """
        self.pid = pid
        self.publish = publish
        self.reports = reports
        self.now = now
        self.observer = observer
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
        lines = []
        for piece in pieces:
            if piece.strip():
                self._received(piece, lines)
        self._writeLines(lines)

    def _writeLines(self, lines):
        """
        Write the text log's lines gathered from line records, in one
        write (the acceptor wrote each with its own, a system call a
        worker's line: C{bench-workers-53} in
        C{docs/benchmark-investigations.rst}), and forget them.

        @param lines: a C{list} of C{(observer, line)}, all of one
            L{TextFileLogObserver}.
        """
        if lines:
            lines[0][0].writeLines([line for _, line in lines])
            del lines[:]

    def _received(self, record, lines=None):
        """
        Log one record: a line record (L{lineRecord}) as its text, any
        other as its event (L{workerEvent}); a report (L{REPORT_MARK})
        goes to L{reports}.

        @param record: its text, without its separator.
        @param lines: where a line for the acceptor's text log is
            gathered, as C{(observer, line)}, to be written with the
            others of one read (L{_writeLines}, which runs before any
            event is published here, keeping the log's order), or
            C{None} to write it at once.
        """
        if record.startswith(REPORT_MARK):
            if self.reports is not None:
                self.reports(record[1:])
            return
        try:
            value = eventFromJSON(record)
        except ValueError:
            value = None
        line = lineRecord(value)
        pending = [] if lines is None else lines
        if line is None:
            self._writeLines(pending)
            self.publish(workerEvent(record, self.pid, self.now(), value))
            return
        when, level, namespace, text = line
        system = f"worker {self.pid} {namespace}#{level.name}"
        observer = soleObserver(self.observer)
        if type(observer) is TextFileLogObserver:
            made = observer.lineOf(text, namespace, level, when, system)
            if made is not None:
                if pending and pending[0][0] is not observer:
                    self._writeLines(pending)
                if made:
                    pending.append((observer, made))
                if lines is None:
                    self._writeLines(pending)
                return
        self._writeLines(pending)
        self.publish({
            "log_time": when, "log_format": "{line}", "line": text,
            "log_level": level, "log_namespace": namespace,
            "log_system": system, "ftpkit_worker": self.pid})

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
            self._received(self._records)
        if self._errors.strip():
            self.publish(textEvent(self._errors, self.pid, self.now(),
                                   LogLevel.error))
        self._records = self._errors = ""

