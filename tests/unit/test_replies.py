"""
Tests for L{ftpkit.protocol.replies}.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.protocol.replies import (
    encodeReply,
    encodeText,
    formatReply,
    quotePath,
    shownName,
)
from tests.controlnames import controlsIn

_ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=())),
    st.lists(
        st.sampled_from(
            ["\r", "\n", "\r\n", "226 ", "226-", "x", " ", "\udcff", "\ud800",
             "\x1b", "\x9b", "\udc9b", "\x7f"]
        )
    ).map("".join),
)


def _replyLines(data):
    """
    Split reply bytes into lines the way a client does.

    @param data: the bytes of one reply.
    @return: the lines without their CRLF.
    """
    return data.split(b"\r\n")[:-1]


def _isFinalLine(line, code):
    """
    @param line: one line of a reply.
    @param code: the reply code.
    @return: whether a client reading C{line} would take the reply as done.
    """
    return line.startswith(b"%03d " % (code,))


class FormatReplyTests(SynchronousTestCase):
    """
    Tests for L{formatReply}.
    """

    def test_singleLine(self):
        """
        One line is C{CODE text CRLF}.
        """
        self.assertEqual(formatReply(200, "OK"), b"200 OK\r\n")
        self.assertEqual(formatReply(200, ["OK"]), b"200 OK\r\n")

    def test_emptyText(self):
        """
        Empty text, or no lines at all, still gives one well-formed line.
        """
        self.assertEqual(formatReply(200, ""), b"200 \r\n")
        self.assertEqual(formatReply(200, []), b"200 \r\n")

    def test_multiLine(self):
        """
        Several lines make an RFC 959 multi-line reply.
        """
        self.assertEqual(
            formatReply(214, ["Commands:", " USER PASS", "End"]),
            b"214-Commands:\r\n USER PASS\r\n214 End\r\n",
        )

    def test_twoLines(self):
        """
        Two lines give a first and a last line only.
        """
        self.assertEqual(formatReply(211, ["a", "b"]), b"211-a\r\n211 b\r\n")

    def test_middleLineStartingWithDigits(self):
        """
        A middle line starting with three digits gets a leading space.
        """
        self.assertEqual(
            formatReply(211, ["first", "211 fake end", "123x", "12x", "last"]),
            b"211-first\r\n 211 fake end\r\n 123x\r\n12x\r\n211 last\r\n",
        )

    def test_lineBreaksSplitLines(self):
        """
        A CR, LF or CRLF inside the text splits it into lines of one
        multi-line reply, never a second reply.
        """
        self.assertEqual(
            formatReply(550, "bad\r\n230 Logged in"),
            b"550-bad\r\n550 230 Logged in\r\n",
        )
        self.assertEqual(
            formatReply(550, ["a\rb", "c\nd"]),
            b"550-a\r\nb\r\nc\r\n550 d\r\n",
        )

    def test_forgedMiddleLine(self):
        """
        A forged reply line hidden in a middle line is indented.
        """
        self.assertEqual(
            formatReply(250, ["a", "x\n230 forged", "z"]),
            b"250-a\r\nx\r\n 230 forged\r\n250 z\r\n",
        )

    def test_encoding(self):
        """
        Replies are UTF-8, and a surrogate standing for an undecodable
        byte goes back as that byte, so that a client can send back the
        name it was given (it was C{?}); one standing for no byte becomes
        C{?}.
        """
        self.assertEqual(formatReply(257, "caf\u00e9"), b"257 caf\xc3\xa9\r\n")
        self.assertEqual(formatReply(257, "caf\udce9"), b"257 caf\xe9\r\n")
        self.assertEqual(formatReply(257, "a\ud800\udce9"), b"257 a?\xe9\r\n")
        self.assertEqual(formatReply(211, ["x\udce9", "y", "z"]),
                         b"211-x\xe9\r\ny\r\n211 z\r\n")

    @settings(deadline=None)
    @given(st.integers(100, 599), st.one_of(_ANY_TEXT, st.lists(_ANY_TEXT)))
    def test_exactlyOneFinalLine(self, code, text):
        """
        Whatever the text, the reply has exactly one final line, and it is
        the last; every line before it starts with C{CODE-} or does not
        look like a reply line.
        """
        data = formatReply(code, text)
        self.assertTrue(data.endswith(b"\r\n"))
        lines = _replyLines(data)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", data)
        self.assertTrue(_isFinalLine(lines[-1], code))
        if len(lines) > 1:
            self.assertTrue(lines[0].startswith(b"%03d-" % (code,)))
        for line in lines[:-1]:
            self.assertFalse(re.match(rb"[0-9]{3} ", line), line)
            self.assertNotIn(b"\r", line)
            self.assertNotIn(b"\n", line)


    def test_telnetDoubled(self):
        """
        A C{0xff} of the text (from a name that is not UTF-8) is sent
        doubled, as RFC 854 asks of a Telnet connection's data, on one
        line or several.
        """
        self.assertEqual(formatReply(257, '"/d\udcff\udcf4x"'),
                         b'257 "/d\xff\xff\xf4x"\r\n')
        self.assertEqual(formatReply(212, ["a", "\udcff", "b\udcff"]),
                         b"212-a\r\n\xff\xff\r\n212 b\xff\xff\r\n")


    def test_controlsReplaced(self):
        """
        A control character of the text (ESC, BEL, backspace, DEL, a C1
        control, or a name's byte that is one) is sent as C{"?"}, on one
        line or several; CR and LF still split lines; TAB, which a name
        may hold and a terminal only moves its cursor for, stays.
        """
        self.assertEqual(formatReply(257, '"/a\x1b[2Jb\x07\x08\x7f"'),
                         b'257 "/a?[2Jb???"\r\n')
        self.assertEqual(
            formatReply(212, ["x\x9b1m", "\udc9bz\t", "e\x00\r\nf"]),
            b"212-x?1m\r\n?z\t\r\ne?\r\n212 f\r\n")
        self.assertEqual(formatReply(250, "caf\u00e9 \udce9\udca0"),
                         b"250 caf\xc3\xa9 \xe9\xa0\r\n")

    @given(_ANY_TEXT, st.sampled_from([212, 257]))
    def test_noControlSent(self, text, code):
        """
        No reply holds a control character but its lines' CRLF.
        """
        for lines in [text, [text, text]]:
            sent = formatReply(code, lines)
            self.assertEqual(
                controlsIn(sent.decode("utf-8", "surrogateescape")), [])


class EncodeReplyTests(SynchronousTestCase):
    """
    Tests for L{encodeReply}.
    """

    @given(st.binary())
    def test_undoubledRoundTrip(self, data):
        """
        Undoubling C{0xff} gives back the bytes the text stands for, and
        no C{0xff} stands alone.
        """
        sent = encodeReply(data.decode("utf-8", "surrogateescape"))
        self.assertEqual(sent.replace(b"\xff\xff", b"\xff"), data)
        self.assertNotIn(b"\xff", sent.replace(b"\xff\xff", b""))


class EncodeTextTests(SynchronousTestCase):
    """
    Tests for L{encodeText}.
    """

    @given(st.binary())
    def test_roundTrip(self, data):
        """
        Bytes decoded with C{surrogateescape} encode back to themselves.
        """
        self.assertEqual(encodeText(data.decode("utf-8", "surrogateescape")), data)

    @given(st.text(alphabet=st.characters(exclude_categories=())))
    def test_neverRaises(self, text):
        """
        Any text encodes.
        """
        self.assertIsInstance(encodeText(text), bytes)

    def test_notDoubled(self):
        """
        Text for a data connection (a listing), which is not Telnet, keeps
        a C{0xff} single.
        """
        self.assertEqual(encodeText("d\udcff"), b"d\xff")


class QuotePathTests(SynchronousTestCase):
    """
    Tests for L{quotePath}.
    """

    def test_plain(self):
        """
        A path is wrapped in double quotes.
        """
        self.assertEqual(quotePath("/a b"), '"/a b"')

    def test_embeddedQuotes(self):
        """
        Embedded double quotes are doubled.
        """
        self.assertEqual(quotePath('/say "hi"'), '"/say ""hi"""')


class ShownNameTests(SynchronousTestCase):
    """
    L{shownName}: a name in a reply's text for people, without the
    controls of the text's direction.
    """

    def test_directionControls(self):
        """
        Each control of the text's direction becomes C{"?"}: the Arabic
        letter mark, the two marks, the embeddings and overrides and
        their end, the isolates and their end.
        """
        controls = ("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                    "\u2066\u2067\u2068\u2069")
        self.assertEqual(shownName("a" + controls + "b"),
                         "a" + "?" * len(controls) + "b")
        self.assertEqual(shownName("report\u202etxt.exe"), "report?txt.exe")

    def test_otherText(self):
        """
        Any other text stays as it is: ASCII, accented and right-to-left
        letters, a name that is not UTF-8 (its surrogates), the zero
        width joiner.
        """
        for text in ("plain.txt", "caf\u00e9", "\u05e9\u05dc\u05d5\u05dd.txt",
                     "bad\udcff", "a\u200db", ""):
            self.assertEqual(shownName(text), text)
