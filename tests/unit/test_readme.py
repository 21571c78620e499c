"""
README.md says what the code does: its option table names every option of
C{twistd ftpkit --help}, and its layout names modules that exist.
"""

import os
import re

from twisted.trial import unittest

import ftpkit
from ftpkit.deploy.tap import Options

_TOP = os.path.dirname(os.path.dirname(os.path.abspath(ftpkit.__file__)))
_README = os.path.join(_TOP, "README.md")

# Options about the help itself, not the server.
_META = {"help", "help-auth", "help-auth-type", "help-realms", "version"}


def _readme():
    """
    @return: README.md's text.
    @raise unittest.SkipTest: when ftpkit runs from somewhere without it.
    """
    if not os.path.exists(_README):
        raise unittest.SkipTest(f"no README.md at {_README}")
    with open(_README, encoding="utf-8") as f:
        return f.read()


class ReadmeTests(unittest.TestCase):
    """
    README.md's option table and layout.
    """

    def test_optionTable(self):
        """
        The option table has a row for every option C{--help} lists, and
        none for an option that does not exist.
        """
        usage = Options().getUsage().split("\n\n")[0]
        options = set(re.findall(r"^\s+(?:-\w, )?--([\w.-]+)", usage, re.M))
        rows = set()
        for line in _readme().splitlines():
            if line.startswith("| `--"):
                rows.update(re.findall(r"`--([\w.-]+)", line.split("|")[1]))
        self.assertEqual(sorted(options - _META - rows), [])
        self.assertEqual(sorted(rows - options), [])

    def test_ciPackages(self):
        """
        README names every Debian package C{.ci/run} installs, for those
        who install them by hand: it had not named C{aria2},
        C{inetutils-ftp}, C{ftp-ssl} and C{openssl}, whose tests then
        skipped.
        """
        script = os.path.join(_TOP, ".ci", "run")
        if not os.path.exists(script):
            raise unittest.SkipTest(f"no .ci/run at {script}")
        with open(script, encoding="utf-8") as f:
            packages = set(re.findall(r"need\+=\(([\w.+-]+)\)", f.read()))
        self.assertIn("curl", packages)
        text = _readme()
        paragraph = text[text.index("It installs the Debian packages"):]
        paragraph = paragraph[:paragraph.index("\n\n")]
        named = set(re.findall(r"`([\w.+-]+)`", paragraph))
        self.assertEqual(sorted(packages - named), [])

    def test_layout(self):
        """
        Every C{.py} file and folder the layout names is in the tree, in
        the package of the group it is listed under.
        """
        text = _readme()
        block = text[text.index("## Layout"):text.index("## Benchmark")]
        lines = block.split("```")[1].strip("\n").splitlines()
        missing = []
        folder = ""
        for line in lines:
            names = [name.rstrip(",") for name in line[:35].split()]
            if not line.startswith(" "):
                first = names.pop(0)
                folder = first if first.endswith("/") else (
                    os.path.dirname(first))
                names.insert(0, os.path.basename(first))
            for name in names:
                if name and not os.path.exists(
                        os.path.join(_TOP, folder, name)):
                    missing.append(os.path.join(folder, name))
        self.assertEqual(missing, [])
