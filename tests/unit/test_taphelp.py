"""
Tests for the C{--help} text of L{ftpkit.deploy.tap.Options}.
"""

import re

from twisted.trial import unittest

from ftpkit.deploy.tap import Options


class HelpTextTests(unittest.TestCase):
    """
    C{twistd ftpkit --help} reads as written.
    """

    def test_noRunsOfSpaces(self):
        """
        No option's help has a run of spaces in its text: the newlines and
        indentation of a multi-line C{opt_} docstring (C{--tls-cert},
        C{--vhost}...) are not kept as spaces.
        """
        options = Options()
        text = options.getUsage().split("\n\n")[0]
        for line in text.splitlines()[2:]:
            described = re.sub(r"^\s*(-\w, )?--\S+\s+", "", line).strip()
            self.assertNotIn("  ", described, line)

    def test_helpListsNamed(self):
        """
        The options that pick a plugin by name say where the names are
        listed: C{--auth} named C{--help-auth}, but C{--realm} did not
        name C{--help-realms}.
        """
        text = " ".join(Options().getUsage(width=200).split())
        self.assertIn("--auth= A twisted.cred checker (see --help-auth)", text)
        self.assertRegex(text, r"--realm= [^-]*\(see --help-realms\)")

    def test_paragraphs(self):
        """
        The text after the options keeps its paragraphs (Twisted wraps
        C{longdesc} as one, which ran them together), each wrapped to the
        width asked for.
        """
        text = Options().getUsage(width=60)
        self.assertIn("can log in.\n\n--listen takes", text)
        self.assertIn("unix:/run/ftp.sock.\n\n--auth examples", text)
        epilog = text[text.index("Serve FTP."):]
        self.assertEqual(
            [line for line in epilog.splitlines() if len(line) > 60], [])
