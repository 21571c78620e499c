"""
Waiting until something a test looks for is true: on the reactor
(L{waitFor}), or blocking, in a test's thread (L{waitUntil}).
"""

import time

from twisted.internet import defer, reactor, task

TIMEOUT = 60.0
"""Seconds a wait gives its condition by default, as
L{tests.serverprocess.TIMEOUT} does: what comes in a moment on an idle
machine may take many seconds on a loaded CI machine (two trial workers
and their servers on two cores), where ten seconds are not sure to be
enough; a condition that comes ends the wait at once."""


@defer.inlineCallbacks
def waitFor(predicate, timeout=TIMEOUT):
    """
    Poll C{predicate} on the reactor until it is true.

    @param predicate: a callable taking no argument.
    @param timeout: the seconds to wait at the most.
    @return: a Deferred firing with whether it became true in time.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        yield task.deferLater(reactor, 0.02, lambda: None)
    return True


def waitUntil(predicate, timeout=TIMEOUT):
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
