"""
What the acceptor of C{--workers} (L{ftpkit.deploy.workers}) passes on to
its workers: lines for every worker (a failed login,
L{ftpkit.deploy.sharedfailures}; the passive port theft alarm,
L{ftpkit.deploy.sharedtheft}) and signals (C{SIGHUP}, reaching a worker
still starting once it is ready; C{SIGTERM}; C{SIGKILL}).
"""

from twisted.internet import error as netError

__all__ = ["tellAll", "signal", "signalAll", "reload", "hangUp"]


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


def reload(workers):
    """
    Pass C{SIGHUP} on to every ready worker (each reloads its users file
    and certificate); one still starting gets it once ready
    (L{hangUp}), as it may have read them before they changed.

    @param workers: the L{ftpkit.deploy.workerprocess.WorkerProcess}es.
    """
    for worker in workers:
        if worker.ready:
            hangUp(worker)
        else:
            worker.reloadPending = True


def hangUp(worker):
    """
    Send a worker C{SIGHUP}.

    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    """
    worker.reloadPending = False
    signal(worker, "HUP")
