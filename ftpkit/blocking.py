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
"""

from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool


class BlockingPool:
    """
    Threads that run blocking calls, up to C{size} at once.

    @ivar name: the name given to the threads.
    @ivar size: the most threads.
    """

    def __init__(self, name, size=4, reactor=None):
        """
        @param name: a name for the threads (shown by debuggers and
            C{ps -L}).
        @param size: the most calls running at once; C{1} runs them one at
            a time, in order, in one thread (for a library whose
            connection must be used by one thread at a time, such as
            C{sqlite3}'s).
        @param reactor: the reactor to hand results back to; the global
            one when omitted.
        """
        if size < 1:
            raise ValueError("a BlockingPool needs at least one thread")
        self.name = name
        self.size = size
        self._reactor = reactor
        self._pool = None
        self._trigger = None

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
        return deferToThreadPool(self._reactor, self._pool, function,
                                 *args, **kwargs)

    def _start(self):
        """
        Start the threads, and stop them when the reactor shuts down.
        """
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=self.size,
                                name=self.name)
        self._pool.start()
        self._trigger = self._reactor.addSystemEventTrigger(
            "during", "shutdown", self._stopAtShutdown)

    def _stopAtShutdown(self):
        """
        The reactor is shutting down: L{stop}.
        """
        self._trigger = None
        self.stop()

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
