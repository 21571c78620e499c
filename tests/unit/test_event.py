"""
L{events.Event} is a frozen dataclass whose C{__init__} is written out (for
speed): it must take exactly the fields, with their defaults.
"""

import dataclasses
import inspect

from twisted.trial import unittest

from ftpkit.ops import events


class EventInitTests(unittest.TestCase):
    """
    The hand-written C{__init__} of L{events.Event} matches its fields.
    """

    def test_signatureIsTheFields(self):
        """
        Its parameters are the fields, in order, with the same defaults.
        """
        parameters = list(
            inspect.signature(events.Event.__init__).parameters.values())[1:]
        fields = dataclasses.fields(events.Event)
        self.assertEqual(
            [(p.name, p.default) for p in parameters],
            [(f.name, inspect.Parameter.empty
              if f.default is dataclasses.MISSING else f.default)
             for f in fields])

    def test_setsEveryField(self):
        """
        Each field holds what was given, or its default.
        """
        event = events.Event(events.TRANSFER, "192.0.2.1", command="RETR",
                             code=226, bytes=5)
        self.assertEqual(
            dataclasses.asdict(event),
            {f.name: f.default for f in dataclasses.fields(events.Event)}
            | {"kind": events.TRANSFER, "peer": "192.0.2.1",
               "command": "RETR", "code": 226, "bytes": 5})

    def test_frozenValue(self):
        """
        It stays a frozen value: equal events are equal and hash alike,
        and a field cannot be set.
        """
        one = events.Event(events.LOGIN, "192.0.2.1", user="alice")
        two = events.Event(events.LOGIN, "192.0.2.1", user="alice")
        self.assertEqual(one, two)
        self.assertEqual(hash(one), hash(two))
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, one,
                          "user", "mallory")
        self.assertEqual(dataclasses.replace(one, user="bob").user, "bob")


class FromFieldsTests(unittest.TestCase):
    """
    L{events.Event.fromFields} makes the event the class makes from the
    same fields.
    """

    def test_sameEvent(self):
        """
        It equals, hashes, prints, converts and pickles as the event made
        by calling the class, and the fields not given read their
        defaults.
        """
        import pickle

        given = {"kind": events.LOGOUT, "peer": "192.0.2.1",
                 "user": "alice", "seconds": 2.5, "bytesIn": 7}
        made = events.Event.fromFields(dict(given))
        called = events.Event(**given)
        self.assertIs(type(made), events.Event)
        self.assertEqual(made, called)
        self.assertEqual(hash(made), hash(called))
        self.assertEqual(repr(made), repr(called))
        self.assertEqual(dataclasses.asdict(made), dataclasses.asdict(called))
        self.assertEqual(pickle.loads(pickle.dumps(made)), called)
        self.assertIsNone(made.path)
        self.assertTrue(made.binary)
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, made,
                          "user", "mallory")
