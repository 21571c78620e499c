"""
Waiting on the reactor until something a test looks for is true.
"""

import time

from twisted.internet import defer, reactor, task


@defer.inlineCallbacks
def waitFor(predicate, timeout=10.0):
    """
    Poll C{predicate} on the reactor until it is true.

    @return: a Deferred firing with whether it became true in time.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        yield task.deferLater(reactor, 0.02, lambda: None)
    return True
