"""
L{settled}: the result of a Deferred that has fired already, without a
coroutine around it.
"""


def settled(deferred):
    """
    Take the result of C{deferred} now if it has one, so that the caller
    can go on in the same call; otherwise hand back a Deferred of it.

    @param deferred: a L{twisted.internet.defer.Deferred}.
    @return: its result (a L{twisted.python.failure.Failure} when it
        failed: the caller owns it, nothing is logged as unhandled) if it
        has fired, else a Deferred firing (or failing) as C{deferred} does.
    """
    box = []
    deferred.addBoth(box.append)
    if box:
        return box[0]
    return deferred.addCallback(lambda _: box[0])
