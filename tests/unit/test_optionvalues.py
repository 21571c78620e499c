"""
Tests for L{ftpkit.deploy.optionvalues.checkValues}, which every options
module uses to turn a bad value into a usage error naming its option.
"""

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.optionvalues import (
    checkValues,
    positiveInteger,
    workerCount,
)


class CheckValuesTests(unittest.SynchronousTestCase):
    """
    L{checkValues}.
    """

    def test_converted(self):
        """
        Each option given is converted; one not given (missing, or
        C{None}) is C{None}.
        """
        self.assertEqual(
            checkValues({"a": "3", "b": None},
                        {"a": positiveInteger, "b": positiveInteger,
                         "c": positiveInteger}),
            {"a": 3, "b": None, "c": None})

    def test_badValue(self):
        """
        A value the check refuses is a usage error naming the option and
        saying why.
        """
        error = self.assertRaises(
            usage.UsageError, checkValues, {"workers": "0"},
            {"workers": positiveInteger})
        self.assertEqual(str(error),
                         "--workers: must be a positive integer, not '0'")


class WorkerCountTests(unittest.SynchronousTestCase):
    """
    L{workerCount}: C{--workers} is bounded by the CPUs, so that a typo
    does not fork until memory runs out.
    """

    def test_bound(self):
        """
        Up to four workers a CPU are accepted; one more is refused,
        saying the bound and why.
        """
        self.assertEqual(workerCount("1", cpus=2), 1)
        self.assertEqual(workerCount("8", cpus=2), 8)
        error = self.assertRaises(ValueError, workerCount, "9", cpus=2)
        self.assertEqual(
            str(error), "at most 8 (4 per CPU, 2 CPUs), not 9: a worker is "
            "a whole process serving on one core")

    def test_machine(self):
        """
        Without C{cpus}, the machine's count is used: C{--workers 100000}
        is refused on any machine ftpkit runs on.
        """
        self.assertRaises(ValueError, workerCount, "100000")
        self.assertRaises(ValueError, workerCount, "0")
