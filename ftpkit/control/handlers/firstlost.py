"""
A transfer's wait for what it waits on (its file's send, the end of its
pacing) that its data connection's loss ends early (L{firstOf}), without
the reactor's shared loss exceptions (L{ownFailure}).
"""

from twisted.internet import defer
from twisted.internet.error import ConnectionClosed
from twisted.python.failure import Failure

from ftpkit.errors import TransferAborted


def ownFailure(failure):
    """
    @param failure: how a transfer's operation failed.
    @return: C{failure}, a connection's end as a new one: raised, the
        reactor's shared instance kept the session until the next end.
    """
    if failure.check(ConnectionClosed):
        return Failure(type(failure.value)(*failure.value.args))
    return failure


def firstOf(operation, connection):
    """
    Wait for C{operation}, failing early if the data connection ends.

    @param operation: a Deferred.
    @param connection: the data connection (its C{whenLost}).
    @return: a Deferred firing with C{operation}'s result, or failing with
        L{TransferAborted} if the connection ended first; C{operation}
        itself when it is already done.
    """
    if operation.called:
        return operation
    result = defer.Deferred()

    def succeeded(value):
        if not result.called:
            result.callback(value)

    def failed(failure):
        if not result.called:
            result.errback(ownFailure(failure))

    def lost(reason):
        if not result.called:
            result.errback(TransferAborted())

    operation.addCallbacks(succeeded, failed)
    connection.whenLost().addCallback(lost)
    return result
