"""
Tests for L{ftpkit.protocol.numbertext}, the one grammar of the numbers
operators write, and for the readers of sizes and counts that use it.
"""

import json
from argparse import ArgumentTypeError
from fractions import Fraction

from twisted.trial import unittest

from ftpkit.auth import passwd
from ftpkit.deploy.limitoptions import (
    parseByteCount,
    transferLimitsConfigFields,
)
from ftpkit.deploy.optionvalues import (
    nonNegativeNumber,
    portRange,
    positiveInteger,
    timeoutSeconds,
)
from ftpkit.protocol.limitkeys import parsePrefixLength
from ftpkit.protocol.numbertext import (
    decimalFraction,
    decimalNumber,
    decimalText,
    decimalValue,
    isWholeNumber,
    octalNumber,
    wholeNumber,
)
from ftpkit.shells.storagebounds import optionValue

NOT_PLAIN = ["+5", "1_000", " 5 ", "5 ", " 5", "\t5", "5\n", "\u0665",
             "\uff15", "\u00b2", "", "-5", "0x10", "5.", ".5"]
"""Texts Python's C{int} or C{float} read as a number (or that no reader
should), which are not ASCII digits: a sign, C{_}, spaces, ARABIC-INDIC
DIGIT FIVE, FULLWIDTH DIGIT FIVE, a superscript two..."""


class GrammarTests(unittest.SynchronousTestCase):
    """
    ASCII digits only, and a decimal point where a fraction is allowed.
    """

    def test_whole(self):
        """
        Digits are read; anything else is a C{ValueError} (C{int} took
        C{+5}, C{1_000}, C{" 5 "} and C{"\\u0665"} as numbers).
        """
        self.assertEqual(wholeNumber("0"), 0)
        self.assertEqual(wholeNumber("0021"), 21)
        self.assertEqual(wholeNumber(str(2 ** 64)), 2 ** 64)
        for text in [*NOT_PLAIN, "1.5", None, 5]:
            self.assertRaises(ValueError, wholeNumber, text)
            self.assertFalse(isWholeNumber(text), text)

    def test_decimal(self):
        """
        Digits with an optional fraction; no exponent, C{inf} or C{nan}.
        """
        self.assertEqual(decimalNumber("30"), 30.0)
        self.assertEqual(decimalNumber("1.5"), 1.5)
        self.assertEqual(decimalFraction("0.1"), Fraction(1, 10))
        for text in [*NOT_PLAIN, "1e3", "inf", "nan", "1.2.3", None]:
            self.assertRaises(ValueError, decimalNumber, text)
            self.assertRaises(ValueError, decimalFraction, text)

    def test_octal(self):
        """
        Octal digits only, without C{0o}.
        """
        self.assertEqual(octalNumber("022"), 0o22)
        for text in [*NOT_PLAIN, "8", "0o22", "\u0662\u0662"]:
            self.assertRaises(ValueError, octalNumber, text)


class ReadersTests(unittest.SynchronousTestCase):
    """
    Every reader of a number the command lines and the users file take
    refuses what is not ASCII digits.
    """

    def test_options(self):
        """
        Counts, timeouts, grace, ports and prefix lengths.
        """
        readers = [positiveInteger, timeoutSeconds, nonNegativeNumber,
                   parsePrefixLength]
        for reader in readers:
            self.assertTrue(reader("64"))
            for text in NOT_PLAIN:
                self.assertRaises(ValueError, reader, text)
        for text in NOT_PLAIN:
            self.assertRaises(ValueError, portRange, f"{text}-60100")
            self.assertRaises(ValueError, portRange, f"60000-{text}")

    def test_negativeGrace(self):
        """
        A negative grace still says so.
        """
        error = self.assertRaises(ValueError, nonNegativeNumber, "-1")
        self.assertEqual(str(error), "must be 0 or more seconds, not '-1'")

    def test_sizes(self):
        """
        Sizes and rates keep their suffixes, but not spaces, signs, C{_}
        or other digits; the users file's text rates are read the same.
        """
        self.assertEqual(parseByteCount("64M"), 64 << 20)
        self.assertEqual(parseByteCount("1.5k"), 1536)
        self.assertEqual(parseByteCount("2KiB"), 2048)
        self.assertEqual(parseByteCount("1T"), 1 << 40)
        self.assertEqual(parseByteCount("1.5tib"), 3 << 39)
        for text in [*NOT_PLAIN, "5 K", " 5K", "5K ", "+5K", "\u0665M",
                     "1_000K"]:
            error = self.assertRaises(ValueError, parseByteCount, text)
            self.assertIn("must be a number of bytes", str(error))

    def test_terabytes(self):
        """
        C{--max-upload-size 1T} is a terabyte: it was refused, the suffixes
        stopping at G.
        """
        options = {"max-upload-size": "1T"}
        fields = transferLimitsConfigFields(options)
        self.assertEqual(fields["maxUploadSize"], 1 << 40)
        error = self.assertRaises(ValueError, parseByteCount, "1P")
        self.assertIn("K, M, G or T suffix", str(error))

    def test_tools(self):
        """
        The counts and sizes of C{python -m ftpkit.passwd} and
        C{ftpkit.pgadmin}.
        """
        self.assertEqual(passwd.positiveCount("7"), 7)
        for text in NOT_PLAIN:
            self.assertRaises(ArgumentTypeError, passwd.positiveCount, text)
            self.assertRaises(ArgumentTypeError, passwd.byteCount, text)

    def test_storageOption(self):
        """
        A backend option of C{--realm fsspec:URL} is an C{int} only when
        it is ASCII digits: a superscript two was a C{ValueError} from
        C{int}, and C{"\\u0665"} became 5.
        """
        self.assertEqual(optionValue("2222"), 2222)
        for text in ["\u00b2", "\u0665", "+5", "1_000"]:
            self.assertEqual(optionValue(text), text)


class DecimalTextTests(unittest.SynchronousTestCase):
    """
    L{decimalText} writes a number as L{decimalNumber} reads it.
    """

    def test_noExponent(self):
        """
        Large and small numbers have no exponent, and no trailing zeros;
        each reads back as the same number.
        """
        for value, text in [(30, "30"), (30.0, "30"), (2.5, "2.5"),
                            (1e6, "1000000"), (31536000.0, "31536000"),
                            (1e-5, "0.00001"), (0, "0"), (0.1, "0.1")]:
            self.assertEqual(decimalText(value), text)
            self.assertEqual(decimalNumber(text), value)


class DecimalValueTests(unittest.SynchronousTestCase):
    """
    L{decimalValue} is a number to JSON and L{decimalText}'s digits in
    text.
    """

    def test_numberAndText(self):
        """
        A whole value is an C{int}; another a C{float} equal to it, whose
        C{str} and C{format} without a spec are L{decimalText}'s, and
        whose JSON is C{float}'s.
        """
        for value, number, text in [
                (30, 30, "30"), (30.0, 30, "30"), (1e6, 1000000, "1000000"),
                (2.5, 2.5, "2.5"), (1e-5, 1e-5, "0.00001"), (0, 0, "0")]:
            got = decimalValue(value)
            self.assertEqual((type(got) is int, got),
                             (type(number) is int, number))
            self.assertEqual((str(got), f"{got}", f"(grace {got} s)"),
                             (text, text, f"(grace {text} s)"))
            self.assertEqual(json.loads(json.dumps({"grace": got})),
                             {"grace": number})

    def test_spec(self):
        """
        A format spec is C{float}'s.
        """
        self.assertEqual(f"{decimalValue(1e-5):.6f}", "0.000010")
        self.assertEqual(f"{decimalValue(2.5):g}", "2.5")
