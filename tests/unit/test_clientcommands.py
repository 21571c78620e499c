"""
Tests of L{ftpkit.protocol.commands.cleanClientName} (C{CLNT}) and
L{ftpkit.protocol.commands.parseLANG} (C{LANG}).
"""

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, ParameterNotImplemented
from ftpkit.protocol.commands import (
    CLIENT_NAME_LIMIT,
    LANGUAGE,
    cleanClientName,
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
