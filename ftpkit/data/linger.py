"""
A lingering close for a download's bare data socket (L{lingerOn}): after
the last byte, the server's end of the data (a FIN), then a wait for the
client's before the transfer counts as finished, as ProFTPD does.

The final C{226} then leaves only once the client has taken the data
(and, to have connected its reading of the data to the transfer, its
C{150}). Sent at once, a small file's C{226} reaches a client that has not
yet read the C{150}, and aria2c, which reads the two together and then
waits for the socket to say more, hangs until its timeout (it does so
against pyftpdlib too, and, rarely, vsftpd). Most clients close their data
connection when the data ends. One that waits for the C{226} first
(Python's C{urllib.request}, which pandas opens C{ftp://} URLs with) gets
it once its kernel has acknowledged every byte and the end of the data
(L{acknowledged}), looked at L{ACKED_FIRST} seconds into the wait and then
ever further apart (L{nextLook}), rather than after L{LINGER_TIMEOUT}.

Every download in clear lingers, so the wait is made cheap: one
L{LingerWatcher} per reactor watches all the lingering sockets through an
C{epoll} descriptor of its own, which the reactor watches, and bounds them
with one timer. A socket starts waiting with one system call and needs
none to stop (closing it takes it out of the C{epoll} set); the sockets
whose clients ended in the same turn are handled in one event. Where
there is no C{epoll}, each socket is watched by the reactor itself.

Before any of that, a socket waits in place (L{LingerWatcher.waitHere}):
while the reactor has no event ready, no timed call due and no call
queued for its next turn, the reactor's thread waits in one C{poll} of
the socket and the reactor's own C{epoll} descriptor, which is ready as
soon as the reactor has anything else to handle. The reactor would be
asleep meanwhile anyway; a client that ends its side first (on an idle
machine each does) gets its C{226} in the same turn, without the
reactor's turn, the socket's registration and the resumed command a wait
in the reactor costs. Anything else ready first ends the wait in place,
and the socket waits in the reactor as above.

One socket's wait is a L{ftpkit.data.lingerwait.Linger}; what its
socket tells of the client, L{ftpkit.data.peerends}'s.
"""

import heapq
import itertools
import select
import socket
import weakref

from ftpkit.compat import writeSideClosed
from ftpkit.compat.dispatch import eventsLeft
from ftpkit.data.inplace import pollerFor
from ftpkit.data.lingerwait import Linger
from ftpkit.data.peerends import acknowledged, peerEnded

LINGER_TIMEOUT = 5.0
"""Seconds a finished download waits for the client to close its side."""

ACKED_FIRST = 0.05
"""Seconds into the wait after which a client that has acknowledged every
byte and the end of the data, but not ended its side, is first taken to be
waiting for the C{226} (L{acknowledged}): the wait ends then. A client
that closes its side when the data ends (aria2c) has done so long before."""

ACKED_GRACE = 0.5
"""The most seconds between two looks at what the client acknowledged
(L{nextLook})."""


def nextLook(waited):
    """
    The schedule of the looks at what a lingering client acknowledged
    (L{acknowledged}): the first L{ACKED_FIRST} seconds into the wait,
    then each as far from the last as the wait has lasted (they double
    apart), at most L{ACKED_GRACE}.

    @param waited: the seconds the wait has lasted.
    @return: the seconds until the next look.
    """
    return min(max(waited, ACKED_FIRST), ACKED_GRACE)


FIRST_LOOK = nextLook(0)
"""The seconds until the first look (L{nextLook} of C{0}), worked out
once: every download's linger (L{lingerOn}) starts with it."""


class LingerWatcher:
    """
    Watches a reactor's lingering sockets (L{Linger}s) until their clients
    end their sides, or their timeouts pass. A socket that waits alone is
    watched by the reactor; those that start while others wait are watched
    through the C{epoll} descriptor, which the reactor watches meanwhile
    (and, while a server holds the watcher, throughout: L{hold}). There
    is a timer while a socket waits.

    @ivar poller: the C{epoll} object the sockets are registered with (the
        reactor watches its descriptor), or C{None}: the reactor watches
        each socket itself.
    """

    def __init__(self, reactor, useEpoll=True):
        """
        @param reactor: an L{IReactorFDSet} and L{IReactorTime}.
        @param useEpoll: use an C{epoll} descriptor of its own where the
            system has one.
        """
        self._reactor = weakref.proxy(reactor)
        self._waiting = {}
        self._deadlines = []
        self._order = itertools.count()
        self._timer = None
        self._polled = 0
        self._holders = 0
        self._inReactor = False
        self.poller = None
        if useEpoll and hasattr(select, "epoll"):
            self.poller = select.epoll()
        self._here = pollerFor(reactor)

    def fileno(self):
        """
        @return: the C{epoll} descriptor, which is readable while a socket
            registered with it is.
        """
        return self.poller.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-linger"

    def linger(self, sock, onEnd, timeout, grace=None, started=None):
        """
        Wait for a socket's client to end its side (or, once C{grace}
        seconds have passed, to have acknowledged everything).

        @param sock: a connected, non-blocking socket, its sending side
            ended.
        @param onEnd: called with no argument once the wait is over
            (not after L{Linger.stopWaiting}).
        @param timeout: the longest wait, in seconds.
        @param grace: C{None}, or the seconds after which the wait ends
            if the client has acknowledged every byte and the end of the
            data (L{acknowledged}); if not then, once it has (looked at
            as L{nextLook} says), or at C{timeout}.
        @param started: C{None} (now), or when the wait started (the
            reactor's C{seconds()}), from which L{nextLook} times the
            looks after C{grace}.
        @return: the L{Linger}.
        """
        linger = Linger(self, sock, onEnd)
        if self.poller is None or not (self._waiting or self._holders):
            # Alone, a socket costs less watched by the reactor itself
            # (unless the watcher stays in the reactor anyway: hold).
            self._reactor.addReader(linger)
            linger.watched = True
        else:
            if not self._inReactor:
                self._inReactor = True
                self._reactor.addReader(self)
            self._polled += 1
            try:
                self.poller.register(linger.fd, select.EPOLLIN)
            except FileExistsError:
                # The number's last socket was not closed when its wait
                # ended (see doRead).
                self.poller.modify(linger.fd, select.EPOLLIN)
        self._waiting[linger.fd] = linger
        now = self._reactor.seconds()
        linger.final = now + timeout
        linger.started = now if started is None else started
        # min(timeout, max(grace, 0)), without the builtins' calls (see
        # ftpkit.shells.diskreader.FileReader.__init__).
        if grace is None:
            first = timeout
        else:
            first = grace if grace > 0 else 0
            if timeout < first:
                first = timeout
        deadline = now + first
        heapq.heappush(self._deadlines, (deadline, next(self._order), linger))
        if self._timer is None:
            self._timer = self._reactor.callLater(first, self._expire)
        elif deadline < self._timer.getTime():
            self._timer.reset(first)
        return linger

    def waitHere(self, sock, timeout, grace=None):
        """
        Wait for a socket's client to end its side in place, the reactor's
        thread blocked in C{poll}, for as long as the reactor has nothing
        else to do: until the reactor's C{epoll} descriptor is ready (any
        event it watches: a command, another lingering socket, a thread's
        result or a signal through the reactor's waker), its next timed
        call is due, C{grace} seconds have passed (the wait is then over
        if the client has acknowledged everything, L{acknowledged}), or
        C{timeout} seconds. Not at all while its C{threadCallQueue} holds
        calls, or events of its current poll are still to be handled
        (L{eventsLeft}: with many sessions at once, most downloads end
        so), nor without the reactor's descriptor (another reactor): the
        socket is then only read once, without a C{poll}.

        @param sock: a connected, non-blocking socket, its sending side
            ended.
        @param timeout: the longest wait, in seconds.
        @param grace: C{None}, or as L{linger} takes it.
        @return: C{None} when the wait is over (the client ended its side,
            had acknowledged everything when C{grace} passed, or
            C{timeout} passed); otherwise the seconds left of C{timeout},
            for a wait in the reactor (L{linger}).
        """
        here = self._here
        if here is None:
            return None if peerEnded(sock) else timeout
        reactor = self._reactor
        delay = 0
        if not (reactor.threadCallQueue or eventsLeft(reactor)):
            # Otherwise the reactor has work to do: calls it runs before
            # its next poll (threads' results, or the one running this),
            # or events its last poll gave.
            delay = reactor.timeout()
            if delay is None or delay > timeout:
                delay = timeout
            if grace is not None and delay > grace:
                delay = max(grace, 0)
        if delay <= 0:
            # No wait: one read tells what a poll would have.
            if peerEnded(sock):
                return None
        else:
            fd = sock.fileno()
            here.register(fd, select.POLLIN)
            try:
                started = reactor.seconds()
                ready = here.poll(delay * 1000)
                spent = reactor.seconds() - started
                timeout -= spent
                if grace is not None:
                    grace -= spent
            finally:
                here.unregister(fd)
            for readyFd, _events in ready:
                if readyFd == fd and peerEnded(sock):
                    return None
        if timeout <= 0 or (grace is not None and grace <= 0
                            and acknowledged(sock)):
            return None
        return timeout

    def check(self, linger):
        """
        A lingering socket is readable: end its wait if its client ended
        its side.

        @param linger: the L{Linger}.
        """
        if not linger.ended and peerEnded(linger.socket):
            linger.end()

    def forget(self, linger):
        """
        Stop watching an ended L{Linger}. Its socket stays in the C{epoll}
        set until closed, which its owner does at once.

        @param linger: the L{Linger}.
        """
        if self._waiting.get(linger.fd) is linger:
            del self._waiting[linger.fd]
        if linger.watched:
            self._reactor.removeReader(linger)
        else:
            self._polled -= 1
            if not (self._polled or self._holders):
                self._leaveReactor()
        if not self._waiting:
            self._deadlines.clear()
            if not self._holders:
                self._cancelTimer()
        elif len(self._deadlines) > 4 * len(self._waiting) + 64:
            # Ended waits leave the heap when their deadlines pass; bound
            # how many it holds meanwhile.
            self._deadlines[:] = [entry for entry in self._deadlines
                                  if not entry[2].ended]
            heapq.heapify(self._deadlines)

    def hold(self):
        """
        A server started: until it calls L{release}, the timer is left to
        run out when the last wait ends, rather than cancelled, and the
        watcher's C{epoll} descriptor, once the reactor watches it, stays
        there, so that every socket waits in its set, even alone. A
        session downloading file after file, each waiting alone (on an
        idle machine, each does), would otherwise make and cancel a timed
        call per file, and add each socket to the reactor and remove it
        (Twisted's C{addReader} and C{removeReader}); this way there is
        one timed call per L{ACKED_FIRST} at most (L{lingerOn}'s first
        deadline), which finds nothing to end, and a socket joins the set
        with one call and leaves it by its close.

        A watcher the reactor dropped meanwhile without a word
        (L{_dropped}) first forgets what it had: its waits, timer, place
        in the reactor and holds went with what the reactor dropped.
        """
        if self._dropped():
            for linger in self._waiting.values():
                linger.drop()
            self._waiting = {}
            self._deadlines = []
            self._timer = None
            self._polled = self._holders = 0
            self._inReactor = False
        self._holders += 1

    def _dropped(self):
        """
        @return: whether the reactor let go of the watcher without telling
            it: its timer cancelled by another, or its descriptor no
            longer watched. Trial's cleanup of a test that left the
            reactor dirty does both (C{removeAll}, every timed call
            cancelled), and that test's server never releases its hold:
            the waits of every later test in the process were neither
            seen nor timed out, and a release raised C{AlreadyCancelled}.
        """
        timer = self._timer
        if timer is not None and not timer.active():
            return True
        return self._inReactor and self not in self._reactor.getReaders()

    def release(self):
        """
        A server that called L{hold} stopped: once none holds the watcher,
        the timer is cancelled and the descriptor leaves the reactor when
        no socket waits (at once if none does), so that the reactor is
        left clean.
        """
        self._holders -= 1
        if not self._holders:
            if not self._waiting:
                self._cancelTimer()
            if not self._polled:
                self._leaveReactor()

    def _leaveReactor(self):
        if self._inReactor:
            self._inReactor = False
            self._reactor.removeReader(self)

    def _cancelTimer(self):
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def doRead(self):
        """
        Some lingering sockets are readable: check each.
        """
        waiting = self._waiting
        for fd, _events in self.poller.poll(0):
            linger = waiting.get(fd)
            if linger is not None:
                self.check(linger)
                continue
            try:
                self.poller.unregister(fd)
            except OSError:
                pass

    def connectionLost(self, reason):
        """
        The reactor dropped the C{epoll} descriptor: end every wait (in
        this descriptor's event, so those of the sockets the reactor
        watches itself may still come in its batch).

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._inReactor = False
        for linger in list(self._waiting.values()):
            linger.end(settled=not linger.watched)

    def _expire(self):
        """
        End the waits whose timeouts passed, and set the timer for the
        next (a wait started meanwhile, by the end of another, may have
        set it for its own, later deadline).
        """
        self._timer = None
        now = self._reactor.seconds()
        deadlines = self._deadlines
        while deadlines and (deadlines[0][0] <= now
                             or deadlines[0][2].ended):
            linger = heapq.heappop(deadlines)[2]
            if linger.ended:
                continue
            if now < linger.final and not acknowledged(linger.socket):
                # Its grace is over, and the client has not taken
                # everything yet: look again later.
                heapq.heappush(deadlines, (
                    min(now + nextLook(now - linger.started), linger.final),
                    next(self._order), linger))
                continue
            linger.end()
        if not deadlines:
            return
        delay = deadlines[0][0] - now
        if self._timer is None:
            self._timer = self._reactor.callLater(delay, self._expire)
        elif deadlines[0][0] < self._timer.getTime():
            self._timer.reset(delay)


_watchers = {}
"""Each reactor's L{LingerWatcher}, keyed by a weak reference to the
reactor that drops the entry with it: every download's linger looks its
watcher up with one C{dict.get}, where a C{WeakKeyDictionary}'s C{get}
is a Python-level call."""


def _forget(reference):
    """
    A reactor keyed in L{_watchers} is gone: drop its entry.

    @param reference: the entry's key, dead now.
    """
    _watchers.pop(reference, None)


def watcherFor(reactor):
    """
    @param reactor: the reactor.
    @return: its L{LingerWatcher}, made when first needed.
    """
    watcher = _watchers.get(weakref.ref(reactor))
    if watcher is None:
        watcher = _watchers[weakref.ref(reactor, _forget)] = LingerWatcher(
            reactor)
    return watcher


def lingerOn(reactor, sock, onEnd, timeout=LINGER_TIMEOUT):
    """
    End a socket's sending side and wait, until the client ends its side
    too (or resets it), or has acknowledged everything when looked at
    (L{nextLook}), or for C{timeout} seconds. What the client sends
    meanwhile is read and dropped.

    @param reactor: the reactor.
    @param sock: a connected, non-blocking socket, its data all sent.
    @param onEnd: called with no argument once the wait is over, unless
        stopped (L{Linger.stopWaiting}).
    @param timeout: the longest wait, in seconds.
    @return: the L{Linger}, or C{None} when there was nothing to wait for
        in the reactor (the client had ended its side already, or did
        while waited for in place, L{LingerWatcher.waitHere}; C{onEnd} was
        not called).
    """
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return None
    watcher = watcherFor(reactor)
    started = reactor.seconds()
    left = watcher.waitHere(sock, timeout, FIRST_LOOK)
    if left is None:
        return None
    return watcher.linger(sock, onEnd, left, grace=FIRST_LOOK - (
        reactor.seconds() - started), started=started)


class TransportLinger:
    """
    The linger of a download in clear over a Twisted TCP transport (TYPE
    A, active mode), asked to C{loseWriteConnection}: it closes the
    transport once the transport has sent everything and its FIN and the
    client has acknowledged them (L{acknowledged}), looked at as
    L{nextLook} says; or after the whole timeout. The client ending
    its side first closes the transport without it; its owner then
    cancels it. It stands for the timed call its owner holds: C{active}
    and C{cancel}.
    """

    def __init__(self, reactor, transport, timeout):
        """
        @param reactor: an L{IReactorTime}.
        @param transport: the Twisted TCP transport.
        @param timeout: the longest wait, in seconds.
        """
        self._reactor = reactor
        self._transport = transport
        self._started = reactor.seconds()
        self._final = self._started + timeout
        self._call = reactor.callLater(min(FIRST_LOOK, timeout), self._look)

    def _look(self):
        transport = self._transport
        now = self._reactor.seconds()
        left = self._final - now
        if left <= 0 or (writeSideClosed(transport)
                         and acknowledged(transport.getHandle())):
            transport.loseConnection()
        else:
            self._call = self._reactor.callLater(
                min(nextLook(now - self._started), left), self._look)

    def active(self):
        """
        @return: whether the transport is still to be closed.
        """
        return self._call.active()

    def cancel(self):
        """
        Do not close the transport (its connection ended first).
        """
        self._call.cancel()
