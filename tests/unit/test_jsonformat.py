"""
L{ftpkit.ops.jsonformat} and L{ftpkit.ops.flatten} write and read, record
for record, what C{twisted.logger}'s JSON functions write and read, and
raise where they raise.
"""

import copy
import io
import json

from twisted.logger import Logger, LogLevel
from twisted.logger import eventAsJSON as twistedEventAsJSON
from twisted.logger import eventFromJSON as twistedEventFromJSON
from twisted.logger import jsonFileLogObserver as twistedJSONObserver
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.ops import flatten
from ftpkit.ops.jsonformat import (
    eventAsJSON,
    eventFromJSON,
    jsonFileLogObserver,
)
from tests.unit.test_textformat import loggedEvents, otherEvents


class Thing:
    """
    An object with an attribute, and no JSON form.
    """

    size = 3

    def __repr__(self):
        return "<Thing>"


def moreEvents(emit):
    """
    Log events whose fields take every path of the flattening: a field
    twice, attributes and items, values JSON cannot hold, a level as a
    field, events already flattened.

    @param emit: an C{ILogObserver}.
    """
    logger = Logger(namespace="ftpkit", observer=emit)
    logger.info("{a} {a} {a!r} {a:>4} {a:>4}", a="x")
    logger.info("{thing.size} {pair[0]} {thing!r}", thing=Thing(),
                pair=("one", 2))
    logger.info("{data} {things}", data=b"\xff\x00", things={1, 2},
                other=Thing())
    logger.info("level {lvl}", lvl=LogLevel.warn, nested={"l": [1.5]})
    logger.info("{n:.2f}", n=2.0, **{"not a name": 1})
    logger.failure("failed {verb}", Failure(ValueError("bad")), verb="X")
    emit({"log_format": "{x} {y}", "x": 1, "y": 2,
          "log_flattened": {"x!s:": "one", "x!:": 1}})
    emit({"log_format": None, "log_level": LogLevel.info})
    emit({"just": "fields", 3: "a key JSON cannot hold as it is"})


def allEvents():
    """
    @return: the events of L{loggedEvents}, L{otherEvents} and
        L{moreEvents}.
    """
    found = []
    for produce in (loggedEvents, otherEvents, moreEvents):
        produce(found.append)
    return found


def outcome(function, event):
    """
    @return: C{function(event)} and the event afterwards, or the type of
        the exception it raised.
    """
    try:
        return function(event), event
    except Exception as e:
        return type(e)


class EncodeTests(unittest.TestCase):
    """
    L{eventAsJSON} is L{twisted.logger.eventAsJSON}.
    """

    def test_same(self):
        """
        The same record, the same flattened event, or the same exception.
        """
        events = allEvents()
        self.assertGreater(len(events), 100)
        for event in events:
            self.assertEqual(outcome(eventAsJSON, copy.copy(event)),
                             outcome(twistedEventAsJSON, copy.copy(event)),
                             event)

    def test_alreadyFlattened(self):
        """
        Fields flattened before are kept, the others added.
        """
        event = {"log_format": "{x} {y}", "x": 1, "y": 2,
                 "log_flattened": {"x!s:": "one", "x!:": 1}}
        eventAsJSON(event)
        self.assertEqual(event["log_flattened"], {
            "x!s:": "one", "x!:": 1, "y!s:": "2", "y!:": 2})

    def test_observer(self):
        """
        L{jsonFileLogObserver} writes what Twisted's writes, with either
        record separator.
        """
        for separator in ("\x1e", ""):
            twisted, ours = io.StringIO(), io.StringIO()
            twistedObserver = twistedJSONObserver(twisted, separator)
            oursObserver = jsonFileLogObserver(ours, separator)
            for event in allEvents():
                for observer in (twistedObserver, oursObserver):
                    try:
                        observer(copy.copy(event))
                    except Exception:
                        pass
            self.assertEqual(ours.getvalue(), twisted.getvalue())
            self.assertGreater(ours.getvalue().count("\n"), 100)

    def test_manyFormats(self):
        """
        Formats made up for each event are flattened right however many
        there are (the plans kept start again).
        """
        for number in range(flatten.PLANS_KEPT + 10):
            event = {"log_format": f"{number} {{x}}", "x": number}
            self.assertEqual(eventAsJSON(dict(event)),
                             twistedEventAsJSON(dict(event)))
        self.assertLessEqual(len(flatten._flattenPlans), flatten.PLANS_KEPT)


class DecodeTests(unittest.TestCase):
    """
    L{eventFromJSON} is L{twisted.logger.eventFromJSON}.
    """

    def test_same(self):
        """
        Every record Twisted writes reads back the same.
        """
        for event in allEvents():
            try:
                record = twistedEventAsJSON(copy.copy(event))
            except Exception:
                continue
            ours, twisted = eventFromJSON(record), twistedEventFromJSON(
                record)
            if "log_failure" in twisted:
                self.assertIsInstance(ours.pop("log_failure"), Failure)
                twisted.pop("log_failure")
            self.assertEqual(ours, twisted)

    def test_level(self):
        """
        A log level reads back as that level.
        """
        record = twistedEventAsJSON({"log_level": LogLevel.warn})
        self.assertIs(eventFromJSON(record)["log_level"], LogLevel.warn)

    def test_unknown(self):
        """
        An object Twisted's reading does not know gives what it gives
        (here C{None}), text that is not JSON a C{ValueError}.
        """
        record = json.dumps({"log_level": {
            "name": "loud", "__class_uuid__": json.loads(twistedEventAsJSON(
                {"l": LogLevel.info}))["l"]["__class_uuid__"]}})
        self.assertEqual(eventFromJSON(record), twistedEventFromJSON(record))
        self.assertRaises(ValueError, eventFromJSON, "{not json")

    def test_shapes(self):
        """
        Read with the decoder made once, text of every shape reads as
        C{json.loads} and Twisted read it: a level after a record Twisted's
        reading took over, an array, bytes; a byte order mark, trailing
        text and an empty record are a C{ValueError} each.
        """
        level = twistedEventAsJSON({"log_level": LogLevel.warn})
        unknown = level.replace('"warn"', '"loud"')
        for record in [unknown, level, '[1.5, "info", "a", "b"]',
                       '[{"k": [1, {"j": null}]}]', level.encode("utf-8"),
                       '  {"a": "\\u00e9\\ud800"}  ', unknown, level]:
            self.assertEqual(eventFromJSON(record),
                             twistedEventFromJSON(record), record)
        self.assertIs(eventFromJSON(level)["log_level"], LogLevel.warn)
        for text in ["\ufeff" + level, level + " x", "", "[1] [2]"]:
            self.assertRaises(ValueError, eventFromJSON, text)
