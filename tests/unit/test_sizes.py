"""
The size rules (issue 13): no test module over L{MAX_TEST_LINES} lines,
no code module over L{MAX_CODE_LINES}; a new group of tests starts a new
module, and a module that grows past its bound is split.
"""

import os

from twisted.trial import unittest

MAX_TEST_LINES = 800
"""The most lines a module under C{tests/} may have."""

MAX_CODE_LINES = 600
"""The most lines a module of code (C{ftpkit/}, C{bench/}, C{examples/},
C{twisted/}, C{contrib/}) may have."""

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CODE = ("ftpkit", "bench", "examples", "twisted", "contrib")


def longModules(top, most):
    """
    @param top: a directory.
    @param most: the most lines a module may have.
    @return: a C{list} of C{(path relative to top, lines)} for each
        C{.py} file below C{top} with more than C{most} lines.
    """
    long = []
    for folder, _, names in os.walk(top):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    lines = f.read().count(b"\n")
                if lines > most:
                    long.append((os.path.relpath(path, top), lines))
    return long


class TestModuleSizeTests(unittest.SynchronousTestCase):
    """
    Every module under C{tests/}.
    """

    def test_noLongTestModule(self):
        """
        None is over L{MAX_TEST_LINES} lines.
        """
        self.assertEqual(longModules(_TESTS, MAX_TEST_LINES), [])


class CodeModuleSizeTests(unittest.SynchronousTestCase):
    """
    Every module of code.
    """

    def test_noLongCodeModule(self):
        """
        None is over L{MAX_CODE_LINES} lines.
        """
        root = os.path.dirname(_TESTS)
        long = []
        for top in _CODE:
            long.extend((os.path.join(top, path), lines) for path, lines
                        in longModules(os.path.join(root, top), MAX_CODE_LINES))
        self.assertEqual(long, [])

    def test_longModulesFound(self):
        """
        L{longModules} lists a module over the bound and not one at it.
        """
        top = self.mktemp()
        os.makedirs(os.path.join(top, "sub"))
        for name, lines in (("at.py", 3), ("sub/over.py", 4), ("x.txt", 9)):
            with open(os.path.join(top, name), "w") as f:
                f.write("x = 1\n" * lines)
        self.assertEqual(longModules(top, 3), [(os.path.join("sub", "over.py"), 4)])
