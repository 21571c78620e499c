"""
A transfer ended by its connection's loss does not raise the reactor's
shared loss exceptions (L{ftpkit.control.handlers.firstlost.ownFailure}):
their traceback held the last such session alive.
"""

from twisted.internet import defer
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.handlers.firstlost import firstOf, ownFailure


class _Connection:
    """
    A data connection that has not ended.
    """

    def whenLost(self):
        """
        @return: a Deferred that never fires.
        """
        return defer.Deferred()


class OwnFailureTests(unittest.TestCase):
    """
    L{ownFailure} and the transfer's wait that uses it.
    """

    def test_lossCopied(self):
        """
        A connection's end becomes a new exception of the same kind, with
        the same arguments.
        """
        for kind in (ConnectionLost, ConnectionDone):
            shared = Failure(kind("why"))
            own = ownFailure(shared)
            self.assertIsNot(own.value, shared.value)
            self.assertIs(type(own.value), kind)
            self.assertEqual(own.value.args, ("why",))

    def test_othersKept(self):
        """
        Any other failure is given back as it is.
        """
        failure = Failure(ValueError("storage"))
        self.assertIs(ownFailure(failure), failure)

    def test_waitRaisesOwn(self):
        """
        A transfer whose operation fails with a shared loss fails with an
        exception of its own: raised in the session's coroutine, it takes
        a traceback holding that session.
        """
        shared = Failure(ConnectionLost())
        operation = defer.Deferred()
        waiting = firstOf(operation, _Connection())
        operation.errback(shared)
        failure = self.failureResultOf(waiting, ConnectionLost)
        self.assertIsNot(failure.value, shared.value)
