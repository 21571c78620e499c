"""
The deadline of a blocking storage call (L{CallWatch}, L{DeadlineTimer}):
a store that stops answering (an SFTP server stopped, or cut off by the
network without a reset) costs the command a reply, not a session that
waits for ever and a pool thread that never comes back.

The deadline bounds the time a call goes without an answer from the
store, not its whole length: a call that makes many requests (the walk
of a tree to measure a quota, the listing of a huge directory over a
slow link) is expired only when the store stops answering, told by the
backend's progress mark
(L{ftpkit.shells.fsspecgeneric.Backend.progress}: on SFTP, the number of
requests sent, each sent once the one before was answered). The mark is
looked at when the deadline has passed since the call started or since
the mark last moved, so a call is expired between one and two deadlines
after the store's last answer. A call's time counts from the moment it
starts on the store, after it waited for a thread of the pool and for
the lock of a filesystem that takes one call at a time: calls queued
behind a stuck one are not its victims, and the connection is dropped
once, by the stuck call's deadline.

What to do with an expired call is the backend's
(L{ftpkit.shells.fsspecgeneric.Backend.abandon}): a plain read timeout
would leave a request unanswered on the connection, whose late answer
would then pass for the next call's; the SFTP backend closes the SSH
connection, which makes the waiting call raise and frees its thread.

Opening a connection has the same deadline (L{ConnectionCut},
L{connectWithin}): the first, and each one opened again after a call
expired or failed, which no call's deadline bounds (a failed call's
repair runs after its watch ended).

The reactor thread finds the deadline passed, but never closes the
connection itself: a close may block (paramiko's C{Transport.close}
stops the transport's thread and may C{join} it), and every session of
the process would wait for it. L{closeAside} closes it in a thread of
its own. What an opening's cut closes is found when the cut is decided,
in the reactor thread: found by the close's thread when it runs, a very
late one could find, and close, a newer connection opened since.
"""

import threading

from twisted.logger import Logger

from ftpkit.errors import StorageTimedOut

_log = Logger(namespace="ftpkit.shells.fsspecshell")
"""The lines of a failed close keep the namespace of the fsspec shell's
other storage lines."""


def closeAside(close, label):
    """
    Close a connection off the reactor thread, in a daemon thread of its
    own: not in the realm's pool, whose threads may all be held by calls
    waiting on stalled connections, the very calls the close frees; a
    daemon thread never holds the process at its exit. A close that fails
    is logged.

    @param close: closes the connection, without arguments (may block).
    @param label: the storage's name in the log line of a failed close.
    @return: the thread, started.
    """
    def run():
        try:
            close()
        except Exception as error:  # noqa: BLE001 (the waiting call tells)
            _log.error("{backend} storage cannot drop its connection:"
                       " {kind}: {why}", backend=label,
                       kind=type(error).__name__, why=str(error)[:200])

    thread = threading.Thread(target=run, name="ftpkit-storage-close",
                              daemon=True)
    thread.start()
    return thread


class CallWatch:
    """
    One call's progress, shared by the pool thread that makes it
    (L{start}, L{end}) and the reactor thread that watches its deadline
    (L{expire}).

    @ivar ticket: its place among the calls on its filesystem
        (L{ftpkit.shells.storeoutage.Outage.ticket}), or C{None}.
    @ivar started: when the call started on the store (the clock's
        seconds), or C{None} while it waits for its turn.
    @ivar mark: the backend's progress mark when it started.
    @ivar expired: whether its deadline passed before it ended.
    @ivar dropped: once expired, a C{threading.Event} set when its
        connection was dropped (L{closeAside} over): the call, ended,
        waits for it (L{waitDropped}); C{None} before (a call in time
        makes none).
    """

    def __init__(self, clock, ticket=None):
        """
        @param clock: an L{twisted.internet.interfaces.IReactorTime}, whose
            C{seconds} both threads read.
        @param ticket: see L{ticket}.
        """
        self.ticket = ticket
        self._clock = clock
        self._lock = threading.Lock()
        self._ended = False
        self.mark = None
        self.started = None
        self.expired = False
        self.dropped = None

    def start(self, mark):
        """
        The call starts on the store now (in the pool thread).

        @param mark: the backend's progress mark now.
        """
        self.mark = mark
        self.started = self._clock.seconds()

    def end(self):
        """
        The call is over (in the pool thread), answered or failed.

        @return: whether its deadline had passed already: its connection
            was abandoned, and a failure is the abandonment's.
        """
        with self._lock:
            self._ended = True
            return self.expired

    def waitDropped(self, seconds):
        """
        An expired call ended (in the pool thread, holding the lock of a
        filesystem that takes one call at a time): wait until its
        connection was dropped aside. A call answered late, just as its
        deadline passed, otherwise let the next call start on the
        connection being dropped, which then failed it (or, the
        connection broken meanwhile, reconnect before the drop read
        which connection to close: the new one).

        @param seconds: the most to wait (the deadline: a drop that takes
            longer is stuck, and no longer waited for).
        """
        self.dropped.wait(seconds)

    def expire(self):
        """
        The deadline passed (in the reactor thread).

        @return: whether the call was still running, and is now expired:
            its connection is to be abandoned.
        """
        with self._lock:
            if self._ended:
                return False
            self.dropped = threading.Event()
            self.expired = True
            return True


class DeadlineTimer:
    """
    Watch one call's deadline from the reactor thread: once the call has
    gone C{seconds} without the store's progress mark moving, since it
    started (L{CallWatch.started}), it is expired and C{abandon} is
    called.
    """

    def __init__(self, clock, watch, seconds, abandon, progress):
        """
        Start watching.

        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        @param watch: the call's L{CallWatch}.
        @param seconds: the deadline.
        @param abandon: called without arguments when the call expires.
        @param progress: gives the store's progress mark now (without
            blocking, in the reactor thread), as L{CallWatch.start} was
            given it.
        """
        self._clock = clock
        self._watch = watch
        self._seconds = seconds
        self._abandon = abandon
        self._progress = progress
        self._since = None
        self._mark = None
        self._delayed = clock.callLater(seconds, self._check)

    def _check(self):
        """
        Expire the call if it has gone its time without an answer, else
        look again when it will have.
        """
        now = self._clock.seconds()
        if self._watch.started is None:
            self._later(self._seconds)
            return
        if self._since is None:
            self._since, self._mark = self._watch.started, self._watch.mark
        left = self._since + self._seconds - now
        if left > 0:
            self._later(left)
            return
        mark = self._progress()
        if mark != self._mark:
            self._since, self._mark = now, mark
            self._later(self._seconds)
            return
        self._delayed = None
        if self._watch.expire():
            self._abandon()

    def _later(self, seconds):
        """
        Check again in C{seconds}.
        """
        self._delayed = self._clock.callLater(seconds, self._check)

    def cancel(self, result=None):
        """
        Stop watching: the call's L{Deferred} fired.

        @param result: what it fired with, given back (so that this can be
            a callback).
        @return: C{result}.
        """
        delayed, self._delayed = self._delayed, None
        if delayed is not None and delayed.active():
            delayed.cancel()
        return result


class ConnectionCut:
    """
    The deadline of opening a connection (an SSH connection and its SFTP
    session: paramiko bounds the steps up to the login with its own
    timeouts, but waits for ever for the SFTP subsystem and its version
    exchange): once C{seconds} passed (seen in the reactor thread), the
    connection is found, and closed in a thread of its own
    (L{closeAside}), which makes the opening raise and frees its thread,
    as for a call. Until the opening ends, it is closed again every
    C{seconds}: at the first deadline it may not have been made yet (its
    TCP connection still being opened).
    """

    def __init__(self, clock, seconds, closer, aside=None):
        """
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        @param seconds: the deadline.
        @param closer: called without arguments in the reactor thread
            when the cut is decided (it must not block), it gives what
            closes the connection the opening made so far, called without
            arguments through C{aside} (it may block), or C{None} when
            there is none yet.
        @param aside: runs that close off the reactor thread;
            L{closeAside} when omitted.
        """
        self._clock = clock
        self._seconds = seconds
        self._closer = closer
        self._aside = aside or (lambda close: closeAside(close, "SFTP"))
        self._lock = threading.Lock()
        self._ended = False
        self._delayed = None
        self.expired = False

    def start(self):
        """
        Start counting (in the reactor thread), unless the opening already
        ended.
        """
        with self._lock:
            if not self._ended:
                self._delayed = self._clock.callLater(self._seconds,
                                                      self._expire)

    def _expire(self):
        """
        The deadline passed: close the connection, and again later if the
        opening is still under way then.
        """
        with self._lock:
            if self._ended:
                self._delayed = None
                return
            self.expired = True
            self._delayed = self._clock.callLater(self._seconds,
                                                  self._expire)
        close = self._closer()
        if close is not None:
            self._aside(close)

    def end(self):
        """
        The opening is over (in its own thread), made or failed.

        @return: whether the deadline had passed: the connection was
            closed, and a failure is the closing's.
        """
        with self._lock:
            self._ended = True
            return self.expired

    def cancel(self):
        """
        Stop counting (in the reactor thread), once L{end} was called.
        """
        with self._lock:
            delayed, self._delayed = self._delayed, None
        if delayed is not None and delayed.active():
            delayed.cancel()


def connectWithin(seconds, connect, closer, reactor=None):
    """
    Open a connection (blocking, in a thread other than the reactor's)
    within a deadline (L{ConnectionCut}).

    @param seconds: the deadline.
    @param connect: opens the connection, without arguments (blocking).
    @param closer: see L{ConnectionCut}.
    @param reactor: the running reactor (an
        L{twisted.internet.interfaces.IReactorTime} and
        L{twisted.internet.interfaces.IReactorThreads}); the global one
        when omitted.
    @return: what C{connect} gave.
    @raise StorageTimedOut: when the deadline passed before it ended.
    """
    if reactor is None:
        from twisted.internet import reactor
    cut = ConnectionCut(reactor, seconds, closer)
    reactor.callFromThread(cut.start)
    try:
        made = connect()
    except Exception:
        if not cut.end():
            raise
        made = None
    finally:
        cut.end()
        reactor.callFromThread(cut.cancel)
    if cut.expired:
        # Made after the last close, it would be left open, unused.
        close = closer()
        if close is not None:
            close()
        raise StorageTimedOut()
    return made
