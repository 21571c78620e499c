"""
The classic text log line, C{TIME [SYSTEM] TEXT} (what C{twistd} writes
with C{--log-format text}), made cheaply: the text with one
C{str.format_map} of the event (compiled once per format, where it can be:
L{ftpkit.ops.renderers}) and the time formatted once a second,
where C{twisted.logger}'s own L{formatEventAsClassicLogText} runs its
pure-Python C{string.Formatter} over a call-aware mapping and builds a
time zone and a C{datetime} for every line.

An event flattened by a worker process (under C{--workers}) has its
text put together from its flattened fields (L{ftpkit.ops.flatten}).
Events this cannot take that way (a traceback to append, a C{{name()}}
call in the format, a format that fails, a system that is not text) go
through L{formatEventAsClassicLogText} itself, so that every line is
exactly what C{twistd}'s observer writes.
"""

from twisted.logger import (
    FileLogObserver,
    formatEventAsClassicLogText,
    formatTime,
)
from twisted.python.compat import ioType

from ftpkit.ops import renderers
from ftpkit.ops.flatten import flatText
from ftpkit.ops.renderers import prepare, renderer

_LAST_SAFE_FRACTION = 0.999999
"""A time further into its second than this may be rounded up to the next
second by C{datetime} (to the microsecond), so it is formatted on its
own."""

_KEPT_SYSTEMS = 64
"""Most C{NAMESPACE#LEVEL} texts kept (there is one per namespace and
level that logs)."""


class ClassicTextFormatter:
    """
    Formats a log event as L{formatEventAsClassicLogText} does, keeping the
    last second's formatted time.
    """

    def __init__(self):
        self._second = None
        self._stamp = None
        # The times that share the kept text: [_low, _high).
        self._low = self._high = 0.0
        self._systems = {}

    def timeStamp(self, when):
        """
        @param when: an event's C{log_time}: seconds since the epoch, or
            C{None}.
        @return: the time as L{formatTime} formats it (RFC 3339, local
            time, to the second), or C{"-"} for C{None}.
        """
        if type(when) is float and when >= 0:
            second = int(when)
            if when - second < _LAST_SAFE_FRACTION:
                if second != self._second:
                    self._stamp = formatTime(float(second))
                    self._second = second
                    self._low = float(second)
                    self._high = second + _LAST_SAFE_FRACTION
                return self._stamp
        return formatTime(when)

    def system(self, namespace, level):
        """
        @param namespace: a log event's C{log_namespace} (C{"-"} for
            none).
        @param level: its C{log_level}, or C{None}.
        @return: the system Twisted's text names for an event of that
            namespace and level without C{log_system}, C{NAMESPACE#LEVEL},
            kept for the next events of that namespace and level.
        """
        key = (namespace, level)
        system = self._systems.get(key)
        if system is None:
            system = "{}#{}".format(namespace,
                                    "-" if level is None else level.name)
            if len(self._systems) >= _KEPT_SYSTEMS:
                self._systems.clear()
            self._systems[key] = system
        return system

    def __call__(self, event):
        """
        @param event: a log event.
        @return: its line, ending with a line feed (lines after the first
            indented with a tab), or C{None} when it has no text.
        """
        format = event.get("log_format")
        if type(format) is not str or "log_failure" in event:
            return formatEventAsClassicLogText(event)
        try:
            if "log_flattened" in event:
                text = flatText(format, event["log_flattened"])
            elif "()" in format:
                return formatEventAsClassicLogText(event)
            else:
                render = renderers.kept.get(format)
                if render is None:
                    render = renderer(format)
                text = (format.format_map(event) if render is None
                        else render(event))
            system = event.get("log_system")
            if system is None:
                system = self._systems.get(
                    (event.get("log_namespace", "-"), event.get("log_level")))
                if system is None:
                    system = self.system(event.get("log_namespace", "-"),
                                         event.get("log_level"))
            elif type(system) is not str:
                raise TypeError(system)
        except Exception:
            return formatEventAsClassicLogText(event)
        return self.textLine(text, system, event.get("log_time"))

    def textLine(self, text, system, when):
        """
        @param text: an event's formatted text.
        @param system: its system (text).
        @param when: its C{log_time}.
        @return: its line, as L{__call__} makes it, or C{None} when
            C{text} is empty.
        """
        if not text:
            return None
        if type(when) is float and self._low <= when < self._high:
            stamp = self._stamp
        else:
            stamp = self.timeStamp(when)
        if "\n" in text or "\n" in system:
            line = f"{stamp} [{system}] {text}"
            return line.replace("\n", "\n\t") + "\n"
        return f"{stamp} [{system}] {text}\n"


def writeGivingUp(outFile, encoding, text):
    """
    Write C{text} to C{outFile} and flush it, as an observer writes a
    line of its own: a write or flush that raises is given up, as the
    publisher gives up a broken observer.

    @param outFile: a writable file.
    @param encoding: C{None} for a file of text, else the encoding of a
        file that takes bytes.
    @param text: what to write.
    """
    try:
        if encoding is None:
            outFile.write(text)
        else:
            outFile.write(text.encode(encoding))
        outFile.flush()
    except Exception:  # noqa: BLE001 (what the publisher does)
        pass


class TextFileLogObserver(FileLogObserver):
    """
    Twisted's file observer through a L{ClassicTextFormatter}, which can
    also write a line whose text is made already (L{writeText}).

    @ivar outFile: the file written to.
    @ivar encoding: C{None} for a text file; C{"utf-8"} for one that
        takes bytes (as C{FileLogObserver} decides).
    """

    def __init__(self, outFile):
        """
        @param outFile: a writable file.
        """
        FileLogObserver.__init__(self, outFile, ClassicTextFormatter())
        self.outFile = outFile
        self.encoding = None if ioType(outFile) is str else "utf-8"

    def writeText(self, text, namespace, level, when, system=None):
        """
        Write the line this observer writes for an event of text C{text}
        (no failure, nothing flattened), as the only observer of a
        publisher: a write or flush that raises is given up
        (L{writeGivingUp}; the publisher would tell the others, and
        there are none).

        @param text: the event's formatted text.
        @param namespace: its C{log_namespace}.
        @param level: its C{log_level}.
        @param when: its C{log_time}.
        @param system: its C{log_system}, or C{None} for an event with
            none (then C{NAMESPACE#LEVEL}).
        @return: C{True} once done (whatever was written); C{False}, with
            nothing written, when this observer's formatter is not its
            own L{ClassicTextFormatter} (replaced): call the observer
            with the event instead.
        """
        line = self.lineOf(text, namespace, level, when, system)
        if line is None:
            return False
        if line:
            writeGivingUp(self.outFile, self.encoding, line)
        return True

    def lineOf(self, text, namespace, level, when, system=None):
        """
        The line L{writeText} writes, made but not written, so that a
        caller with several (the acceptor reading a worker's records,
        L{ftpkit.ops.workerlog.WorkerLogReader}) writes them in one call
        of L{writeLines}.

        @param text: the event's formatted text.
        @param namespace: its C{log_namespace}.
        @param level: its C{log_level}.
        @param when: its C{log_time}.
        @param system: its C{log_system}, or C{None} for an event with
            none (then C{NAMESPACE#LEVEL}).
        @return: the line (C{""} for an empty C{text}: nothing to
            write); C{None} when this observer's formatter is not its
            own L{ClassicTextFormatter} (replaced): call the observer
            with the event instead.
        """
        formatter = self.formatEvent
        if type(formatter) is not ClassicTextFormatter:
            return None
        if system is None:
            # The kept system first, as __call__ reads it: a call less.
            system = formatter._systems.get((namespace, level))
            if system is None:
                system = formatter.system(namespace, level)
        return formatter.textLine(text, system, when) or ""

    def writeLines(self, lines):
        """
        Write lines made by L{lineOf}, in order, with one write and one
        flush (given up if either raises, L{writeGivingUp}).

        @param lines: a C{list} of C{str}.
        """
        writeGivingUp(self.outFile, self.encoding, "".join(lines))


def textFileLogObserver(outFile, formats=()):
    """
    @param outFile: a writable file.
    @param formats: log formats whose renderers are made now
        (L{ftpkit.ops.renderers.prepare}) rather than on their first line.
    @return: an C{ILogObserver} writing each event to C{outFile} as
        C{twisted.logger.textFileLogObserver} does, through a
        L{ClassicTextFormatter} (a L{TextFileLogObserver}).
    """
    prepare(formats)
    return TextFileLogObserver(outFile)
