"""
L{Outcome}: how something an open file does once (its close, its abort)
ended, given to every caller, whether it asks before that is known or
after.
"""

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

PENDING = object()
"""The outcome of what is not finished."""


class Outcome:
    """
    The outcome of one thing done once, and the callers waiting for it.
    """

    def __init__(self):
        self._outcome = PENDING
        self._waiters = []

    def store(self, outcome):
        """
        Keep the outcome and hand it to the callers waiting for it (a
        callback of the thing's L{Deferred}).

        @param outcome: a L{Failure}, or anything else for a success.
        """
        self._outcome = outcome
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._fire(waiter)

    def wait(self):
        """
        @return: a new L{Deferred} firing with C{None} once the outcome
            is a success, or failing with it.
        """
        outcome = self._outcome
        if outcome is not PENDING and not isinstance(outcome, Failure):
            return succeed(None)
        waiter = Deferred()
        if outcome is PENDING:
            self._waiters.append(waiter)
        else:
            self._fire(waiter)
        return waiter

    def _fire(self, waiter):
        """
        Fire one L{Deferred} with the stored outcome.
        """
        if isinstance(self._outcome, Failure):
            waiter.errback(self._outcome)
        else:
            waiter.callback(None)
