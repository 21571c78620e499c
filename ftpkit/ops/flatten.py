"""
C{twisted.logger}'s flattened events, made cheaply: an event written as
JSON (C{--log-format json}, and what worker processes send the acceptor
under C{--workers}) carries each field its format names, as text and as
it is, under keys such as C{seconds!s:.3f}; C{twisted.logger} works out
those keys from the format string again for every event, here they are
worked out once per format string.

The functions give what Twisted's C{flattenEvent} and C{flatFormat} give,
and raise where those raise.
"""

from string import Formatter

_formatter = Formatter()

PLANS_KEPT = 500
"""Format strings whose plans are kept (log formats are constants in the
code that logs; more than this many means they are made up per event,
and the plans start again)."""


def flatKey(counts, name, spec, conversion):
    """
    The key under which C{twisted.logger} keeps a field's flattened value
    (as its C{KeyFlattener} does).

    @param counts: the keys made so far for this format (a C{dict},
        updated): the second C{{name}} of one format gets C{name!s:/2}.
    @param name: the field name.
    @param spec: its format spec, or C{None}.
    @param conversion: C{"s"} or C{"r"} for the text, C{""} for the
        structured value.
    @return: the key.
    """
    key = f"{name}!{conversion}:{spec or ''}"
    counts[key] = count = counts.get(key, 0) + 1
    return key if count == 1 else f"{key}/{count}"


def flattenPlan(format):
    """
    @param format: a log format.
    @return: for each field it names, in order: the flattened key, the
        structured key, the field name (without C{()}), whether to call
        the value, whether to take its C{repr} (else its C{str}), and
        whether the name is a plain key of the event.
    """
    counts = {}
    plan = []
    for _, name, spec, conversion in _formatter.parse(format):
        if name is None:
            continue
        conversion = "r" if conversion == "r" else "s"
        flattened = flatKey(counts, name, spec, conversion)
        structured = flatKey(counts, name, spec, "")
        call = name.endswith("()")
        if call:
            name = name[:-2]
        plan.append((flattened, structured, name, call, conversion == "r",
                     name.isidentifier()))
    return tuple(plan)


def textPlan(format):
    """
    @param format: a log format.
    @return: its pieces, in order: each a literal text and the flattened
        key of the field after it (C{None} after the last).
    """
    counts = {}
    return tuple(
        (literal, None if name is None
         else flatKey(counts, name, spec, conversion or "s"))
        for literal, name, spec, conversion in _formatter.parse(format))


class _Plans(dict):
    """
    Plans by format string, made on first use by C{make}.
    """

    def __init__(self, make):
        self.make = make

    def __missing__(self, format):
        if len(self) >= PLANS_KEPT:
            self.clear()
        plan = self[format] = self.make(format)
        return plan


_flattenPlans = _Plans(flattenPlan)
_textPlans = _Plans(textPlan)


def flattenEvent(event):
    """
    Add C{log_flattened} to C{event} as C{twisted.logger}'s
    C{flattenEvent} does.

    @param event: a log event with a text C{log_format} (or none),
        changed in place.
    @raise Exception: where C{flattenEvent} raises (a missing field).
    """
    format = event.get("log_format")
    if format is None:
        return
    if "log_flattened" in event:
        fields = event["log_flattened"]
    else:
        fields = {}
    for flattened, structured, name, call, useRepr, plain in (
            _flattenPlans[format]):
        if flattened in fields:
            continue
        if plain:
            value = event[name]
        else:
            value = _formatter.get_field(name, (), event)[0]
        if call:
            value = value()
        fields[flattened] = repr(value) if useRepr else str(value)
        fields[structured] = value
    if fields:
        event["log_flattened"] = fields


def flatText(format, values):
    """
    @param format: a flattened event's C{log_format} (text).
    @param values: its C{log_flattened}.
    @return: its text, as C{twisted.logger}'s C{flatFormat} makes it.
    @raise Exception: where C{flatFormat} raises (a key missing).
    """
    return "".join([
        literal if key is None else literal + str(values[key])
        for literal, key in _textPlans[format]])
