"""
L{AddressFailures}: failed logins counted per client address.
"""

from twisted.trial import unittest

from ftpkit.control.loginfailures import AddressFailures


class AddressFailuresTests(unittest.TestCase):
    """
    Counting, forgetting after a quiet while, and a bounded table.
    """

    def test_counts(self):
        """
        Each failure counts for its own address.
        """
        failures = AddressFailures()
        self.assertEqual([failures.record("10.0.0.1", 0) for _ in range(3)],
                         [1, 2, 3])
        self.assertEqual(failures.record("10.0.0.2", 1), 1)

    def test_forgotten(self):
        """
        An address quiet for longer than C{forgetAfter} starts again; one
        that keeps failing does not.
        """
        failures = AddressFailures(forgetAfter=60)
        for second in (0, 50, 100, 150):
            failures.record("10.0.0.1", second)
        self.assertEqual(failures.record("10.0.0.1", 200), 5)
        self.assertEqual(failures.record("10.0.0.1", 261), 1)

    def test_bounded(self):
        """
        Past C{maxAddresses}, the address whose last failure is oldest is
        forgotten.
        """
        failures = AddressFailures(maxAddresses=2)
        failures.record("10.0.0.1", 0)
        failures.record("10.0.0.2", 1)
        failures.record("10.0.0.1", 2)
        failures.record("10.0.0.3", 3)
        self.assertEqual(len(failures), 2)
        self.assertEqual(failures.record("10.0.0.2", 4), 1)
        self.assertEqual(failures.record("10.0.0.3", 5), 2)
