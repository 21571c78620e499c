"""
L{SweepUploads}: the uploads crashed processes left under the served
directory become resumable (L{ftpkit.shells.uploads.sweep}), at start
and, under C{--workers}, whenever a worker dies.

The sweep at start runs in a thread of its own while the process serves:
a walk of a large tree (a million files, C{--root} left to a home
directory, NFS) held the first session up for as long. The temporary
files of this server's processes carry their tags, which the sweep
spares (an upload's file exists a moment before it is held): its own,
and under C{--workers} each worker's, from the moment it says it is
ready, before it is handed a connection. A resume before the sweep
reached its target's file takes that file itself
(L{ftpkit.shells.uploads.beginSweep}; a worker is told,
L{ftpkit.deploy.pendingsweep}). The thread is a daemon's: stopping does
not wait for it.
"""

import threading
import time

from twisted.application import service
from twisted.internet.threads import deferToThread
from twisted.logger import Logger
from twisted.python.failure import Failure

from ftpkit.deploy import pendingsweep, workerrelay

_log = Logger()


class SweepUploads(service.Service):
    """
    At start (while the process serves, or before any session): the
    uploads crashed processes left under the realm's root become
    resumable or go (see L{ftpkit.shells.uploads.sweep}); under
    C{--workers}, those of a worker that died too, while the others serve
    (L{sweepCut}).

    @ivar pool: under C{--workers}, the acceptor's
        L{ftpkit.deploy.workers.WorkerPool}, told when the sweep at start
        ends; else C{None}.
    """

    pool = None

    def __init__(self, root, whileServing=False, sweep=None, reactor=None):
        """
        @param root: the directory to sweep.
        @param whileServing: whether the sweep at start runs in a thread
            while the process serves, or blocks until done.
        @param sweep: L{ftpkit.shells.uploads.sweep}, or a function taking
            the same arguments [default: that one].
        @param reactor: the reactor told of the threaded sweep's end
            [default: the global one].
        """
        from ftpkit.shells import uploads

        self.root = root
        self.whileServing = whileServing
        self.sweep = uploads.sweep if sweep is None else sweep
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self._spared = {uploads.temporaryTag()}
        self._started = None

    def startService(self):
        """
        Sweep: in a thread sparing this server's uploads (L{whileServing}),
        else blocking (no session runs yet).
        """
        service.Service.startService(self)
        if not self.whileServing:
            try:
                counts = self.sweep(self.root)
            except OSError as e:
                self._failed(Failure(e))
            else:
                self._swept(counts)
            return
        from ftpkit.shells import uploads

        self._started = time.time()
        uploads.beginSweep(frozenset(self._spared))
        threading.Thread(target=self._sweepInThread, name="ftpkit-sweep",
                         daemon=True).start()

    def workerReady(self, worker):
        """
        A worker says it is ready (a hook of the pool's): while the sweep
        at start runs, spare its uploads and tell it.

        @param worker: its L{ftpkit.deploy.workerprocess.WorkerProcess}.
        """
        if self._started is None:
            return
        if worker.uploadTag is not None:
            self._spared.add(worker.uploadTag)
        worker.channel.sendLine(pendingsweep.sweepingLine(self._started))

    def _sweepInThread(self):
        """
        The sweep at start's thread: sweep, then end in the reactor thread
        (L{_ended}).
        """
        from ftpkit.shells import uploads

        try:
            result = self.sweep(self.root, spared=self._spared)
        except Exception:
            result = Failure()
        finally:
            uploads.endSweep()
        self.reactor.callFromThread(self._ended, result)

    def _ended(self, result):
        """
        The sweep at start ended: say what it did, and tell the workers.

        @param result: its C{(kept, removed)}, or its L{Failure} (one
            not of an C{OSError} is logged as unhandled).
        """
        self._started = None
        if self.pool is not None:
            workerrelay.tellAll(self.pool.workers, pendingsweep.SWEPT_LINE)
        if isinstance(result, Failure):
            self._failed(result)
        else:
            self._swept(result)

    def sweepCut(self, tag):
        """
        A worker died: the uploads it cut become resumable, as a single
        process's are at its next start (in a thread, as sessions run).

        @param tag: its temporary files' tag
            (L{ftpkit.shells.uploads.temporaryTag}).
        @return: a L{Deferred} that fires once swept.
        """
        from ftpkit.shells import uploads

        return deferToThread(uploads.sweep, self.root, tag=tag).addCallbacks(
            self._swept, self._failed)

    def _swept(self, counts):
        """
        Log what a sweep did, if anything.

        @param counts: C{(kept, removed)} (L{ftpkit.shells.uploads.sweep}).
        """
        kept, removed = counts
        if kept or removed:
            _log.info("cut uploads under {root}: {kept} kept for a resume, "
                      "{removed} expired ones removed", root=self.root,
                      kept=kept, removed=removed)

    def _failed(self, failure):
        """
        Log a sweep that could not read the tree.

        @param failure: its L{Failure}.
        """
        failure.trap(OSError)
        _log.warn("could not sweep {root} for cut uploads: {error}",
                  root=self.root, error=str(failure.value))
