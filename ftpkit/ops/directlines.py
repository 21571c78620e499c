"""
ftpkit's most frequent event lines (a transfer, a login, a logout...)
written straight from the L{ftpkit.ops.events.Event} to the text log, when
that log (a L{TextFileLogObserver}) is the only observer of the logger's
publisher: C{twistd ftpkit} and C{python -m ftpkit} logging text in one
process, or a program embedding ftpkit that logs only through
L{ftpkit.embedding.logObserver}.

Through C{twisted.logger}, each line is a log event of some twenty keys
built from the event, handed to the publisher, to the file observer and
to its formatter, which reads the keys back to make the text: a
visible share of a small download's work (C{docs/benchmark-investigations.rst},
C{bench-logline-29}, has the count). Here the text is one function of the event,
compiled once per kind from that kind's log format (L{compileLine}), and
the line is put together and written by the text observer itself
(L{TextFileLogObserver.writeText}): the same bytes.

Under C{--workers}, a worker whose acceptor logs text alone sends the
line so to the acceptor (L{ftpkit.ops.workerlog.WorkerLines}).

Anything else means the general way, through the publisher, which every
observer sees: another observer (a plugin's, C{--log-format json},
C{--syslog}, a worker's pipe to any other acceptor, trial's), a publisher or
formatter replaced, a line longer than its kind's format (a reason, a
rename's target, a virtual host, a client's name), or an event whose
line raises (its fields of the wrong type).
"""

from string import Formatter

from ftpkit.compat.logpublisher import soleObserver
from ftpkit.ops.textformat import TextFileLogObserver
from ftpkit.ops.workerlog import WorkerLines

_LINE_OBSERVERS = (TextFileLogObserver, WorkerLines)
"""The observers a line is written to straight (their C{writeText}): the
text log, and a worker's records for an acceptor whose log is its text
log alone (L{ftpkit.ops.workerlog})."""

_formatter = Formatter()

_CONVERSIONS = {None: "", "r": "!r", "s": "!s", "a": "!a"}


def compileLine(format, attributes, bounded, guards, length, bound):
    """
    @param format: a log format whose fields are plain names, with no
        C{{}} inside a spec (as L{ftpkit.ops.renderers} compiles).
    @param attributes: a mapping of each field name the format may name
        to the L{ftpkit.ops.events.Event} attribute holding its value.
    @param bounded: the field names whose values longer than C{length}
        are given as C{bound(value)}.
    @param guards: attributes of the event that must be C{None} for its
        line to be C{format}'s.
    @param length: see C{bounded}.
    @param bound: see C{bounded}.
    @return: a function of an event returning
        C{format.format_map(fields)}, C{fields} holding each named field's
        value (bounded as said), or C{None} when one of C{guards} is not
        C{None}; C{None} when C{format} is not one this compiles. What the
        format says enters the compiled code only as values: its text and
        specs are constants of the function, never its source.
    """
    try:
        parsed = list(_formatter.parse(format))
    except ValueError:
        return None
    if not all(guard.isidentifier() for guard in guards):
        return None
    constants = {"length": length, "bound": bound}
    body = ["def line(e):"]
    body += [f"    if e.{guard} is not None:\n        return None"
             for guard in guards]
    pieces = []
    for text, name, spec, conversion in parsed:
        if text:
            constants[f"t{len(constants)}"] = text
            pieces.append("{t%d}" % (len(constants) - 1))
        if name is None:
            continue
        attribute = attributes.get(name)
        if (attribute is None or not attribute.isidentifier()
                or "{" in spec or "}" in spec
                or conversion not in _CONVERSIONS):
            return None
        value = f"v{len(body)}"
        body.append(f"    {value} = e.{attribute}")
        if name in bounded:
            body.append(f"    if {value} is not None and len({value}) > "
                        f"length:\n        {value} = bound({value})")
        field = value + _CONVERSIONS[conversion]
        if spec:
            constants[f"s{len(constants)}"] = spec
            field += ":{s%d}" % (len(constants) - 1)
        pieces.append("{%s}" % field)
    body.append('    return f"%s"' % "".join(pieces))
    exec(compile("\n".join(body) + "\n", "<log line>", "exec"), constants)
    return constants["line"]


class DirectLines:
    """
    Writes an event's line straight to the text log where it can.

    @ivar logger: the C{twisted.logger.Logger} the lines are of (its
        namespace, and its observer: the publisher whose sole observer
        must be the text log).
    """

    def __init__(self, logger, lines, level):
        """
        @param logger: see L{logger}.
        @param lines: a mapping of event kinds to their L{compileLine}
            functions (kinds left out go the general way).
        @param level: a function of an event returning its line's log
            level.
        """
        self.logger = logger
        self._lines = lines
        self._level = level

    def __call__(self, event, when):
        """
        Write C{event}'s line to the text log, if that log is its
        publisher's only observer and the line is its kind's format.

        @param event: an L{ftpkit.ops.events.Event}.
        @param when: the line's time (its C{log_time}).
        @return: whether it was written; C{False} (nothing written) means
            log it through the publisher.
        """
        line = self._lines.get(event.kind)
        if line is None:
            return False
        logger = self.logger
        observer = soleObserver(logger.observer)
        if type(observer) not in _LINE_OBSERVERS:
            return False
        try:
            text = line(event)
            level = self._level(event)
        except Exception:  # noqa: BLE001 (the general way raises it)
            return False
        if text is None:
            return False
        return observer.writeText(text, logger.namespace, level, when)
