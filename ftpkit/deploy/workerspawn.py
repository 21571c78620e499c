"""
Starting one worker process of C{--workers} (L{startWorkerProcess}): the
acceptor's side of its Unix socket (L{ftpkit.deploy.workerprocess}), the
environment it is given (its log records, L{ftpkit.ops.workerlog}; its
CPU, L{ftpkit.deploy.workercpus}), the descriptors it inherits (the
socket's other end, its log pipe, the users files kept when last good,
L{ftpkit.deploy.keptfiles}) and the signals it starts with blocked; and
whether this account may run the interpreter at all
(L{interpreterProblem}). When and in which slot a worker starts is the
supervisor's (L{ftpkit.deploy.workers.WorkerPool}).
"""

import os
import signal
import socket
import sys

from ftpkit.deploy.keptfiles import KEPT_FD, keptDescriptor
from ftpkit.deploy.logpipe import logPipe
from ftpkit.deploy.workercpus import pinnedEnvironment
from ftpkit.deploy.workerprocess import (
    WORKER_FD,
    WORKER_IGNORES,
    WorkerProcess,
)
from ftpkit.ops.workerlog import workerEnvironment


def interpreterProblem(executable=None):
    """
    @param executable: the interpreter a worker runs (C{sys.executable}
        when C{None}).
    @return: why this process, as the account it serves as (C{--uid},
        C{--euid}), cannot run it, one line; or C{None} when it can.
    """
    if executable is None:
        executable = sys.executable
    effective = os.access in os.supports_effective_ids
    if os.access(executable, os.X_OK, effective_ids=effective):
        return None
    return (f"--workers: cannot start a worker: this account (uid "
            f"{os.geteuid()}) may not run {executable} (the interpreter "
            f"and every directory above it must be executable by the "
            f"--uid account)")


def startWorkerProcess(reactor, pool, slot, argv, cpu, spawnFailed):
    """
    Start a worker process, C{python -m ftpkit.deploy.worker}.

    @param reactor: the acceptor's reactor (an C{IReactorProcess}).
    @param pool: the L{ftpkit.deploy.workers.WorkerPool} it belongs to.
    @param slot: its slot (L{WorkerProcess.slot}).
    @param argv: the options it is started with.
    @param cpu: the CPU it runs on (C{--worker-cpus}), or C{None}: any.
    @param spawnFailed: called with the C{OSError} when the process could
        not be started (no process, or no memory, left for it now:
        C{EAGAIN}, C{ENOMEM}), everything opened for it closed.
    @return: C{(worker, logs)}: its L{WorkerProcess}, and the read end of
        its log pipe (for L{WorkerProcess.readLogs}); C{None} when
        C{spawnFailed} was called.
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours.setblocking(False)
    worker = WorkerProcess(pool, ours, slot)
    environment = pinnedEnvironment(workerEnvironment(), cpu)
    # The worker starts with the signals it ignores blocked (a process
    # group's, a terminal's, systemctl kill's), not ended by them,
    # until it ignores them (ftpkit.deploy.worker.main); one for the
    # acceptor meanwhile waits the moment the spawn takes.
    # What the users files held when last good, which the worker
    # serves should one be bad now (ftpkit.deploy.keptfiles).
    kept = keptDescriptor()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_IGNORES)
    readEnd, writeEnd = logPipe()
    try:
        reactor.spawnProcess(
            worker, sys.executable,
            [sys.executable, "-m", "ftpkit.deploy.worker", *argv],
            env=environment,
            childFDs={0: 0, 1: writeEnd, 2: "r",
                      WORKER_FD: theirs.fileno(), KEPT_FD: kept})
    except BaseException as e:
        os.close(readEnd)
        ours.close()
        theirs.close()
        if not isinstance(e, OSError):
            raise
        spawnFailed(e)
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(writeEnd)
        os.close(kept)
    theirs.close()
    return worker, readEnd
