"""
The source distribution holds what README.md tells its reader to use:
the docs, the examples, the fail2ban filter, the tests and what CI runs.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", "_trial_temp*", "__pycache__", "*.egg-info", "build", "dist",
    "_build", "dropin.cache", ".tox", ".ruff_cache", ".hypothesis")
"""What a checkout may hold that is not part of the source tree."""


def readmePaths(text):
    """
    @param text: README.md's text.
    @return: the paths under the tree's top-level directories that it
        names (C{docs/tls.rst}, C{.ci/run}, C{examples/}), in any form:
        quoted, in a command or in the layout.
    """
    return set(re.findall(
        r"(?<![\w/.-])((?:\.ci|bench|contrib|docs|examples|ftpkit|tests|twisted)"
        r"/[\w./-]*)", text))


def buildSdist(testCase):
    """
    Build the source distribution of a copy of the source tree, as
    C{python -m build --sdist} does, with the setuptools installed.

    @param testCase: the running test (for its scratch directories).
    @return: the member names of the archive, without its top directory.
    """
    tree = os.path.join(scratchDirectory(testCase), "tree")
    shutil.copytree(SOURCE, tree, ignore=_NOT_SOURCE)
    out = scratchDirectory(testCase)
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from setuptools import build_meta; "
         "print(build_meta.build_sdist(sys.argv[1]))", out],
        cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        testCase.fail(done.stderr)
    name = done.stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(out, name)) as archive:
        return {member.split("/", 1)[1] for member in archive.getnames()
                if "/" in member}


class SdistTests(unittest.TestCase):
    """
    What C{setuptools} puts in the source distribution.
    """

    def test_readmePaths(self):
        """
        Every path README.md names that is in the source tree is in the
        source distribution (a folder: with what it holds). It held the
        packages alone: no C{docs/} to build, no C{.ci/run}, no
        C{contrib/fail2ban/ftpkit.conf}, no C{examples/} or C{tests/}.
        """
        with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
            named = readmePaths(f.read())
        self.assertIn(".ci/run", named)
        self.assertIn("contrib/fail2ban/ftpkit.conf", named)
        named = {path for path in named
                 if os.path.exists(os.path.join(SOURCE, path))}
        shipped = buildSdist(self)
        missing = [
            path for path in sorted(named)
            if path.rstrip("/") not in shipped
            and not any(name.startswith(path.rstrip("/") + "/")
                        for name in shipped)]
        self.assertEqual(missing, [])
