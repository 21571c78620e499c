"""
Waiting until something a test looks for is true: on the reactor
(L{waitFor}), or blocking, in a test's thread (L{waitUntil}).
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


def waitUntil(predicate, timeout=10.0):
    """
    Poll C{predicate} until it is true, blocking (in a test's thread, or
    a test with no reactor running).

    @param predicate: a callable taking no argument.
    @param timeout: the seconds to wait at the most.
    @return: whether it became true within C{timeout} seconds.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
