"""
L{ftpkit.protocol.replies.formatReply} gives the bytes the expression-based
formatting gave before it looked for line breaks and codes with string
tests (C{docs/benchmark-investigations.rst}, C{bench-feat-55}): every
multi-line reply (C{FEAT} with and without TLS, C{HELP}, C{STAT},
C{MLST}) byte for byte.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.protocol import commandtable
from ftpkit.protocol.replies import encodeReply, formatReply, printable

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_STARTS_WITH_CODE = re.compile(r"[0-9]{3}", re.ASCII)

_PIECES = ["\r", "\n", "\r\n", "226 ", "226-", "12", "123", "\uff11\uff12\uff13",
           "\u00b9\u00b2\u00b3", "x", " ", "\t", "\udcff", "\ud800", "\x1b",
           "\x9b", "\udc9b", "\x7f", "\u202e", "\xff", "é"]
_LINE = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=())),
    st.lists(st.sampled_from(_PIECES)).map("".join),
)


def _expressionReply(code, text):
    """
    The formatting as it was: each line split by an expression and each
    middle line matched by another.

    @param code: the reply code.
    @param text: a L{str} or a L{list} of lines.
    @return: the reply's bytes.
    """
    given = [text] if isinstance(text, str) else list(text)
    lines = []
    for line in given or [""]:
        lines.extend(map(printable, _LINE_BREAK.split(line)))
    if len(lines) == 1:
        return encodeReply(f"{code:03d} {lines[0]}\r\n")
    middle = [" " + line if _STARTS_WITH_CODE.match(line) else line
              for line in lines[1:-1]]
    return encodeReply("".join(
        [f"{code:03d}-{lines[0]}\r\n"]
        + [line + "\r\n" for line in middle]
        + [f"{code:03d} {lines[-1]}\r\n"]))


class SameBytesTests(SynchronousTestCase):
    """
    L{formatReply} against L{_expressionReply}.
    """

    def assertSame(self, code, text):
        """
        @param code: the reply code.
        @param text: the reply's text.
        """
        self.assertEqual(formatReply(code, text), _expressionReply(code, text))

    def test_features(self):
        """
        C{FEAT}'s reply, with TLS and without, with a hash line and
        without, is the same.
        """
        for tls in (False, True):
            for hashLine in (None, "HASH SHA-256*;MD5"):
                lines = commandtable.featureLines(
                    tls, "MLST type*;size*;modify*;perm*;unique*;", hashLine)
                self.assertSame(211, ["Features:"]
                                + [" " + line for line in lines] + ["End"])

    def test_help(self):
        """
        C{HELP}'s reply (its lines start with a space, or with a verb) is
        the same.
        """
        self.assertSame(214, ["The following commands are recognized."]
                        + commandtable.helpText() + ["Help OK."])

    def test_statusAndEntries(self):
        """
        Replies like C{STAT}'s and C{MLST}'s, whose middle lines are a
        listing's or an entry's (a name may start with digits, hold a
        line break, a control or a byte that is not UTF-8), are the same.
        """
        self.assertSame(211, ["Status of /:", "-rw-r--r-- 1 ftp ftp 3 x",
                              "226 forged", "2026 report", "End of status"])
        self.assertSame(250, ["Listing /a", " type=file;size=3; 123\r\n456",
                              "End"])
        self.assertSame(213, ["Status of \udcff\x1b:", "\x9bname\t",
                              "\uff11\uff12\uff13", "End"])

    @settings(deadline=None)
    @given(st.integers(100, 599), st.one_of(_LINE, st.lists(_LINE)))
    def test_anyText(self, code, text):
        """
        Any text or lines give the same bytes.
        """
        self.assertSame(code, text)
