"""
Session 26's sweep of the commands besides the server, run as an
operator runs them (C{python -m ftpkit.passwd}, C{python -m
ftpkit.pgadmin}, C{python -m ftpkit.who}), and the server's C{--help}:
a number that is not ASCII digits, and options that silently cancelled
each other, are one usage line and an exit status, never a traceback,
and the users file is left as it was. The server's own rows are in
L{tests.badoptions}.
"""

import io
import os
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.ops import who
from tests.integration.test_plugin import _SOURCE
from tests.scratch import scratchDirectory

EXISTING = b"[users.bob]\nquota = 5\n"
"""A users file's content that a refused command must not change."""


def run(module, *args, **environment):
    """
    Run C{python -m MODULE ARGS} with one line of input.

    @param module: the command's module, e.g. C{"ftpkit.passwd"}.
    @param environment: more environment variables.
    @return: C{(status, stdout, stderr)}, the last two as text.
    """
    done = subprocess.run(
        [sys.executable, "-m", module, *args], input=b"pw\n",
        capture_output=True, timeout=120, check=False,
        env=dict(os.environ, PYTHONPATH=_SOURCE, **environment))
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


class ToolUsageTests(unittest.TestCase):
    """
    The users commands' usage errors.
    """

    timeout = 300

    def setUp(self):
        self.path = os.path.join(scratchDirectory(self), "users.toml")
        with open(self.path, "wb") as f:
            f.write(EXISTING)

    def assertUsage(self, module, args, expected):
        """
        C{python -m MODULE ARGS} exits with status 2 and a message ending
        in one line holding C{expected}, writes nothing to standard output
        and leaves the users file as it was.
        """
        status, out, err = run(module, *args)
        self.assertEqual((status, out), (2, ""), err)
        self.assertIn(expected, err.splitlines()[-1])
        self.assertNotIn("Traceback", err)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), EXISTING)

    def test_notASCIINumbers(self):
        """
        C{--quota-files} and C{--quota} of both commands: Python's C{int}
        took C{+5}, C{1_000}, spaces and other scripts' digits
        (ARABIC-INDIC DIGIT FIVE was written as 5).
        """
        for value in ["\u0665", "+5", "1_000", " 5"]:
            for module, first in [("ftpkit.passwd", [self.path, "x"]),
                                  ("ftpkit.pgadmin", ["add", "x"])]:
                self.assertUsage(
                    module, [*first, "--password-stdin", "--quota-files",
                             value],
                    f"--quota-files: must be a positive integer, not "
                    f"{value!r}")
                self.assertUsage(
                    module, [*first, "--password-stdin", "--quota", value],
                    "--quota: must be a number of bytes")

    def test_deleteTakesNoFields(self):
        """
        C{passwd --delete USER} with an option changing a field: the
        option was ignored without a word.
        """
        self.assertUsage(
            "ftpkit.passwd", [self.path, "--delete", "bob", "--quota", "5M"],
            "--delete: takes no --quota (it deletes the user; nothing else "
            "is changed)")

    def test_pgadminRemovalWithValue(self):
        """
        C{pgadmin set --quota SIZE --no-quota} (and the file quota's
        pair): the removal won without a word.
        """
        for pair in [["--quota", "5M", "--no-quota"],
                     ["--no-quota-files", "--quota-files", "5"]]:
            self.assertUsage("ftpkit.pgadmin", ["set", "x", *pair],
                             "not allowed with argument")


class HelpTests(unittest.TestCase):
    """
    C{--help} of the server, whatever C{COLUMNS} holds.
    """

    timeout = 120

    def test_columns(self):
        """
        An empty, other or narrow C{COLUMNS}: the help, status 0. It was
        a C{ValueError} traceback, status 1.
        """
        for columns in ["", "wide", "30"]:
            status, out, err = run("ftpkit", "--help", COLUMNS=columns)
            self.assertEqual((status, err), (0, ""), columns)
            self.assertIn("--listing-cache", out)


class WhoPortTests(unittest.TestCase):
    """
    C{python -m ftpkit.who URL} with a URL whose port is no port.
    """

    timeout = 120

    def test_badPort(self):
        """
        A port past 65535, or one that is not ASCII digits: one line
        naming the URL and what is wrong, status 1, nothing connected to.
        Python's HTTP client connected to 99999 modulo 65536 (34463,
        maybe another service) and to C{+9102} as 9102, and said only
        C{'latin-1' codec can't encode characters} of ARABIC-INDIC
        digits.
        """
        for port, why in [("99999", "Port out of range 0-65535"),
                          ("+9102", "Port could not be cast"),
                          ("\u0669\u0661\u0660\u0662",
                           "Port could not be cast")]:
            url = f"http://127.0.0.1:{port}/sessions"
            out, err = io.StringIO(), io.StringIO()
            self.assertEqual(who.main([url], out, err), 1)
            self.assertEqual(out.getvalue(), "")
            self.assertTrue(err.getvalue().startswith(
                f"ftpkit.who: cannot read {url}: {why}"), err.getvalue())
        status, out, err = run("ftpkit.who", "http://127.0.0.1:99999/")
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(err.count("\n"), 1, err)
