"""
Numbers clients send in decimal (C{REST}'s offset, C{ALLO}'s count, an
X-verb's range), in the grammar of L{ftpkit.protocol.numbertext} (ASCII
digits only), with a bound on the digits that leading zeros do not count
against. Pure: no Twisted.
"""

from ftpkit.errors import BadArgument
from ftpkit.protocol.numbertext import isWholeNumber

MOST_DIGITS = 20
"""The most significant digits a number may have: 2**64 has 20, and
C{int} never converts a line of them."""


def readDecimal(text, most=10**MOST_DIGITS - 1):
    """
    @param text: a number in decimal, as a client sent it.
    @param most: the largest value taken.
    @return: its value.
    @raise BadArgument: unless C{text} is ASCII digits of at most C{most},
        however many leading zeros it has (a client may pad a number
        with them: C{REST 0...01} is C{1}).
    """
    if not isWholeNumber(text):
        raise BadArgument()
    # int() of the significant digits alone: of a line of leading zeros
    # it would raise past Python's 4,300-digit limit.
    significant = text.lstrip("0") or "0"
    if len(significant) > MOST_DIGITS or int(significant) > most:
        raise BadArgument()
    return int(significant)
