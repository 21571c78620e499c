"""
Tests for L{ftpkit.protocol.commands}: command lines, and the arguments
of C{REST}, C{ALLO}, C{TYPE}, C{MODE}, C{STRU}, C{LIST} and C{OPTS}.

The address arguments (C{PORT}, C{EPRT}, C{EPSV}) are tested in
L{tests.unit.test_addressarguments}, times in L{tests.unit.test_timevals}.
"""


import re

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol import commands
from ftpkit.protocol.commands import (
    DEFAULT_DEFLATE_LEVEL,
    MLST_FACTS,
    abortAmong,
    isHTTPRequest,
    optionsAlone,
    parseALLO,
    parseHASHAlgorithm,
    parseLine,
    parseMODE,
    parseOptsMLST,
    parseOptsModeZ,
    parsePRET,
    parseREST,
    parseSTRU,
    parseTYPE,
    splitListArgument,
)


class ParseLineTests(SynchronousTestCase):
    """
    Tests for L{parseLine}.
    """

    def test_verbOnly(self):
        """
        A line without a space is all verb, with an empty argument.
        """
        self.assertEqual(parseLine(b"PWD"), ("PWD", ""))

    def test_verbUpperCased(self):
        """
        The verb is upper-cased.
        """
        self.assertEqual(parseLine(b"user alice"), ("USER", "alice"))

    def test_trailingCR(self):
        """
        A trailing CR is removed from the argument or verb.
        """
        self.assertEqual(parseLine(b"NOOP\r"), ("NOOP", ""))
        self.assertEqual(parseLine(b"CWD dir\r"), ("CWD", "dir"))

    def test_onlyOneTrailingCR(self):
        """
        Only the last CR is removed; another one stays in the argument
        (where path resolution refuses it).
        """
        self.assertEqual(parseLine(b"CWD dir\r\r"), ("CWD", "dir\r"))

    def test_whitespaceKept(self):
        """
        Only the single separating space is removed: other spaces are part
        of the argument.
        """
        self.assertEqual(parseLine(b"STOR  two  spaces \r"), ("STOR", " two  spaces "))
        self.assertEqual(parseLine(b"LIST \r"), ("LIST", ""))
        self.assertEqual(parseLine(b"MKD  x \r"), ("MKD", " x "))

    def test_tabEndsVerb(self):
        """
        A tab ends the verb as a space does (C{"NOOP\\t"} was the verb
        C{"NOOP\\t"}, unknown); only that one is removed.
        """
        self.assertEqual(parseLine(b"NOOP\t\r"), ("NOOP", ""))
        self.assertEqual(parseLine(b"type\tI"), ("TYPE", "I"))
        self.assertEqual(parseLine(b"CWD\t\td "), ("CWD", "\td "))
        self.assertEqual(parseLine(b"CWD d\te"), ("CWD", "d\te"))

    def test_blankArgumentIsNone(self):
        """
        An argument that is only whitespace is no argument: C{"MKD  "}
        names no directory (it made one called C{" "}).
        """
        self.assertEqual(parseLine(b"MKD  \r"), ("MKD", ""))
        self.assertEqual(parseLine(b"DELE \t \r"), ("DELE", ""))
        self.assertEqual(parseLine(b"MLST   "), ("MLST", ""))

    def test_unicodeSpacesAreNames(self):
        """
        Only ASCII whitespace is blank: a name of characters Unicode calls
        spaces (a no-break space, an ideographic space, the separator
        U+001C) is a name, which was taken for no argument (found by
        Hypothesis in test_verbEndsAtFirstSeparator).
        """
        for name in ("\u00a0", "\u3000", "\x1c", " \u00a0 "):
            self.assertEqual(parseLine(("MKD " + name).encode()),
                             ("MKD", name))

    def test_blankPasswordKept(self):
        """
        A password is kept as typed, even when it is only spaces.
        """
        self.assertEqual(parseLine(b"PASS   \r"), ("PASS", "  "))
        self.assertEqual(parseLine(b"pass  "), ("PASS", " "))

    def test_utf8Argument(self):
        """
        The argument is decoded as UTF-8.
        """
        self.assertEqual(parseLine("RETR caf\u00e9".encode()), ("RETR", "caf\u00e9"))

    def test_undecodableArgument(self):
        """
        Bytes that are not UTF-8 become lone surrogates that encode back to
        the same bytes.
        """
        _verb, argument = parseLine(b"RETR caf\xe9")
        self.assertEqual(argument, "caf\udce9")
        self.assertEqual(argument.encode("utf-8", "surrogateescape"), b"caf\xe9")

    def test_nonASCIIVerb(self):
        """
        A verb that is not ASCII is returned as received, not upper-cased.
        """
        self.assertEqual(parseLine("r\u00e9tr x".encode()), ("r\u00e9tr", "x"))
        self.assertEqual(parseLine(b"re\x80 x")[0], "re\udc80")

    def test_telnetInterruptAndSynch(self):
        """
        C{IAC IP IAC DM} before C{ABOR} is stripped.
        """
        self.assertEqual(parseLine(b"\xff\xf4\xff\xf2ABOR\r"), ("ABOR", ""))

    def test_telnetNegotiation(self):
        """
        C{IAC WILL/WONT/DO/DONT} are stripped with their option byte.
        """
        for command in b"\xfb\xfc\xfd\xfe":
            line = b"NO" + bytes([0xFF, command, 0x01]) + b"OP"
            self.assertEqual(parseLine(line), ("NOOP", ""))

    def test_telnetEscapedIAC(self):
        """
        C{IAC IAC} stands for one C{0xff} data byte.
        """
        self.assertEqual(parseLine(b"RETR a\xff\xffb")[1], "a\udcffb")

    def test_loneIAC(self):
        """
        An C{IAC} not followed by a Telnet command is kept as data.
        """
        self.assertEqual(parseLine(b"RETR a\xffb")[1], "a\udcffb")
        self.assertEqual(parseLine(b"RETR a\xff")[1], "a\udcff")

    def test_argumentKeepsTelnetCommands(self):
        """
        In the argument, an C{IAC} followed by a Telnet command byte is
        the name's, not a command: dropped, C{b"\\xff\\xf4report"} (a name
        as a client listed it) named C{report}.
        """
        self.assertEqual(parseLine(b"DELE \xff\xf4report")[1],
                         "\udcff\udcf4report")
        self.assertEqual(parseLine(b"RNFR a\xff\xfb\x01b")[1],
                         "a\udcff\udcfb\x01b")
        self.assertEqual(parseLine(b"DELE \xff\xff\xf4report")[1],
                         "\udcff\udcf4report")
        self.assertEqual(parseLine(b"RETR a\xff\xff\xff\xffb")[1],
                         "a\udcff\udcffb")

    def test_negotiationBeforeArgument(self):
        """
        A negotiation before the verb is stripped even when its option
        byte is a space (option 32): that space is no separator.
        """
        self.assertEqual(parseLine(b"\xff\xfb NOOP"), ("NOOP", ""))
        self.assertEqual(parseLine(b"\xff\xfd RETR x"), ("RETR", "x"))

    def test_truncatedNegotiation(self):
        """
        A negotiation cut off at the end of the line is dropped.
        """
        self.assertEqual(parseLine(b"NOOP\xff\xfb"), ("NOOP", ""))

    def test_empty(self):
        """
        An empty line gives an empty verb.
        """
        self.assertEqual(parseLine(b""), ("", ""))
        self.assertEqual(parseLine(b"\r"), ("", ""))

    @settings(deadline=None)
    @given(st.binary())
    def test_neverRaises(self, line):
        """
        Any bytes give two strings, the argument free of a trailing CR.
        """
        verb, argument = parseLine(line)
        self.assertIsInstance(verb, str)
        self.assertIsInstance(argument, str)
        self.assertNotIn(" ", verb)

    @settings(deadline=None)
    @given(st.binary().filter(lambda data: b"\xff" not in data and b" " not in data))
    def test_argumentRoundTrip(self, data):
        """
        Without Telnet bytes, an argument that is not only whitespace
        encodes back to what was sent.
        """
        _verb, argument = parseLine(b"STOR x" + data + b"\r")
        self.assertEqual(
            argument.encode("utf-8", "surrogateescape") + b"\r",
            b"x" + data + b"\r"
        )

    @settings(deadline=None)
    @given(st.binary(max_size=12).filter(lambda data: b"\xff" not in data))
    def test_verbEndsAtFirstSeparator(self, line):
        """
        Without Telnet bytes, the verb is what comes before the first space
        or tab, the argument what comes after it.
        """
        body = line[:-1] if line.endswith(b"\r") else line
        verb, _, argument = (re.split(rb"([ \t])", body, maxsplit=1)
                             + [b"", b""])[:3]
        parsed = parseLine(line)
        self.assertEqual(parsed[0].encode("utf-8", "surrogateescape"),
                         verb.upper() if verb.isascii() else verb)
        if not argument.isspace() and argument:
            self.assertEqual(parsed[1],
                             argument.decode("utf-8", "surrogateescape"))


class VerbAloneTests(SynchronousTestCase):
    """
    Tests for the lines of a verb alone that L{parseLine} keeps.
    """

    def setUp(self):
        self.kept = {}
        self.patch(commands, "_VERB_ALONE", self.kept)

    def test_keptAnswer(self):
        """
        A verb alone is split once: the same line again gets the answer
        kept, which is the one it got the first time.
        """
        first = parseLine(b"epsv\r")
        self.assertEqual(first, ("EPSV", ""))
        self.assertEqual(self.kept, {b"epsv\r": first})
        self.assertIs(parseLine(b"epsv\r"), first)

    def test_notKept(self):
        """
        A line with an argument, or longer than
        C{_VERB_ALONE_LENGTH}, is not kept.
        """
        self.assertEqual(parseLine(b"RETR a\r"), ("RETR", "a"))
        long = b"X" * (commands._VERB_ALONE_LENGTH + 1)
        self.assertEqual(parseLine(long), (long.decode(), ""))
        self.assertEqual(self.kept, {})

    def test_bounded(self):
        """
        At most C{_VERB_ALONE_MOST} lines are kept; a line after them is
        split each time, to the same answer.
        """
        for n in range(commands._VERB_ALONE_MOST):
            parseLine(b"V%d" % (n,))
        self.assertEqual(len(self.kept), commands._VERB_ALONE_MOST)
        self.assertEqual(parseLine(b"NOOP\r"), ("NOOP", ""))
        self.assertEqual(parseLine(b"NOOP\r"), ("NOOP", ""))
        self.assertNotIn(b"NOOP\r", self.kept)

    @settings(deadline=None)
    @given(st.binary(max_size=10))
    def test_sameAnswer(self, line):
        """
        A line kept gets the answer it got when split.
        """
        self.kept.clear()
        first = parseLine(line)
        self.assertEqual(parseLine(line), first)


class AbortAmongTests(SynchronousTestCase):
    """
    L{abortAmong} finds an C{ABOR} among lines read and not run.
    """

    def test_found(self):
        """
        A complete C{ABOR} line, in any case, after others, with CRLF or
        LF, or after Telnet's C{IAC IP}.
        """
        for data in (b"ABOR\r\n", b"NOOP\r\nabor\r\n", b"ABOR\n",
                     b"\xff\xf4\xff\xf2ABOR\r\nNO"):
            self.assertTrue(abortAmong(data), data)

    def test_notFound(self):
        """
        No line, an C{ABOR} not ended yet, other verbs, or C{ABOR} as an
        argument.
        """
        for data in (b"", b"ABOR", b"ABOR\r", b"NOOP\r\n",
                     b"ABORT\r\n", b"DELE ABOR\r\n"):
            self.assertFalse(abortAmong(data), data)


class HTTPRequestTests(SynchronousTestCase):
    """
    L{isHTTPRequest} tells an HTTP request line from an FTP command.
    """

    def test_requestLines(self):
        """
        A method, a target and an HTTP version.
        """
        for line in (b"POST /form HTTP/1.1", b"GET / HTTP/1.0",
                     b"get /x HTTP/1.1", b"OPTIONS * HTTP/1.1",
                     b"CONNECT ftp.example.com:21 HTTP/1.1"):
            self.assertTrue(isHTTPRequest(*parseLine(line)), line)

    def test_commands(self):
        """
        FTP commands, and HTTP methods without a version, are not.
        """
        for line in (b"RETR HTTP/1.1", b"STOR /a HTTP/1.1", b"GET /x",
                     b"GET", b"OPTS UTF8 ON", b"HEAD HTTP"):
            self.assertFalse(isHTTPRequest(*parseLine(line)), line)


class RESTTests(SynchronousTestCase):
    """
    Tests for L{parseREST}.
    """

    def test_offset(self):
        """
        Decimal digits give the offset.
        """
        self.assertEqual(parseREST("0"), 0)
        self.assertEqual(parseREST("1234"), 1234)
        self.assertEqual(parseREST(" 10 "), 10)
        self.assertEqual(parseREST(str(2**63 - 1)), 2**63 - 1)

    def test_leadingZeros(self):
        """
        Leading zeros, however many, do not count against the bound on
        digits: C{0...01} is C{1}; the value's bound holds still.
        """
        self.assertEqual(parseREST("0" * 57 + "1"), 1)
        self.assertEqual(parseREST("0" * 100), 0)
        self.assertEqual(parseREST("0" * 40 + str(2**63 - 1)), 2**63 - 1)
        self.assertRaises(BadArgument, parseREST, "0" * 40 + str(2**63))
        self.assertRaises(BadArgument, parseREST, "0" * 40 + "9" * 21)
        # Past Python's 4,300-digit limit for int(): a number, not a
        # ValueError (a 451 and a traceback in the log).
        self.assertEqual(parseREST("0" * 5000 + "7"), 7)
        self.assertEqual(parseREST("0" * 5000), 0)

    def test_invalid(self):
        """
        Anything but digits of an offset a file can have (below 2**63)
        raises L{BadArgument}.
        """
        for text in ("", "-1", "+1", "1.5", "0x10", "9" * 20, "9" * 21,
                     str(2**63), "1 2", "\u0661"):
            self.assertRaises(BadArgument, parseREST, text)


class ALLOTests(SynchronousTestCase):
    """
    Tests for L{parseALLO}.
    """

    def test_count(self):
        """
        A byte count, alone or with C{R} and a record size (RFC 959's
        grammar), gives the count.
        """
        self.assertEqual(parseALLO("10"), 10)
        self.assertEqual(parseALLO(" 10 R 512 "), 10)
        self.assertEqual(parseALLO("10 r 512"), 10)

    def test_leadingZeros(self):
        """
        Leading zeros do not count against the 20 digits a count or a
        record size may have.
        """
        self.assertEqual(parseALLO("0" * 30 + "10"), 10)
        self.assertEqual(parseALLO("10 R " + "0" * 30 + "512"), 10)
        self.assertRaises(BadArgument, parseALLO, "0" * 30 + "9" * 21)

    def test_invalid(self):
        """
        No count, one that is not decimal digits, a C{R} without its size
        or anything after it raise L{BadArgument}.
        """
        for text in ("", "abc", "-1", "10 X", "10 R", "10 R x", "10 R 5 6",
                     "10 5", "9" * 21, "9" * 5000, "\u0661"):
            self.assertRaises(BadArgument, parseALLO, text)


class PRETTests(SynchronousTestCase):
    """
    Tests for L{parsePRET}.
    """

    def test_transferVerbs(self):
        """
        A verb that opens a data connection, in either case and with or
        without its argument, gives the verb.
        """
        self.assertEqual(parsePRET("RETR a file.txt"), "RETR")
        self.assertEqual(parsePRET("list -la"), "LIST")
        self.assertEqual(parsePRET(" MLSD"), "MLSD")

    def test_otherVerbs(self):
        """
        No verb is a L{BadArgument}; one that opens no data connection a
        L{ParameterNotImplemented}.
        """
        self.assertRaises(BadArgument, parsePRET, "")
        self.assertRaises(BadArgument, parsePRET, "   ")
        for text in ("NOOP", "PASV", "RETRX file", "\u0661"):
            self.assertRaises(ParameterNotImplemented, parsePRET, text)


class RepresentationTests(SynchronousTestCase):
    """
    Tests for L{parseTYPE}, L{parseMODE} and L{parseSTRU}.
    """

    def test_typeASCII(self):
        """
        C{A} and C{A N} give C{"A"}, in any case.
        """
        for text in ("A", "a", "A N", "a n", " A  N "):
            self.assertEqual(parseTYPE(text), "A")

    def test_typeImage(self):
        """
        C{I} and C{L 8} give C{"I"}, and so does C{L8} without its space,
        which vsftpd and pyftpdlib take too (it was refused with C{501}).
        """
        for text in ("I", "i", "L 8", "l 8", "L8", "l8"):
            self.assertEqual(parseTYPE(text), "I")

    def test_typeNotImplemented(self):
        """
        Valid types this server does not do raise
        L{ParameterNotImplemented}, whose reply is 504.
        """
        for text in ("E", "E N", "e t", "A T", "A C", "L 16", "L 7"):
            error = self.assertRaises(ParameterNotImplemented, parseTYPE, text)
            self.assertEqual(error.code, 504)

    def test_typeInvalid(self):
        """
        Anything else raises L{BadArgument}.
        """
        for text in ("", "X", "AN", "A X", "I N", "L", "L x", "L 0", "A N N", "L 9999"):
            self.assertRaises(BadArgument, parseTYPE, text)

    def test_mode(self):
        """
        C{MODE S} and C{MODE Z} (deflate); C{B} and C{C} are not
        implemented.
        """
        self.assertEqual(parseMODE("S"), "S")
        self.assertEqual(parseMODE("s"), "S")
        self.assertEqual(parseMODE("Z"), "Z")
        self.assertEqual(parseMODE(" z "), "Z")
        self.assertRaises(ParameterNotImplemented, parseMODE, "B")
        self.assertRaises(ParameterNotImplemented, parseMODE, "c")
        for text in ("", "X", "SS", "BC", "ZZ", "Z 9"):
            self.assertRaises(BadArgument, parseMODE, text)

    def test_optsModeZ(self):
        """
        C{OPTS MODE Z LEVEL n} chooses a level from 0 to 9, C{OPTS MODE Z}
        alone the default one; anything else is refused.
        """
        self.assertEqual(parseOptsModeZ("Z LEVEL 9"), 9)
        self.assertEqual(parseOptsModeZ("z level 0"), 0)
        self.assertEqual(parseOptsModeZ("Z"), DEFAULT_DEFLATE_LEVEL)
        # "12" and "89" are in "0123456789" too: one digit only.
        for text in ("", "S", "Z LEVEL", "Z LEVEL 10", "Z LEVEL 12",
                     "Z LEVEL 89", "Z LEVEL -1", "Z LEVEL x",
                     "Z BLOCKSIZE 1024", "Z ENGINE zlib",
                     "Z LEVEL 1 LEVEL 2", "Z LEVEL \u0663"):
            self.assertRaises(BadArgument, parseOptsModeZ, text)

    def test_stru(self):
        """
        C{STRU F} is all there is; C{R} and C{P} are not implemented.
        """
        self.assertEqual(parseSTRU("F"), "F")
        self.assertEqual(parseSTRU("f"), "F")
        self.assertRaises(ParameterNotImplemented, parseSTRU, "R")
        self.assertRaises(ParameterNotImplemented, parseSTRU, "p")
        for text in ("", "X", "FF", "RP"):
            self.assertRaises(BadArgument, parseSTRU, text)


class ListArgumentTests(SynchronousTestCase):
    """
    Tests for L{splitListArgument}.
    """

    def test_empty(self):
        """
        No argument: no options, no path.
        """
        self.assertEqual(splitListArgument(""), ("", ""))

    def test_optionsOnly(self):
        """
        Option tokens alone leave no path.
        """
        self.assertEqual(splitListArgument("-la"), ("la", ""))
        self.assertEqual(splitListArgument("-l -a"), ("la", ""))
        self.assertEqual(splitListArgument("-a "), ("a", ""))

    def test_optionsAndPath(self):
        """
        Options come off the front, the rest is the path.
        """
        self.assertEqual(splitListArgument("-la /tmp"), ("la", "/tmp"))
        self.assertEqual(splitListArgument("-l  -a  my dir"), ("la", "my dir"))

    def test_pathOnly(self):
        """
        Without options the argument is the path, unchanged.
        """
        self.assertEqual(splitListArgument("/tmp"), ("", "/tmp"))
        self.assertEqual(splitListArgument(" a b "), ("", " a b "))

    def test_dashPathAfterOptions(self):
        """
        Only leading tokens are options: a later token starting with C{-}
        belongs to the path.
        """
        self.assertEqual(splitListArgument("-l dir -x"), ("l", "dir -x"))

    def test_doubleDash(self):
        """
        C{--} ends the options, so a path may start with C{-}.
        """
        self.assertEqual(splitListArgument("-- -dir"), ("", "-dir"))
        self.assertEqual(splitListArgument("-l -- -dir"), ("l", "-dir"))
        self.assertEqual(splitListArgument("--"), ("", ""))

    def test_optionsAlone(self):
        """
        The option clusters clients send with no path are told apart from
        other names starting with C{-}.
        """
        for argument in ("-a", "-l", "-la", "-al"):
            self.assertTrue(optionsAlone(argument), argument)
        for argument in ("-dir", "-aa", "-", "", "a", "-la x", "-la/",
                         "-ld", "./-a", "-R", "-alR"):
            self.assertFalse(optionsAlone(argument), argument)

    def test_loneDash(self):
        """
        A lone C{-} is a path, not an option.
        """
        self.assertEqual(splitListArgument("-"), ("", "-"))
        self.assertEqual(splitListArgument("-l -"), ("l", "-"))


class OptsTests(SynchronousTestCase):
    """
    Tests for L{parseOptsMLST} and L{parseHASHAlgorithm}.
    """

    def test_mlstFacts(self):
        """
        Known facts are given lower-case, in canonical order.
        """
        self.assertEqual(parseOptsMLST("Modify;TYPE;size;"), ("type", "size", "modify"))
        self.assertEqual(parseOptsMLST("UNIX.mode;perm"), ("perm", "unix.mode"))

    def test_mlstAll(self):
        """
        Naming every fact selects them all.
        """
        self.assertEqual(parseOptsMLST(";".join(MLST_FACTS) + ";"), MLST_FACTS)

    def test_mlstUnknownIgnored(self):
        """
        Unknown facts are ignored, and none may be selected.
        """
        self.assertEqual(parseOptsMLST("charset;type;lang;"), ("type",))
        self.assertEqual(parseOptsMLST(""), ())
        self.assertEqual(parseOptsMLST("nothing;"), ())

    def test_hashAlgorithms(self):
        """
        RFC names map to C{hashlib} names, in any case.
        """
        self.assertEqual(parseHASHAlgorithm("SHA-256"), "sha256")
        self.assertEqual(parseHASHAlgorithm("sha-1"), "sha1")
        self.assertEqual(parseHASHAlgorithm("MD5"), "md5")
        self.assertEqual(parseHASHAlgorithm("Sha-512"), "sha512")

    def test_hashUnknown(self):
        """
        Other names raise L{BadArgument}.
        """
        for name in ("", "SHA256", "CRC32", "sha-224"):
            self.assertRaises(BadArgument, parseHASHAlgorithm, name)
