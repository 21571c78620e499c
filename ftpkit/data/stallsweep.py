"""
L{StallSweep}: one timer per reactor and data timeout that looks at every
watched data connection (L{ftpkit.data.watchdog.WatchedConnection}) a
quarter of the timeout apart, instead of a timed call of each connection's
own. A small upload whose end comes a turn after its data is watched for
that turn; with a timer of its own it made one timed call and cancelled
it, the most costly part of a small file's wait in the reactor
(C{docs/benchmark-investigations.rst}, C{bench-smallstor-32}); in the
sweep it joins and leaves a set.
"""

import weakref


class StallSweep:
    """
    The connections watched for stalls with one timeout on one reactor,
    looked at together, every C{timeout / 4} seconds while any is watched.

    A connection is first looked at once it has been watched for at least
    a quarter of the timeout (at the first look after the next, if it
    joined while the timer ran), as with a timer of its own: a transfer
    over before then costs no look (and no system call, see
    L{ftpkit.data.watchdog.unacknowledged}). The timer runs only while a
    connection is watched; while a server holds the sweep (L{hold}), it
    is left to run out rather than cancelled when the last one leaves, so
    that connections watched one after another share it too.
    """

    def __init__(self, reactor, timeout):
        """
        @param reactor: the reactor whose clock and timed calls are used.
        @param timeout: the connections' data timeout, seconds.
        """
        self._reactor = reactor
        self.period = timeout / 4
        self._watched = {}
        self._fresh = {}
        self._timer = None
        self._holders = 0

    def add(self, connection):
        """
        Look at a connection from now on, until L{remove}.

        @param connection: a L{ftpkit.data.watchdog.WatchedConnection}; its
            C{look(now)} is called at each look.
        """
        if self._timer is None:
            self._watched[connection] = None
            self._timer = self._reactor.callLater(self.period, self._sweep)
        else:
            # Looked at from the look after the next: a period from now
            # at least.
            self._fresh[connection] = None

    def remove(self, connection):
        """
        Stop looking at a connection (nothing if it is not watched).

        @param connection: as for L{add}.
        """
        self._watched.pop(connection, None)
        self._fresh.pop(connection, None)
        self._cancelUnused()

    def hold(self):
        """
        A server started: until it calls L{release}, the timer is not
        cancelled when the last connection leaves, but runs out.

        A timer cancelled by another meanwhile (trial's cleanup of a
        test that left the reactor dirty cancels every timed call, and
        that test's server never releases its hold) means the reactor
        dropped the sweep: its connections and holds went with it, and
        are forgotten. The sweep thought its timer pending, and looked
        at no later connection of the process again.
        """
        if self._timer is not None and not self._timer.active():
            self._timer = None
            self._watched.clear()
            self._fresh.clear()
            self._holders = 0
        self._holders += 1

    def release(self):
        """
        A server that called L{hold} stopped: once none holds the sweep,
        its timer is cancelled if no connection is watched, so that the
        reactor is left clean.
        """
        self._holders -= 1
        self._cancelUnused()

    def _cancelUnused(self):
        """
        Cancel the timer if no connection is watched and none holds it.
        """
        if (self._timer is not None and not self._holders
                and not (self._watched or self._fresh)):
            timer, self._timer = self._timer, None
            timer.cancel()

    def _sweep(self):
        """
        Look at every connection, then again a period later if any is
        still watched.
        """
        self._timer = None
        now = self._reactor.seconds()
        # A look may drop a connection, which then leaves the set.
        for connection in list(self._watched):
            if connection in self._watched:
                connection.look(now)
        if self._fresh:
            self._watched.update(self._fresh)
            self._fresh.clear()
        if self._watched and self._timer is None:
            self._timer = self._reactor.callLater(self.period, self._sweep)


_sweeps = weakref.WeakKeyDictionary()


def sweepFor(reactor, timeout):
    """
    @param reactor: the reactor.
    @param timeout: a data timeout, seconds.
    @return: the reactor's L{StallSweep} for that timeout, made when first
        needed.
    """
    byTimeout = _sweeps.get(reactor)
    if byTimeout is None:
        byTimeout = _sweeps[reactor] = {}
    sweep = byTimeout.get(timeout)
    if sweep is None:
        sweep = byTimeout[timeout] = StallSweep(reactor, timeout)
    return sweep
