"""
L{syncRun}: the C{run} argument of quota ledgers and password checkers
(which give their blocking work to a thread) for tests, calling now.
"""

from twisted.internet import defer


def syncRun(function, *args):
    """
    Run C{function} now, in place of a thread.

    @param function: the work.
    @param args: what it takes.
    @return: a Deferred with its result.
    """
    return defer.maybeDeferred(function, *args)
