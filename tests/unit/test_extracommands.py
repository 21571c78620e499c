"""
Tests of the pure parts of ProFTPD's extra commands:
L{ftpkit.protocol.checksums} (the X-verbs' arguments and replies),
L{ftpkit.shells.digests} (the digests shells compute) and
L{ftpkit.protocol.timevals.parseSiteUtimes}.
"""

import hashlib
import zlib

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol.checksums import (
    X_VERBS,
    formatXReply,
    parseHashArgument,
    parseXArgument,
)
from ftpkit.protocol.commands import SITE_UTIME_SYNTAX
from ftpkit.protocol.timevals import parseSiteUtimes
from ftpkit.shells.digests import CRC32, newDigest


class ParseXArgumentTests(SynchronousTestCase):
    """
    L{parseXArgument} reads C{path [start end]}, quoted or not.
    """

    def test_path(self):
        """
        A path alone checksums the whole file; spaces belong to it.
        """
        self.assertEqual(parseXArgument("XMD5", "f.txt"), ("f.txt", 0, None))
        self.assertEqual(parseXArgument("XMD5", "a b.txt"),
                         ("a b.txt", 0, None))
        self.assertEqual(parseXArgument("XMD5", "report 2024"),
                         ("report 2024", 0, None))

    def test_range(self):
        """
        Two numbers after the path are the range C{[start, end)}.
        """
        self.assertEqual(parseXArgument("XCRC", "/d/f.bin 10 200"),
                         ("/d/f.bin", 10, 200))
        self.assertEqual(parseXArgument("XCRC", "a b 0 5"), ("a b", 0, 5))

    def test_quoted(self):
        """
        WinSCP quotes a path holding a space; a range may follow.
        """
        self.assertEqual(parseXArgument("XSHA1", '"/a b/c d.txt"'),
                         ("/a b/c d.txt", 0, None))
        self.assertEqual(parseXArgument("XSHA1", '"x 1 2"'),
                         ("x 1 2", 0, None))
        self.assertEqual(parseXArgument("XSHA1", '"a b" 3 9'), ("a b", 3, 9))

    def test_quotedQuotes(self):
        """
        WinSCP quotes a path holding a space as it is, quotes inside it
        too (C{XSHA1 "/a "b".txt"} for C{a "b".txt}): the path runs to the
        last quote. The first inner quote ended it: 501.
        """
        self.assertEqual(parseXArgument("XSHA1", '"/a "b".txt"'),
                         ('/a "b".txt', 0, None))
        self.assertEqual(parseXArgument("XCRC", '"say "hi" 2" 0 4'),
                         ('say "hi" 2', 0, 4))

    def test_unclosedQuote(self):
        """
        A lone leading quote is part of the name.
        """
        self.assertEqual(parseXArgument("XMD5", '"odd'), ('"odd', 0, None))

    def test_bad(self):
        """
        A quoted path followed by anything but a range, an empty path, or
        a range that does not end past its start: L{BadArgument} (501),
        with the syntax.
        """
        for text in ('"a" junk', '"a" 5', '""', '"" 1 2', "f 5 5", "f 9 3",
                     "f 0 %d" % 2**63):
            error = self.assertRaises(BadArgument, parseXArgument, "XMD5",
                                      text)
            self.assertEqual(error.code, 501)
        error = self.assertRaises(BadArgument, parseXArgument, "XMD5",
                                  '"a" x')
        self.assertIn("XMD5 <sp> pathname [<sp> start <sp> end]",
                      error.message)

    def test_signedRange(self):
        """
        An unquoted path ending in two numbers, one signed, is a bad range
        (501 saying so), not part of the name: C{XCRC f -1 5} got C{550
        No such file}. Quoted, such a name is checksummed whole; one
        signed word alone stays part of the name.
        """
        for text in ("pub/small -1 5", "f 0 -5", "a b +1 +2", "f -3 -1 "):
            error = self.assertRaises(BadArgument, parseXArgument, "XCRC",
                                      text)
            self.assertEqual(error.code, 501)
            self.assertIn("must be unsigned numbers", error.message)
        self.assertEqual(parseXArgument("XCRC", '"f -1 5"'),
                         ("f -1 5", 0, None))
        self.assertEqual(parseXArgument("XCRC", "f -1"), ("f -1", 0, None))
        self.assertEqual(parseXArgument("XCRC", "f -1 x"),
                         ("f -1 x", 0, None))

    def test_hugeNumbers(self):
        """
        A range's number of more digits than Python converts (over 4,300)
        is L{BadArgument} with the syntax, not L{ValueError}, as are 21
        digits after leading zeros; leading zeros, however many, do not
        count (as C{REST}'s: C{f 0 0...01} of 60 zeros is C{f 0 1}).
        """
        huge = "9" * 5000
        for text in ("f 1 " + huge, "f %s 1" % huge, '"f" 0 %s' % huge,
                     "f 0 " + "0" * 20 + "1" * 21):
            error = self.assertRaises(BadArgument, parseXArgument, "XMD5",
                                      text)
            self.assertIn("XMD5 <sp> pathname", error.message)
        self.assertEqual(parseXArgument("XMD5", "f 0 " + "0" * 19 + "1"),
                         ("f", 0, 1))
        self.assertEqual(
            parseXArgument("XMD5", "f %s %s" % ("0" * 60, "0" * 60 + "1")),
            ("f", 0, 1))

    def test_hashQuoted(self):
        """
        C{HASH} takes a path, quoted (as WinSCP sends one holding a space)
        or not; a lone quote, or two, is part of the name.
        """
        self.assertEqual(parseHashArgument('"/a b/c d.txt"'), "/a b/c d.txt")
        for text in ("a b.txt", '"odd', 'odd"', '""', '"'):
            self.assertEqual(parseHashArgument(text), text)

    def test_reply(self):
        """
        The reply is C{250} and the digest, upper-case.
        """
        self.assertEqual(formatXReply("00ab12"), (250, "00AB12"))

    def test_verbs(self):
        """
        Each X-verb names its algorithm; C{XSHA} is C{XSHA1}.
        """
        self.assertEqual(X_VERBS, {
            "XCRC": "crc32", "XMD5": "md5", "XSHA": "sha1",
            "XSHA1": "sha1", "XSHA256": "sha256", "XSHA512": "sha512"})


class DigestTests(SynchronousTestCase):
    """
    L{newDigest} gives C{hashlib}'s digests and L{CRC32}.
    """

    def test_crc32(self):
        """
        CRC-32 is zlib's, in steps, eight hex digits (leading zeros
        kept).
        """
        digest = newDigest("crc32")
        self.assertIsInstance(digest, CRC32)
        self.assertEqual(digest.hexdigest(), "00000000")
        digest.update(b"hello ")
        digest.update(memoryview(b"world"))
        self.assertEqual(digest.hexdigest(),
                         "%08x" % zlib.crc32(b"hello world"))
        self.assertEqual(int(digest.hexdigest(), 16), 0x0D4A1185)

    def test_hashlib(self):
        """
        Other names are C{hashlib}'s.
        """
        digest = newDigest("sha512")
        digest.update(b"x")
        self.assertEqual(digest.hexdigest(), hashlib.sha512(b"x").hexdigest())

    def test_unknown(self):
        """
        An algorithm neither knows is L{ParameterNotImplemented} (504).
        """
        self.assertRaises(ParameterNotImplemented, newDigest, "nonesuch")


def parseSiteUtime(text):
    """
    @param text: a C{SITE UTIME} argument.
    @return: C{(modified, pathText)} from L{parseSiteUtimes}.
    """
    return parseSiteUtimes(text)[1:]


class ParseSiteUtimeTests(SynchronousTestCase):
    """
    L{parseSiteUtimes} reads both forms of C{SITE UTIME}, in UTC.
    """

    def test_timeFirst(self):
        """
        C{YYYYMMDDhhmm[ss] path}: ProFTPD's documented examples.
        """
        self.assertEqual(parseSiteUtime("200402240836 file.txt"),
                         (1077611760.0, "file.txt"))
        self.assertEqual(parseSiteUtime("20040224083655 a  b.txt"),
                         (1077611815.0, "a  b.txt"))

    def test_leadingBlanks(self):
        """
        One space separates a time from the path in the form with one
        time, as in C{MFMT}: further blanks begin the name. Blanks before
        the time are no name's.
        """
        self.assertEqual(parseSiteUtime("200402240836  lead"),
                         (1077611760.0, " lead"))
        self.assertEqual(parseSiteUtime("  200402240836 f"),
                         (1077611760.0, "f"))

    def test_threeTimes(self):
        """
        C{path atime mtime ctime UTC}: the modification time is the
        second; the path keeps its spaces; C{UTC} in any case.
        """
        self.assertEqual(
            parseSiteUtime("/a b/c.txt 20200101000000 200402240836 "
                           "20200101000000 utc"),
            (1077611760.0, "/a b/c.txt"))

    def test_accessTime(self):
        """
        L{parseSiteUtimes} gives the access time of the form with three
        times (the first), and none for the form with one.
        """
        self.assertEqual(
            parseSiteUtimes("/a b/c.txt 20200101000000 200402240836 "
                            "20210101000000 UTC"),
            (1577836800.0, 1077611760.0, "/a b/c.txt"))
        self.assertEqual(parseSiteUtimes("200402240836 file.txt"),
                         (None, 1077611760.0, "file.txt"))

    def test_timeFirstWinsWithoutUTC(self):
        """
        Without a final C{UTC}, a path of numbers after a time is a path.
        """
        self.assertEqual(
            parseSiteUtime("200402240836 x 200402240836 200402240836 "
                           "200402240836"),
            (1077611760.0, "x 200402240836 200402240836 200402240836"))

    def test_bad(self):
        """
        Anything else is L{BadArgument} (501) with the syntax.
        """
        for text in ("", "200402240836", "200402240836 ", "2004022408 f",
                     "2004022408361 f", "200413240836 f", "200402300836 f",
                     "f 200402240836", "f 1 2 3 UTC",
                     "f 200402240836 200413240836 200402240836 UTC",
                     "f 200413240836 200402240836 200402240836 UTC",
                     "f 200402240836 200402240836 200402241260 UTC"):
            error = self.assertRaises(BadArgument, parseSiteUtime, text)
            self.assertEqual((error.code, error.message),
                             (501, SITE_UTIME_SYNTAX), text)
