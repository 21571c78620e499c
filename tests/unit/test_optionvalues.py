"""
Tests for L{ftpkit.deploy.optionvalues.checkValues}, which every options
module uses to turn a bad value into a usage error naming its option.
"""

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.optionvalues import checkValues, positiveInteger


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
