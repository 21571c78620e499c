"""
What the acceptor of C{--workers} (L{ftpkit.deploy.workers}) does with
what a worker held when it exited (killed, crashed, or stopped): its
channel is read to its last words and closed, the connections it had not
taken go to another worker, its sessions are released, and those who
asked are told (its process id for its logs, its upload tag for the
sweep of the uploads it cut, L{ftpkit.deploy.sweepservice}). Its
replacement is L{ftpkit.deploy.restarts}.
"""

from ftpkit.deploy.handover import bytesWritten

__all__ = ["closeAfterEvents", "releaseHeld", "tellEnded"]


def closeAfterEvents(reactor, close):
    """
    Close a descriptor of a worker that exited once the reactor handled
    every event of the poll it is handling, not now.

    A worker's exit comes with several events in one poll (its standard
    error's end, its log pipe's, its channel's); the first handled ends
    the worker. A descriptor closed then frees its number for the next
    one opened (the replacement worker's channel, started at once), and
    an event of the same poll still naming that number (the log pipe's
    hang-up) would reach the new descriptor: the reactor then stopped
    watching the new worker's channel, whose "ready" was never read.

    @param reactor: the reactor handling the events.
    @param close: closes the descriptor (it is no longer watched).
    """
    reactor.callLater(0, close)


def releaseHeld(reactor, worker, handOver):
    """
    Release what a worker that exited held.

    @param reactor: the reactor its channel was read and written by.
    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    @param handOver: called with a connection it had not acknowledged,
        the client's address and C{greeted} (whether it greeted the
        client already, so that the next one does not greet it again);
        returns whether another worker took it (else it is closed).
    @return: how many sessions the worker held (they ended with it).
    """
    reactor.removeReader(worker.channel)
    reactor.removeWriter(worker.channel)
    worker.channel.drain()
    closeAfterEvents(reactor, worker.channel.close)
    for connection, host in worker.unacknowledged():
        if not handOver(connection, host,
                        greeted=bool(bytesWritten(connection))):
            connection.close()
    return worker.releaseAll()


def tellEnded(worker, endedHooks, uploadsHooks):
    """
    Tell those who asked that a worker exited.

    @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}.
    @param endedHooks: callables given its process id.
    @param uploadsHooks: callables given its upload tag, when it had one
        (none while the server stops: the sweep at the next start finds
        its uploads, and a walk of a large tree would hold the exit up).
    """
    for hook in endedHooks:
        hook(worker.logs.pid)
    if worker.uploadTag is not None:
        for hook in uploadsHooks:
            hook(worker.uploadTag)
