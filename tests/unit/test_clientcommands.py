"""
Tests of L{ftpkit.protocol.clientid.cleanClientName} (C{CLNT}),
L{ftpkit.protocol.clientid.parseCSID} (C{CSID}) and
L{ftpkit.protocol.clientid.parseLANG} (C{LANG}).
"""

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol.clientid import (
    CLIENT_NAME_LIMIT,
    LANGUAGE,
    cleanClientName,
    parseCSID,
    parseLANG,
)


class CleanClientNameTests(SynchronousTestCase):
    """
    L{cleanClientName} keeps what is fit to show to operators.
    """

    def test_kept(self):
        self.assertEqual(cleanClientName("lftp/4.9.2"), "lftp/4.9.2")
        self.assertEqual(cleanClientName("Cyberduck é"), "Cyberduck é")

    def test_blanks(self):
        """
        Runs of blanks (tabs, and line separators, included) become one
        space; none at the ends.
        """
        self.assertEqual(cleanClientName("  Smart\t\tFTP \u2028 v1 "),
                         "Smart FTP v1")

    def test_unprintable(self):
        """
        Controls, and the surrogates that stand for bytes that were not
        UTF-8, become C{?}: no escape sequence reaches a terminal.
        """
        self.assertEqual(cleanClientName("a\x1b[2Jb\x00c\udcffd\x85e"),
                         "a?[2Jb?c?d e")

    def test_capped(self):
        name = cleanClientName("x" * 10000)
        self.assertEqual(name, "x" * CLIENT_NAME_LIMIT)

    def test_nothingLeft(self):
        self.assertRaises(BadArgument, cleanClientName, " \t ")


class ParseCSIDTests(SynchronousTestCase):
    """
    L{parseCSID} reads the client's name and version.
    """

    def test_winSCP(self):
        """
        WinSCP's C{CSID}: its name and version, as C{CLNT} would give
        them.
        """
        self.assertEqual(parseCSID("Name=WinSCP; Version=6.3.5;"),
                         "WinSCP 6.3.5")

    def test_anyCase(self):
        """
        Keys in any case, blanks around them, other facts and a last
        C{;} left out.
        """
        self.assertEqual(parseCSID(" name = Serv-U ;OS=x; VERSION=15"),
                         "Serv-U 15")

    def test_cleaned(self):
        """
        The name is cleaned as C{CLNT}'s is (L{cleanClientName}).
        """
        self.assertEqual(parseCSID("Name=a\x1b[2J" + "x" * 100 + ";"),
                         cleanClientName("a\x1b[2J" + "x" * 100))

    def test_noName(self):
        """
        Nothing that gives a name or a version is C{501}'s
        L{BadArgument}.
        """
        for arg in ["", "WinSCP", "Name=; Version= ;", "OS=Linux;"]:
            self.assertRaises(BadArgument, parseCSID, arg)


class ParseLANGTests(SynchronousTestCase):
    """
    L{parseLANG} accepts English only.
    """

    def test_default(self):
        """
        No argument asks for the default language.
        """
        self.assertEqual(parseLANG(""), LANGUAGE)
        self.assertEqual(parseLANG(" "), LANGUAGE)

    def test_english(self):
        """
        C{EN} and every tag whose primary part is C{EN}, in any case.
        """
        for tag in ["EN", "en", "EN-US", "en-gb", "en-US-x-twain",
                    "en-419"]:
            self.assertEqual(parseLANG(tag), LANGUAGE)

    def test_otherLanguages(self):
        """
        Any other language is C{504}; a tag only starting with C{en} too.
        """
        for tag in ["FR", "de-DE", "eng", "enx", "i-klingon"]:
            self.assertRaises(ParameterNotImplemented, parseLANG, tag)

    def test_notATag(self):
        """
        Text that is no language tag (RFC 1766) is C{501}.
        """
        for tag in ["EN_US", "en-", "-en", "en us", "toolonglang",
                    "en-toolongsub", "C.UTF-8", "\u00e9n"]:
            self.assertRaises(BadArgument, parseLANG, tag)
