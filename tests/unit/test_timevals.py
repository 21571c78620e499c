"""
Tests for the times of L{ftpkit.protocol.commands}: the C{time-val} of
C{MDTM}, C{MFMT} and C{MLST} (RFC 3659), read and written.
"""

import calendar
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument
from ftpkit.protocol.commands import (
    formatSetTime,
    formatTimeval,
    parseMFMT,
    parseTimeval,
    utcDatetime,
)


class TimevalTests(SynchronousTestCase):
    """
    Tests for L{parseTimeval}, L{formatTimeval} and L{utcDatetime}.
    """

    def test_parse(self):
        """
        A time value is read as UTC.
        """
        expected = calendar.timegm((2026, 11, 25, 13, 1, 0))
        self.assertEqual(parseTimeval("20261125130100"), expected)
        self.assertEqual(parseTimeval("19700101000000"), 0)

    def test_parseFraction(self):
        """
        One to three fraction digits add to the seconds.
        """
        base = calendar.timegm((2026, 11, 25, 13, 1, 0))
        self.assertEqual(parseTimeval("20261125130100.5"), base + 0.5)
        self.assertEqual(parseTimeval("20261125130100.25"), base + 0.25)
        self.assertEqual(parseTimeval("20261125130100.125"), base + 0.125)

    def test_parseLongFraction(self):
        """
        RFC 3659's C{time-val} takes any number of fraction digits
        (C{1*DIGIT}): microseconds, nanoseconds and more are read (they
        were refused, and C{MFMT} with them got C{501}), to the
        millisecond, truncated, so that C{.9999} stays in its second.
        """
        base = calendar.timegm((2026, 11, 25, 13, 1, 0))
        self.assertEqual(parseTimeval("20261125130100.123456"), base + 0.123)
        self.assertEqual(parseTimeval("20261125130100.9999"), base + 0.999)
        self.assertEqual(parseTimeval("20261125130100." + "5" * 5000),
                         base + 0.555)
        self.assertEqual(formatTimeval(parseTimeval("20261125130100.9999")),
                         "20261125130100")

    def test_parseInvalid(self):
        """
        Invalid time values raise L{BadArgument}.
        """
        for text in [
            "",
            "2026112513010",
            "202611251301000",
            "20261325130100",
            "20260230130100",
            "20261125250100",
            "20261125136000",
            "20261125130160",
            "00001125130100",
            "20261125130100.",
            "20261125130100.12a",
            "2026-11-25 13:01",
            "\u0662\u0660261125130100",
        ]:
            self.assertRaises(BadArgument, parseTimeval, text)

    def test_format(self):
        """
        L{formatTimeval} writes UTC, whole seconds unless asked.
        """
        epoch = calendar.timegm((2026, 11, 25, 13, 1, 0)) + 0.25
        self.assertEqual(formatTimeval(epoch), "20261125130100")
        self.assertEqual(formatTimeval(epoch, fraction=True), "20261125130100.250")
        self.assertEqual(formatTimeval(0), "19700101000000")

    def test_formatBeforeEpoch(self):
        """
        Times before 1970 format correctly.
        """
        self.assertEqual(formatTimeval(-1), "19691231235959")
        self.assertEqual(formatTimeval(-0.5, fraction=True), "19691231235959.500")

    def test_formatClamped(self):
        """
        Times outside years 1 to 9999, and NaN, format without raising.
        """
        self.assertEqual(formatTimeval(1e20), "99991231235959")
        self.assertEqual(formatTimeval(-1e20), "00010101000000")
        self.assertEqual(formatTimeval(float("inf")), "99991231235959")
        self.assertEqual(formatTimeval(float("nan")), "19700101000000")

    def test_utcDatetime(self):
        """
        L{utcDatetime} gives an aware UTC datetime.
        """
        when = utcDatetime(86400.5)
        self.assertEqual((when.year, when.month, when.day), (1970, 1, 2))
        self.assertEqual(when.microsecond, 500000)
        self.assertEqual(when.utcoffset().total_seconds(), 0)

    @given(
        st.datetimes(
            min_value=datetime(1, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59),
        ),
        st.integers(0, 999),
    )
    def test_roundTrip(self, when, milliseconds):
        """
        A time value read and formatted again with its fraction comes back
        unchanged.
        """
        text = (
            f"{when.year:04d}{when.month:02d}{when.day:02d}"
            f"{when.hour:02d}{when.minute:02d}{when.second:02d}"
            f".{milliseconds:03d}"
        )
        self.assertEqual(formatTimeval(parseTimeval(text), fraction=True), text)

    def test_mfmt(self):
        """
        L{parseMFMT} splits the time from the path, which keeps its spaces.
        """
        base = calendar.timegm((2026, 11, 25, 13, 1, 0))
        self.assertEqual(parseMFMT("20261125130100 a file"), (base, "a file"))
        self.assertEqual(parseMFMT("20261125130100.5 /x"), (base + 0.5, "/x"))
        self.assertEqual(parseMFMT("20261125130100  x "), (base, " x "))

    def test_mfmtInvalid(self):
        """
        A bad time or a missing path raises L{BadArgument}.
        """
        for text in ("", "20261125130100", "20261125130100 ", "x file", " file"):
            self.assertRaises(BadArgument, parseMFMT, text)

    def test_setTime(self):
        """
        L{formatSetTime} gives milliseconds where there are some, a whole
        second without a fraction.
        """
        base = calendar.timegm((2026, 11, 25, 13, 1, 0))
        self.assertEqual(formatSetTime(base), "20261125130100")
        self.assertEqual(formatSetTime(base + 0.5), "20261125130100.500")
        self.assertEqual(formatSetTime(base + 0.0004), "20261125130100")
        self.assertEqual(formatSetTime(base + 0.9996), "20261125130101")
