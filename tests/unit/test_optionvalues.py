"""
Tests for L{ftpkit.deploy.optionvalues.checkValues}, which every options
module uses to turn a bad value into a usage error naming its option.
"""

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.optionvalues import (
    MOST_SECONDS,
    checkValues,
    nonNegativeNumber,
    positiveInteger,
    timeoutSeconds,
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


class SecondsTests(unittest.SynchronousTestCase):
    """
    L{timeoutSeconds} and L{nonNegativeNumber}, which read every option
    in seconds: their errors say what is taken, and a year is the most.
    """

    def test_exponent(self):
        """
        C{1e12} is refused saying what a number of seconds is written as:
        it was told it must be a positive number, which it is.
        """
        for read in (timeoutSeconds, nonNegativeNumber):
            error = self.assertRaises(ValueError, read, "1e12")
            self.assertEqual(str(error), "must be a number of seconds, "
                             "like 30 or 2.5, not '1e12'")

    def test_year(self):
        """
        A year is taken; a second more, or more digits than a C{float}
        holds, is refused naming the most: C{99999999999} was taken.
        """
        self.assertEqual(MOST_SECONDS, 365 * 24 * 3600)
        for read in (timeoutSeconds, nonNegativeNumber):
            self.assertEqual(read("31536000"), MOST_SECONDS)
            for text in ["31536000.5", "99999999999", "9" * 400]:
                error = self.assertRaises(ValueError, read, text)
                self.assertEqual(str(error), "must be at most 31536000 "
                                 f"seconds (a year), not {text!r}")

    def test_negative(self):
        """
        A negative number, however long, is told it must be more.
        """
        for text in ["-1", "-" + "9" * 400]:
            self.assertEqual(
                str(self.assertRaises(ValueError, timeoutSeconds, text)),
                f"must be a positive number, not {text!r}")
            self.assertEqual(
                str(self.assertRaises(ValueError, nonNegativeNumber, text)),
                f"must be 0 or more seconds, not {text!r}")
