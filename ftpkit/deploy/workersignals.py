"""
The signals of a worker of C{--workers}: they are its acceptor's.

A signal sent to the whole server (a process group's: C{kill -- -PGID},
C{timeout}, a terminal's Ctrl-C; every process of a systemd unit:
C{systemctl kill}, whose C{--kill-whom} is C{all} by default) reaches the
acceptor and each worker at once. The acceptor passes its own on, so a
worker acting on its copy too did everything twice: two reloads (two log
lines) for one C{SIGHUP}; for one C{SIGTERM}, a drain begun by the worker
itself, then the acceptor's logged as C{SIGTERM again}, and a worker
whose drain ended before the acceptor stopped was replaced. So a worker
acts only on its acceptor's word, lines on their channel
(L{ftpkit.deploy.channel}):

  - L{RELOAD} (the acceptor's C{SIGHUP}): reload, as one process does on
    C{SIGHUP} (L{ftpkit.deploy.hangup.ReloadOnHangup.reloadAll}). A
    worker ignores C{SIGHUP} itself, all its life.
  - L{STOP} (the acceptor's C{SIGTERM} or C{SIGINT}): drain, then exit.
    A worker ignores C{SIGINT} (a terminal's Ctrl-C reaches the acceptor
    too).
  - L{QUIT} (the acceptor's C{SIGQUIT}): cut the transfers now
    (L{ftpkit.ops.drain.Drain.hurry}), also in a drain under way, and
    exit. A worker ignores C{SIGQUIT} (a terminal's Ctrl-\\ reaches the
    acceptor too).
  - C{SIGTERM} to a worker is told to the acceptor (L{SIGNALLED}), which
    decides (L{ftpkit.deploy.workers.WorkerPool.workerSignalled}): while
    it stops itself, nothing, its own L{STOP} reaches every worker; else
    the worker was signalled alone, and is told to stop (it drains while
    the others take the new clients, and another starts once it exited).

A worker whose acceptor is gone stops (its channel closed,
L{ftpkit.deploy.worker.ConnectionReceiver.channelClosed}); C{SIGKILL}
ends any.
"""

import signal

from twisted.application import service

RELOAD = b"reload"
"""The acceptor's line telling a worker to reload (C{SIGHUP})."""

STOP = b"stop"
"""The acceptor's line telling a worker to drain and exit (C{SIGTERM})."""

QUIT = b"quit"
"""The acceptor's line telling a worker to cut its transfers and exit
(C{SIGQUIT})."""

SIGNALLED = b"signalled"
"""A worker's line telling its acceptor it got a signal, by name:
C{signalled SIGTERM}."""


def signalledLine(number):
    """
    @param number: a signal's number.
    @return: the line telling the acceptor a worker got it.
    """
    return SIGNALLED + b" " + signal.Signals(number).name.encode("ascii")


class LeaveToAcceptor(service.Service):
    """
    A worker's service that leaves C{SIGTERM}, C{SIGINT} and C{SIGQUIT}
    to its acceptor (see the module), and stops the worker at its word.

    @ivar stopping: whether the worker was told to stop, or its reactor
        began stopping.
    @ivar hurries: callables taking no argument that cut the worker's
        transfers now (L{ftpkit.ops.drain.Drain.hurry}), called on
        L{QUIT}.
    """

    def __init__(self, channel, reactor=None, hurries=()):
        """
        @param channel: the L{ftpkit.deploy.channel.Channel} to the
            acceptor.
        @param reactor: the reactor (the global one when C{None}).
        @param hurries: see L{hurries}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self.channel = channel
        self._reactor = reactor
        self.stopping = False
        self.hurries = list(hurries)

    def startService(self):
        """
        Once the reactor runs (and has installed its own handlers),
        install the worker's.
        """
        service.Service.startService(self)
        self._reactor.callWhenRunning(self.installHandlers)
        self._reactor.addSystemEventTrigger("before", "shutdown",
                                            self._shuttingDown)

    def _shuttingDown(self):
        self.stopping = True

    def installHandlers(self):
        """
        Ignore C{SIGINT} and C{SIGQUIT}; tell the acceptor of each
        C{SIGTERM}.
        """
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "SIGQUIT"):
            signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._signalled)

    def _signalled(self, number, frame):
        """
        The signal handler: tell the acceptor, from the reactor thread.
        """
        self._reactor.callFromThread(self.channel.sendLine,
                                     signalledLine(number))

    def stop(self):
        """
        The acceptor's L{STOP}: stop the reactor (the drain follows),
        unless it is stopping already.
        """
        if self.stopping:
            return
        self.stopping = True
        self._reactor.stop()

    def quit(self):
        """
        The acceptor's L{QUIT}: cut the transfers now (L{hurries}), and
        stop the reactor unless it is stopping already.
        """
        for hurry in self.hurries:
            hurry()
        self.stop()
