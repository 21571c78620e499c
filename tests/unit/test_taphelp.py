"""
Tests for the C{--help} text of L{ftpkit.deploy.tap.Options}, and
C{--version}.
"""

import io
import os
import re
import sys

from twisted.trial import unittest

from ftpkit.deploy.optionvalues import LEAST_HELP_WIDTH, helpWidth
from ftpkit.deploy.tap import Options
from tests.tapoptions import parse


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

    def test_prefixLengthLimits(self):
        """
        C{--ipv6-prefix-length} lists every per-address limit it counts
        for, as README's table does: it left out the C{--metrics}
        endpoint's connections (8 a client, counted by the same prefix).
        """
        text = " ".join(Options().getUsage(width=200).split())
        self.assertIn("(sessions, passive listeners, the failed-login "
                      "delay, --metrics connections)", text)

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

    def test_columns(self):
        """
        C{--help} wraps to C{$COLUMNS} when it is a number of ASCII
        digits, and never to fewer than L{LEAST_HELP_WIDTH} columns;
        otherwise to 80. An empty, other or small C{COLUMNS} (a narrow
        terminal pane) was a C{ValueError} traceback.
        """
        for columns, width in [("100", 100), ("", 80), ("x", 80),
                               ("-1", 80), ("\u0668\u0660", 80),
                               ("0", LEAST_HELP_WIDTH),
                               ("30", LEAST_HELP_WIDTH)]:
            self.patch(os, "environ", dict(os.environ, COLUMNS=columns))
            self.assertEqual(helpWidth(os.environ), width)
            text = Options().getUsage()
            self.assertEqual(
                [line for line in text.split("\n\n", 1)[1].splitlines()
                 if len(line) > width], [], columns)


class AuthTypeHelpTests(unittest.TestCase):
    """
    C{--help-auth-type NAME}.
    """

    def helpOf(self, authType):
        """
        @return: what C{--help-auth-type authType} writes, exiting 0.
        """
        options = Options()
        options.authOutput = io.StringIO()
        with self.assertRaises(SystemExit) as exited:
            options.parseOptions(["--help-auth-type", authType])
        self.assertEqual(exited.exception.code, 0)
        return options.authOutput.getvalue()

    def test_anonymous(self):
        """
        C{anonymous} says what it does in ftpkit and which options go with
        it; it gave Twisted's line, "This allows anonymous authentication
        for servers that support it."
        """
        text = self.helpOf("anonymous")
        self.assertTrue(text.startswith(
            "Usage: --auth anonymous\nArgString format: "), text)
        self.assertNotIn("servers that support it", text)
        flat = " ".join(text.split())
        self.assertIn("log in as anonymous or ftp", flat)
        for option in ("--root", "--home-per-user", "--realm users:PATH",
                       "--anonymous-write", "--hold-anonymous-uploads",
                       "--tls-anonymous-exempt", "--max-sessions-per-user",
                       "--read-only"):
            self.assertIn(option, flat)

    def test_unix(self):
        """
        C{unix} describes ftpkit's checker: Twisted's help promised PAM
        support to come and said nothing of the dummy hash nor of
        C{/etc/shadow} after the switch to another account.
        """
        flat = " ".join(self.helpOf("unix").split())
        self.assertNotIn("PAM", flat)
        for told in ("/etc/shadow", "dummy hash", "--uid", "--root"):
            self.assertIn(told, flat)

    def test_file(self):
        """
        C{file} describes ftpkit's checker: Twisted's help said nothing of
        the lines refused at start, the comments skipped or the reloads.
        """
        flat = " ".join(self.helpOf("file").split())
        for told in ("USER:PASSWORD", "# are skipped", "a second ':'",
                     "stops the server at start", "SIGHUP",
                     "--auth users:PATH"):
            self.assertIn(told, flat)

    def test_othersTwisted(self):
        """
        A checker ftpkit has nothing to add about keeps Twisted's help.
        """
        text = self.helpOf("memory")
        self.assertTrue(text.startswith("Usage: --auth memory[:ArgString]\n"),
                        text)


class HelpTests(unittest.TestCase):
    """
    What C{--help} and C{--version} say.
    """

    def test_passwordFileExample(self):
        """
        The C{file:} checker's example names the password file the docs
        use, C{/etc/ftpkit.passwd}: the package-layout rename made it
        C{/etc/ftpkit.auth.passwd}.
        """
        self.assertIn("file:/etc/ftpkit.passwd (USER:PASSWORD lines)",
                      Options().getUsage(width=200))

    def test_version(self):
        """
        C{--version} prints ftpkit's version, then Twisted's, and exits
        with status 0: it printed Twisted's only, which did not tell an
        operator which ftpkit runs.
        """
        import ftpkit
        from twisted import copyright

        out = io.StringIO()
        self.patch(sys, "stdout", out)
        exit = self.assertRaises(SystemExit, parse, "--version")
        self.assertIn(exit.code, (None, 0))
        self.assertEqual(out.getvalue(),
                         f"ftpkit {ftpkit.__version__} "
                         f"(Twisted {copyright.version})\n")
