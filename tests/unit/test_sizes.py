"""
The size rule of the tests (issue 13): no test module over
L{MAX_TEST_LINES} lines; a new group of tests starts a new module.
"""

import os

from twisted.trial import unittest

MAX_TEST_LINES = 800
"""The most lines a module under C{tests/} may have."""

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TestModuleSizeTests(unittest.SynchronousTestCase):
    """
    Every module under C{tests/}.
    """

    def test_noLongTestModule(self):
        """
        None is over L{MAX_TEST_LINES} lines.
        """
        long = []
        for folder, _, names in os.walk(_TESTS):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as f:
                        lines = f.read().count(b"\n")
                    if lines > MAX_TEST_LINES:
                        long.append((os.path.relpath(path, _TESTS), lines))
        self.assertEqual(long, [])
