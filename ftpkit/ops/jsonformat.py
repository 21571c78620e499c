"""
Log events as JSON records, exactly as C{twisted.logger}'s L{eventAsJSON}
and L{eventFromJSON} write and read them (C{--log-format json}, and the
records worker processes send the acceptor under C{--workers}), made
cheaply: the fields are flattened by L{ftpkit.ops.flatten} (which works
out once per format string what Twisted works out for every event), the
encoder is made once, and a log level is read back without parsing its
UUID.

Events this cannot take that way (a L{Failure} in them, a format that
is not text) go through Twisted's own functions, so that every record is
what Twisted would have written.
"""

import json

from twisted.logger import (
    FileLogObserver,
    LogLevel,
)
from twisted.logger import eventAsJSON as twistedEventAsJSON
from twisted.logger import eventFromJSON as twistedEventFromJSON
from twisted.python.failure import Failure

from ftpkit.ops.flatten import flattenEvent


class _Unsupported(Exception):
    """
    Raised by the encoder for a value Twisted's own encoding handles.
    """


_LevelType = type(LogLevel.info)

_LEVELS = {
    level: json.loads(twistedEventAsJSON({"level": level}))["level"]
    for level in LogLevel.iterconstants()
}
"""Each log level and the JSON object Twisted writes for it."""

_LEVELS_READ = {(saved["__class_uuid__"], saved["name"]): level
                for level, saved in _LEVELS.items()}


def _default(value):
    """
    The JSON of a value C{json} cannot encode, as Twisted's
    C{objectSaveHook} makes it.
    """
    if isinstance(value, bytes):
        return value.decode("charmap")
    if type(value) is _LevelType and value in _LEVELS:
        return _LEVELS[value]
    if isinstance(value, Failure):
        raise _Unsupported()
    return {"unpersistable": True}


_encoder = json.JSONEncoder(default=_default, skipkeys=True)


def eventAsJSON(event):
    """
    @param event: a log event; flattened in place (see L{flattenEvent}).
    @return: what L{twisted.logger.eventAsJSON} returns for it.
    """
    format = event.get("log_format")
    if format is not None and type(format) is not str:
        return twistedEventAsJSON(event)
    try:
        flattenEvent(event)
        return _encoder.encode(event)
    except Exception:
        return twistedEventAsJSON(event)


def _loadHook(saved):
    """
    Read back a log level; leave Twisted's other objects to Twisted.
    """
    if "__class_uuid__" not in saved:
        return saved
    level = _LEVELS_READ.get((saved["__class_uuid__"], saved.get("name")))
    if level is None:
        raise _Unsupported()
    return level


_decoder = json.JSONDecoder(object_hook=_loadHook)
"""What C{json.loads(text, object_hook=_loadHook)} makes anew for each
record, made once (the acceptor reads a worker's record for each of its
transfers' lines)."""


def eventFromJSON(text):
    """
    @param text: a JSON record, as L{eventAsJSON} writes.
    @return: what L{twisted.logger.eventFromJSON} returns for it.
    @raise ValueError: for text that is not JSON.
    """
    try:
        if type(text) is str and not text.startswith("\ufeff"):
            # What json.loads does with a str, but its decoder's.
            return _decoder.decode(text)
        return json.loads(text, object_hook=_loadHook)
    except _Unsupported:
        return twistedEventFromJSON(text)


def jsonFileLogObserver(outFile, recordSeparator="\x1e"):
    """
    @param outFile: a writable file.
    @param recordSeparator: what starts each record.
    @return: an C{ILogObserver} writing what
        L{twisted.logger.jsonFileLogObserver} writes: each event as
        C{recordSeparator}, its L{eventAsJSON}, a line feed.
    """
    return FileLogObserver(
        outFile, lambda event: f"{recordSeparator}{eventAsJSON(event)}\n")
