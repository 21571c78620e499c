"""
Tests of L{ftpkit.protocol.factchanges}: the argument of C{MFF}, its
reply, its C{FEAT} line, and why C{HELP} says it cannot be used.
"""

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol.factchanges import (
    FEATURE,
    MODIFY,
    STORAGE,
    SWITCHED_OFF,
    UNGRANTED,
    UNIX_MODE,
    featureLine,
    formatChanges,
    parseMFF,
    refusalText,
)

JAN_1_2020 = 1577836800.0


class ParseMFFTests(SynchronousTestCase):
    """
    L{parseMFF} reads C{fact=value;...} then a path.
    """

    def test_bothFacts(self):
        """
        Both facts, in the order given, names in any case; the path keeps
        its spaces.
        """
        self.assertEqual(
            parseMFF("UNIX.MODE=0644;Modify=20200101000000; a b .txt"),
            (((UNIX_MODE, 0o644), (MODIFY, JAN_1_2020)), "a b .txt"))

    def test_fraction(self):
        """
        A time may have milliseconds, as in C{MFMT}.
        """
        self.assertEqual(parseMFF("modify=20200101000000.5; f")[0],
                         ((MODIFY, JAN_1_2020 + 0.5),))

    def test_shortMode(self):
        self.assertEqual(parseMFF("UNIX.mode=755; f")[0],
                         ((UNIX_MODE, 0o755),))

    def test_syntax(self):
        """
        No path, no fact, a fact without C{;} after it or without C{=},
        a fact twice: C{501}.
        """
        for arg in ["modify=20200101000000;", "modify=20200101000000 f",
                    "; f", "modify; f", "=1; f", "modify=20200101000000;;",
                    "modify=20200101000000;modify=20200101000000; f", ""]:
            self.assertRaises(BadArgument, parseMFF, arg)

    def test_badValues(self):
        """
        A time that is not one, a mode that is not octal or has set-id or
        sticky bits (refused as C{SITE CHMOD} refuses them): C{501}.
        """
        for arg in ["modify=2020; f", "modify=20201301000000; f",
                    "UNIX.mode=0o644; f", "UNIX.mode=4755; f",
                    "UNIX.mode=1777; f", "UNIX.mode=; f",
                    "UNIX.mode=999; f", "UNIX.mode=000000644; f"]:
            self.assertRaises(BadArgument, parseMFF, arg)

    def test_unknownFact(self):
        """
        A fact ftpkit cannot set (C{create}, C{MFCT}'s; C{UNIX.group};
        any other) is C{504}, named in the reply, even after one it can.
        """
        for arg, name in [("create=20200101000000; f", "create"),
                          ("modify=20200101000000;UNIX.group=x; f",
                           "UNIX.group")]:
            error = self.assertRaises(ParameterNotImplemented, parseMFF, arg)
            self.assertIn("'%s'" % name, str(error))


class FormatTests(SynchronousTestCase):
    """
    L{formatChanges} and L{featureLine}.
    """

    def test_changes(self):
        self.assertEqual(formatChanges([(MODIFY, "20200101000000"),
                                        (UNIX_MODE, "0644")]),
                         "modify=20200101000000;UNIX.mode=0644;")

    def test_feature(self):
        """
        The line names what the session can set, and is C{None} when it
        can set nothing.
        """
        self.assertEqual(featureLine({MODIFY, UNIX_MODE}), FEATURE)
        self.assertEqual(featureLine({MODIFY}), "MFF modify;")
        self.assertEqual(featureLine({UNIX_MODE}), "MFF UNIX.mode;")
        self.assertIsNone(featureLine(set()))


class RefusalTextTests(SynchronousTestCase):
    """
    L{refusalText}: each fact's reason, those of a kind together.
    """

    def test_oneFact(self):
        self.assertEqual(refusalText({MODIFY: STORAGE}),
                         "this storage cannot set times")
        self.assertEqual(refusalText({UNIX_MODE: SWITCHED_OFF}),
                         "this server lets nobody change modes")

    def test_sameReason(self):
        self.assertEqual(refusalText({MODIFY: UNGRANTED, UNIX_MODE: UNGRANTED}),
                         "you may set times or change modes nowhere")

    def test_reasonsApart(self):
        """
        Different reasons each name their fact, in the order storage,
        permissions, server, whatever the order given.
        """
        self.assertEqual(refusalText({UNIX_MODE: STORAGE, MODIFY: UNGRANTED}),
                         "this storage cannot change modes; you may set"
                         " times nowhere")
