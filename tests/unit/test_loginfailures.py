"""
L{AddressFailures}: failed logins counted per client address.
"""

from twisted.internet import task
from twisted.trial import unittest

from ftpkit.control.loginfailures import (
    CHECKING_WAIT,
    MAX_LOGIN_DELAY,
    AddressFailures,
    failureDelay,
)


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


class ExpiryTests(unittest.TestCase):
    """
    An address is dropped from the table once its failures are forgotten
    (C{forgetAfter} seconds after the last), when the table is next used:
    the table shrinks with time, not only at its bound.
    """

    def setUp(self):
        self.clock = task.Clock()
        self.failures = AddressFailures(forgetAfter=60)

    def failed(self, *hosts):
        """
        Record one failure of each of C{hosts}, now.
        """
        for host in hosts:
            self.failures.record(host, self.clock.seconds())

    def test_record(self):
        """
        A failure recorded after the others' were forgotten leaves only
        its own address in the table; one a moment before, every one.
        """
        self.failed("10.0.0.1", "10.0.0.2", "2001:db8::1")
        self.clock.advance(60)
        self.failed("10.0.0.3")
        self.assertEqual(len(self.failures), 4)
        self.clock.advance(0.5)
        self.failed("10.0.0.4")
        self.assertEqual(len(self.failures), 2)

    def test_lastFailureCounts(self):
        """
        An address that failed again is kept for C{forgetAfter} after its
        last failure, not its first.
        """
        self.failed("10.0.0.1", "10.0.0.2")
        self.clock.advance(30)
        self.failed("10.0.0.1")
        self.clock.advance(31)
        self.failed("10.0.0.3")
        self.assertEqual(len(self.failures), 2)
        self.assertEqual(self.failures.record("10.0.0.1",
                                              self.clock.seconds()), 3)

    def test_hold(self):
        """
        Asking whether a password may be checked (every login, where
        failed logins are delayed) drops the forgotten addresses too.
        """
        self.failed("10.0.0.1", "10.0.0.2")
        self.clock.advance(61)
        self.assertEqual(self.failures.hold("10.0.0.9", self.clock.seconds(),
                                            1), 0)
        self.assertEqual(len(self.failures), 0)

    def test_learn(self):
        """
        So do the counts another worker tells (C{--workers}).
        """
        self.failed("10.0.0.1")
        self.clock.advance(61)
        self.failures.learn("10.0.0.2", 3, self.clock.seconds())
        self.failures.checkedElsewhere("10.0.0.2", self.clock.seconds(), 1)
        self.assertEqual(len(self.failures), 1)


class FailureDelayTests(unittest.TestCase):
    """
    L{failureDelay}.
    """

    def test_doubles(self):
        """
        The first delay, doubled with each failure, at most
        L{MAX_LOGIN_DELAY}.
        """
        self.assertEqual([failureDelay(count, 1.0) for count in (1, 2, 3)],
                         [1.0, 2.0, 4.0])
        self.assertEqual(failureDelay(10 ** 6, 1.0), MAX_LOGIN_DELAY)


class HoldTests(unittest.TestCase):
    """
    L{AddressFailures.hold}: one password check a delay per address that
    is failing.
    """

    def test_noFailures(self):
        """
        An address without failures has its passwords checked at once,
        as many as it sends.
        """
        failures = AddressFailures()
        self.assertEqual([failures.hold("10.0.0.1", 0, 1.0)
                          for _ in range(3)], [0, 0, 0])

    def test_fewFailures(self):
        """
        An address with fewer than C{holdAfter} recent failures has its
        passwords checked at once; from C{holdAfter} on, one a delay.
        """
        failures = AddressFailures(holdAfter=3)
        for now in (0, 1):
            failures.record("10.0.0.1", now)
        self.assertEqual([failures.hold("10.0.0.1", 10, 1.0)
                          for _ in range(3)], [0, 0, 0])
        failures.record("10.0.0.1", 10)
        self.assertEqual(failures.hold("10.0.0.1", 10, 1.0), 4.0)

    def test_checksRunning(self):
        """
        Checks running count with the failures: with C{holdAfter} of them
        (one a failure), the address waits C{CHECKING_WAIT}, or the
        first delay if shorter; once one has its answer, it does not.
        Another address is not held.
        """
        failures = AddressFailures(holdAfter=3)
        failures.record("10.0.0.1", 0)
        failures.checking("10.0.0.1")
        self.assertEqual(failures.hold("10.0.0.1", 0, 1.0), 0)
        failures.checking("10.0.0.1")
        self.assertEqual(failures.hold("10.0.0.1", 0, 1.0), CHECKING_WAIT)
        self.assertEqual(failures.hold("10.0.0.1", 0, 0.1), 0.1)
        self.assertEqual(failures.hold("10.0.0.2", 0, 1.0), 0)
        failures.checked("10.0.0.1")
        self.assertEqual(failures.hold("10.0.0.1", 0, 1.0), 0)

    def test_untilAnswered(self):
        """
        After a failure, a check waits until the failure is answered; the
        check that starts then makes the next one wait a whole delay.
        """
        failures = AddressFailures(holdAfter=1)
        failures.record("10.0.0.1", 10)
        self.assertEqual(failures.hold("10.0.0.1", 10.25, 1.0), 0.75)
        self.assertEqual(failures.hold("10.0.0.2", 10.25, 1.0), 0)
        self.assertEqual(failures.hold("10.0.0.1", 11, 1.0), 0)
        self.assertEqual(failures.hold("10.0.0.1", 11, 1.0), 1.0)
        failures.record("10.0.0.1", 11.5)
        self.assertEqual(failures.hold("10.0.0.1", 12, 1.0), 1.5)

    def test_forgotten(self):
        """
        An address whose failures are forgotten is not held.
        """
        failures = AddressFailures(forgetAfter=60, holdAfter=1)
        failures.record("10.0.0.1", 0)
        self.assertEqual(failures.hold("10.0.0.1", 61, 100.0), 0)

    def test_checksDoNotProlong(self):
        """
        Logins checked while an address is held do not keep it held: the
        hold ends C{forgetAfter} seconds after the last failure. Each
        check started used to count as a failure's time, so a client
        that kept logging in after one mistyped password stayed at one
        login a delay for as long as it kept on.
        """
        failures = AddressFailures(forgetAfter=60, holdAfter=1)
        failures.record("10.0.0.1", 0)
        now = 0.0
        while now <= 60:
            now += failures.hold("10.0.0.1", now, 2.0)
            self.assertEqual(failures.hold("10.0.0.1", now, 2.0), 0)
        now = 61.0
        self.assertEqual([failures.hold("10.0.0.1", now, 2.0)
                          for _ in range(3)], [0, 0, 0])
