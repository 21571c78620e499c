"""
What trial's cleanup does to a reactor a test left dirty (L{dropEverything}),
for the tests of what a reactor keeps from one server to the next (the
lingering closes' watcher, the data stall sweep).
"""


def dropEverything(reactor):
    """
    Remove every reader and cancel every timed call, telling no one, as
    trial's cleanup of a test that left the reactor dirty does (its
    server is never stopped).

    @param reactor: a reactor with C{removeAll} and C{getDelayedCalls}
        (a L{twisted.internet.testing.MemoryReactorClock}, a
        L{tests.unit.test_movers.ReadersClock}).
    """
    reactor.removeAll()
    for call in reactor.getDelayedCalls():
        call.cancel()
