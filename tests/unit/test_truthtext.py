"""
Tests for L{ftpkit.protocol.truthtext}: the one reading of a yes or a no
that store options and endpoint arguments share.
"""

from twisted.trial import unittest

from ftpkit.protocol.truthtext import FALSE_WORDS, SPELLINGS, TRUE_WORDS, truthValue


class TruthValueTests(unittest.TestCase):
    """
    L{truthValue} reads 1/0, true/false, yes/no and on/off in any case.
    """

    def test_spellings(self):
        """
        Every spelling, in any case, is read; C{bool} values are kept, and
        the C{int}s 1 and 0 (a query's digits, a TOML integer) read as
        their texts do.
        """
        for words, truth in [(TRUE_WORDS, True), (FALSE_WORDS, False)]:
            for word in words:
                for written in (word, word.upper(), word.capitalize()):
                    self.assertIs(truthValue(written), truth, written)
        for value, truth in [(True, True), (False, False), (1, True),
                             (0, False)]:
            self.assertIs(truthValue(value), truth)

    def test_others(self):
        """
        Anything else is C{None}, for its caller to refuse: other numbers
        (Twisted took C{lockfile=2} as true), texts that only look like a
        yes, nothing, and values of other kinds.
        """
        for value in [2, -1, "2", "-1", "", " yes", "y", "n", "maybe",
                      "t", "1.0", 1.0, None, [], "\u0661"]:
            self.assertIsNone(truthValue(value), repr(value))

    def test_spellingsSaid(self):
        """
        The usage errors' text names every pair.
        """
        for true, false in zip(TRUE_WORDS, FALSE_WORDS):
            self.assertIn(f"{true}/{false}", SPELLINGS)
