"""
Numbers as operators write them: the one grammar every number of the
command lines (C{twistd ftpkit}, C{python -m ftpkit}, C{python -m
ftpkit.passwd} and C{ftpkit.pgadmin}), of C{--listen} endpoints and of
the users file is read with. Only ASCII digits, and a decimal point
where a fraction makes sense: Python's C{int} and C{float} also take a
sign, C{_} between digits, spaces around them and the digits of every
script (C{"\\u0665"}, ARABIC-INDIC DIGIT FIVE, is 5), and C{float}
C{"1e3"}, C{"inf"} and C{"nan"}; a value that was not meant as that
number (a pasted character, a variable holding spaces) was taken as one.
"""

import re
from decimal import Decimal
from fractions import Fraction

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_OCTAL = re.compile(r"[0-7]+")


def isWholeNumber(text):
    """
    @param text: any value.
    @return: whether it is a C{str} of ASCII digits only (at least one).
    """
    return isinstance(text, str) and _WHOLE.fullmatch(text) is not None


def wholeNumber(text):
    """
    @param text: ASCII digits, such as C{"2121"}.
    @return: their C{int}.
    @raise ValueError: when C{text} is anything else (a sign, spaces,
        C{_}, other digits, nothing), or too long a number for Python to
        read (past 4,300 digits).
    """
    if not isWholeNumber(text):
        raise ValueError(f"not a whole number of ASCII digits: {text!r}")
    return int(text)


def octalNumber(text):
    """
    @param text: ASCII octal digits, such as C{"022"} (no C{0o}).
    @return: their C{int}.
    @raise ValueError: when C{text} is anything else.
    """
    if not isinstance(text, str) or _OCTAL.fullmatch(text) is None:
        raise ValueError(f"not an octal number: {text!r}")
    return int(text, 8)


def decimalFraction(text):
    """
    @param text: ASCII digits, optionally with a decimal point followed
        by more of them: C{"30"}, C{"1.5"}.
    @return: its exact value, a L{Fraction}.
    @raise ValueError: when C{text} is anything else (an exponent,
        C{inf}, C{nan}, C{.5} or C{5.} among them).
    """
    return Fraction(_decimal(text))


def decimalNumber(text):
    """
    @param text: as L{decimalFraction} takes it.
    @return: its value as a C{float}: infinite for more digits than a
        C{float} holds (the callers refuse it).
    @raise ValueError: as L{decimalFraction} does.
    """
    return float(_decimal(text))


def decimalText(value):
    """
    A number written back in the grammar L{decimalNumber} reads, for the
    messages that show an option's value: C{format(value, "g")} wrote a
    grace of a million seconds as C{1e+06}, which no option takes.

    @param value: a finite C{int} or C{float} of at least 0.
    @return: its shortest exact digits, without exponent or trailing
        zeros: C{"30"}, C{"2.5"}, C{"1000000"}, C{"0.00001"}.
    """
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class _DecimalFloat(float):
    """
    A C{float} written as L{decimalText} writes it, by C{str} and by
    C{format} without a spec (a log line's C{{seconds}}); C{json} writes
    it as the number it is, by C{float}'s own C{repr}.
    """

    __slots__ = ()

    def __str__(self):
        return decimalText(self)


def decimalValue(value):
    """
    A number for a log event's field (seconds, say): a number to what
    reads the event (C{--log-format json}, a plugin's observer), and in
    the line of its format (C{{grace}}) the digits L{decimalText} writes,
    not C{float}'s C{1e-05} nor C{30.0}.

    @param value: a finite C{int} or C{float} of at least 0.
    @return: an C{int} where C{value} is whole; otherwise a C{float}
        whose C{str} and C{format} are L{decimalText}'s.
    """
    if isinstance(value, int) or float(value).is_integer():
        return int(value)
    return _DecimalFloat(value)


def _decimal(text):
    """
    @param text: any value.
    @return: C{text}, when it is a decimal number L{decimalFraction} takes.
    @raise ValueError: otherwise.
    """
    if not isinstance(text, str) or _DECIMAL.fullmatch(text) is None:
        raise ValueError(f"not a decimal number: {text!r}")
    return text
