"""
What the acceptor of C{--workers} (L{ftpkit.deploy.workers}) passes on to
its workers: lines for every worker (a failed login,
L{ftpkit.deploy.sharedfailures}; the passive port theft alarm,
L{ftpkit.deploy.sharedtheft}), its C{SIGHUP}, C{SIGTERM} and C{SIGQUIT} as lines too
(L{ftpkit.deploy.workersignals}: a reload reaches a worker still starting
once it is ready), and C{SIGKILL}.
"""

from typing import NamedTuple

from twisted.internet import error as netError

from ftpkit.deploy.workersignals import QUIT, RELOAD, STOP

__all__ = ["tellAll", "signal", "signalAll", "reload", "hangUp", "stop",
           "stopAll", "quitAll", "Reloads"]


class Reloads(NamedTuple):
    """
    What became of the acceptor's C{SIGHUP} (L{reload}).

    @ivar now: the workers told to reload now (they serve).
    @ivar onceReady: the workers still starting, told once they are ready.
    """

    now: int
    onceReady: int


def tellAll(workers, line):
    """
    Send a line to every worker still running.

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    @param line: the line, C{bytes}.
    """
    for worker in workers:
        if worker.alive:
            worker.channel.sendLine(line)


def signal(worker, name):
    """
    Send a worker a signal; one that exited already is left alone.

    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    @param name: the signal, by name (C{"KILL"}) or number.
    """
    try:
        worker.transport.signalProcess(name)
    except (netError.ProcessExitedAlready, OSError):
        pass


def signalAll(workers, name):
    """
    Send every worker a signal (L{signal}).

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    @param name: the signal, by name or number.
    """
    for worker in workers:
        signal(worker, name)


def stop(worker):
    """
    Tell a worker to drain and exit (the acceptor's C{SIGTERM}); one that
    exited already is left alone.

    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    """
    tellAll([worker], STOP)


def stopAll(workers):
    """
    Tell every worker to drain and exit (L{stop}).

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    """
    tellAll(workers, STOP)


def quitAll(workers):
    """
    Tell every worker to cut its transfers now and exit (the acceptor's
    C{SIGQUIT}).

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    """
    tellAll(workers, QUIT)


def reload(workers):
    """
    Pass C{SIGHUP} on to every ready worker (each reloads its users file
    and certificate); one still starting gets it once ready
    (L{hangUp}), as it may have read them before they changed.

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    @return: L{Reloads}: how many were ready (told now), and how many
        are told once ready.
    """
    told = later = 0
    for worker in workers:
        if worker.ready:
            hangUp(worker)
            told += 1
        else:
            worker.reloadPending = True
            later += 1
    return Reloads(told, later)


def hangUp(worker):
    """
    Pass C{SIGHUP} on to a worker: tell it to reload (L{RELOAD}).

    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    """
    worker.reloadPending = False
    tellAll([worker], RELOAD)
