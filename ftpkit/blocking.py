"""
Running a storage backend's blocking calls off the reactor thread.

A shell's methods must return at once with a L{Deferred}: a backend whose
library blocks (a database driver, a network file system, a cloud SDK)
runs those calls in threads and fires the L{Deferred} with the result.
L{BlockingPool} is a thread pool of the backend's own for that::

    from ftpkit.blocking import BlockingPool

    pool = BlockingPool("mystorage", size=4)

    class MyShell:
        def stat(self, path):
            return pool.run(self._statBlocking, path)

        def _statBlocking(self, path):
            ...   # runs in a worker thread; may block, may raise

The pool starts its threads at its first call, so making one while the
options are parsed (in a realm plugin's C{makeRealm}, before C{twistd}
forks into the background) is safe, and stops them when the reactor
shuts down. Its threads are not ftpkit's own disk threads: a slow backend
never holds up the local disk, nor the other way round.

A call stuck in a library that never times out (a network store that
stopped answering) must not keep the server from exiting: the reactor's
shutdown waits for the calls still running at most C{stopWait} seconds,
and the pool's threads are daemon threads, which the interpreter does not
wait for at its exit (Twisted's own pool joins its threads, and a
C{SIGTERM} never ended the process).

A call whose result is of no use once the server stops (the parse of a
users file read again) runs in a daemon thread of its own instead
(L{deferToUnwaitedThread}): the reactor's shutdown does not wait for it
at all, and the thread hands nothing back to a reactor that stopped.
"""

import threading

from twisted.internet.defer import Deferred, succeed
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from ftpkit.protocol.numbertext import decimalValue

STOP_WAIT = 10.0
"""Seconds the reactor's shutdown waits, by default, for the calls still
running in a pool before the process exits without them."""

_log = Logger()


def _daemonThread(*args, **kwargs):
    """
    The threads of a L{BlockingPool}: daemon threads, which the
    interpreter does not wait for at its exit.

    @param args: L{threading.Thread}'s positional arguments.
    @param kwargs: its keyword arguments.
    @return: the thread, not started.
    """
    thread = threading.Thread(*args, **kwargs)
    thread.daemon = True
    return thread


class CallCount:
    """
    The calls under way, counted by whoever makes them, and who waits for
    there to be none: what closes the things the calls use (a store's
    connection, at a test's end) waits for L{whenIdle}.

    @ivar running: how many calls are under way.
    """

    def __init__(self):
        self.running = 0
        self._waiters = []

    def started(self):
        """
        A call started.
        """
        self.running += 1

    def ended(self, result=None):
        """
        A call ended; tell L{whenIdle}'s waiters when none is left.

        @param result: what the call gave, given back (so that this can be
            a callback).
        @return: C{result}.
        """
        self.running -= 1
        if not self.running:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.callback(None)
        return result

    def whenIdle(self):
        """
        @return: a Deferred firing once no call is under way (at once when
            none is).
        """
        if not self.running:
            return succeed(None)
        waiter = Deferred()
        self._waiters.append(waiter)
        return waiter


class BlockingPool:
    """
    Threads that run blocking calls, up to C{size} at once.

    @ivar name: the name given to the threads.
    @ivar size: the most threads.
    @ivar stopWait: the most seconds the reactor's shutdown waits for the
        calls still running.
    """

    def __init__(self, name, size=4, reactor=None, stopWait=STOP_WAIT):
        """
        @param name: a name for the threads (shown by debuggers and
            C{ps -L}).
        @param size: the most calls running at once; C{1} runs them one at
            a time, in order, in one thread (for a library whose
            connection must be used by one thread at a time, such as
            C{sqlite3}'s).
        @param reactor: the reactor to hand results back to; the global
            one when omitted.
        @param stopWait: the most seconds the reactor's shutdown waits for
            the calls still running; one still running then is left to
            end with the process.
        """
        if size < 1:
            raise ValueError("a BlockingPool needs at least one thread")
        self.name = name
        self.size = size
        self.stopWait = stopWait
        self._reactor = reactor
        self._pool = None
        self._trigger = None
        self._calls = CallCount()

    def run(self, function, *args, **kwargs):
        """
        Call C{function(*args, **kwargs)} in one of the pool's threads.

        Calls beyond C{size} wait for a free thread, in order.

        @param function: a blocking callable.
        @param args: its positional arguments.
        @param kwargs: its keyword arguments.
        @return: a L{Deferred} firing in the reactor thread with the
            call's result, or failing with its exception.
        """
        if self._pool is None:
            self._start()
        self._calls.started()
        running = deferToThreadPool(self._reactor, self._pool, function,
                                    *args, **kwargs)
        return running.addBoth(self._calls.ended)

    def whenIdle(self):
        """
        @return: a Deferred firing once none of the calls given to L{run}
            is running or waiting for a thread (at once when none is).
        """
        return self._calls.whenIdle()

    def _start(self):
        """
        Start the threads, and stop them when the reactor shuts down.
        """
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=self.size,
                                name=self.name)
        self._pool.threadFactory = _daemonThread
        self._pool.start()
        # Before the shutdown: only that phase's Deferreds are waited for
        # (a "during" trigger's is dropped, so the reactor stopped at once
        # and left the stopWait timer behind: in a trial -j2 worker, whose
        # every test ends with a shutdown, the next test found it pending).
        self._trigger = self._reactor.addSystemEventTrigger(
            "before", "shutdown", self._stopAtShutdown)

    def _stopAtShutdown(self):
        """
        The reactor is shutting down: end the threads once the calls
        already running finish, waiting for them at most L{stopWait}
        seconds (the threads are stopped from a thread of their own, so
        that the reactor does not wait on one that never returns).

        @return: a L{Deferred} firing once the threads ended or
            L{stopWait} passed, or C{None} when no call ran (the idle
            threads ended already).
        """
        self._trigger = None
        pool, self._pool = self._pool, None
        if pool is None:
            return None
        if not pool.working and not pool.q.qsize():
            # Only idle threads to end: they end at once.
            pool.stop()
            return None
        stopped = Deferred()

        def fire():
            if timer.active():
                timer.cancel()
            if not stopped.called:
                stopped.callback(None)

        def late():
            _log.warn("{name}: calls still running {seconds} s after the"
                      " server stopped; exiting without them",
                      name=self.name, seconds=decimalValue(self.stopWait))
            stopped.callback(None)

        def stop():
            pool.stop()
            self._reactor.callFromThread(fire)

        timer = self._reactor.callLater(self.stopWait, late)
        _daemonThread(target=stop, name=self.name + "-stop").start()
        return stopped

    def stop(self):
        """
        Let the calls already running finish, then end the threads; a later
        L{run} starts them again.
        """
        pool, self._pool = self._pool, None
        trigger, self._trigger = self._trigger, None
        if trigger is not None:
            self._reactor.removeSystemEventTrigger(trigger)
        if pool is not None:
            pool.stop()


def deferToUnwaitedThread(reactor, name, function, *args):
    """
    Call C{function(*args)} in a daemon thread of its own, which the
    reactor's shutdown does not wait for: a call whose result nobody
    uses once the server stops (a users file's parse; in the reactor's
    own thread pool, C{SIGTERM} waited for it, the 8 seconds of a large
    file's parse, a minute under load). From the shutdown's C{during}
    phase on (after the C{before} phase, in which the server drains its
    sessions, a login waiting for this result among them), the thread
    drops its result and calls nothing of the reactor's; it ends with
    the process.

    @param reactor: the reactor to hand the result back to.
    @param name: the thread's name (shown by debuggers and C{ps -L}).
    @param function: a blocking callable; it must write nothing (its
        result alone is what it gives).
    @param args: its positional arguments.
    @return: a L{Deferred} firing in the reactor thread with the call's
        result, or failing with its exception; one that never fires
        when the reactor stopped before the call ended.
    """
    result = Deferred()
    lock = threading.Lock()
    stopped = []

    def stopping():
        with lock:
            stopped.append(True)

    trigger = reactor.addSystemEventTrigger("during", "shutdown", stopping)

    def deliver(outcome):
        if not stopped:
            reactor.removeSystemEventTrigger(trigger)
        if isinstance(outcome, Failure):
            result.errback(outcome)
        else:
            result.callback(outcome)

    def call():
        try:
            outcome = function(*args)
        except BaseException:
            outcome = Failure()
        with lock:
            if not stopped:
                reactor.callFromThread(deliver, outcome)

    _daemonThread(target=call, name=name).start()
    return result
