"""
L{SweepUploads}: the uploads crashed processes left under the served
directories (the realm's root, and each virtual host's, L{sweptRoots})
become resumable (L{ftpkit.shells.uploads.sweep}), at start and, under
C{--workers}, whenever a worker dies.

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

import functools
import os
import threading
import time

from twisted.application import service
from twisted.internet.threads import deferToThread
from twisted.logger import Logger
from twisted.python.failure import Failure

from ftpkit.deploy import pendingsweep, workerrelay
from ftpkit.shells.keptregistry import logDroppedFrom

_log = Logger()


def sweptRoots(realms):
    """
    @param realms: the realms served: C{--realm}'s, then each
        C{--vhost}'s.
    @return: the local directories their users' uploads are under (what
        a realm's C{sweptRoots()} names, else its C{root}; only absolute
        paths: an object store's root is not one), in that order, without
        one given before nor one inside another (the walk of that one
        sweeps it).
    """
    roots = []
    for realm in realms:
        named = getattr(realm, "sweptRoots", None)
        for root in named() if callable(named) else [
                getattr(realm, "root", None)]:
            if isinstance(root, (str, bytes)) and os.path.isabs(root):
                roots.append(os.path.realpath(os.fsdecode(root)))
    known = dict.fromkeys(roots)
    return [root for root in known if not _belowAny(root, known)]


def _belowAny(path, directories):
    """
    @param path: a real path (C{str}).
    @param directories: real paths, a set or dict: looked up, not
        searched, so that a realm of tens of thousands of homes is
        told apart in time linear in them (every pair compared took 20
        s of a start at 60,000 users).
    @return: whether C{path} is strictly below one of C{directories}.
    """
    parent = os.path.dirname(path)
    while parent != path:
        if parent in directories:
            return True
        path, parent = parent, os.path.dirname(parent)
    return False


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

    def __init__(self, root, whileServing=False, sweep=None, reactor=None,
                 others=()):
        """
        @param root: the directory to sweep.
        @param others: more directories to sweep after it, in the same
            thread (the virtual hosts' roots, L{sweptRoots}).
        @param whileServing: whether the sweep at start runs in a thread
            while the process serves, or blocks until done.
        @param sweep: L{ftpkit.shells.uploads.sweep}, or a function taking
            the same arguments (C{onDropped} among them) [default: that
            one].
        @param reactor: the reactor told of the threaded sweep's end
            [default: the global one].
        """
        from ftpkit.shells import uploads

        self.root = root
        self.roots = (root,) + tuple(others)
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
            self._report(self._sweepAll(self.sweep))
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
            results = self._sweepAll(self.sweep, spared=self._spared)
        finally:
            uploads.endSweep()
        self.reactor.callFromThread(self._ended, results)

    def _sweepAll(self, sweep, **kwargs):
        """
        Sweep each of L{roots} in turn (blocking).

        @param sweep: L{ftpkit.shells.uploads.sweep}, or L{sweep}.
        @param kwargs: for it.
        @return: for each root, C{(result, root)}: the sweep's C{(kept,
            removed)}, or its L{Failure}.
        """
        results = []
        for root in self.roots:
            try:
                results.append((sweep(root, onDropped=functools.partial(
                    self._dropped, root), **kwargs), root))
            except Exception:
                results.append((Failure(), root))
        return results

    def _dropped(self, root, path, resumer, size, reason):
        """
        A sweep dropped a partial upload (in any thread): log it, one
        C{partial-dropped} event
        (L{ftpkit.shells.keptregistry.logDroppedFrom}).

        @param root: the directory swept.
        @param path: the partial upload's path under it, C{bytes}.
        @param resumer: who it was kept for, or C{None}.
        @param size: its bytes.
        @param reason: why (L{ftpkit.shells.uploads.sweep}).
        """
        below = os.path.relpath(os.fsdecode(path), os.fsdecode(root))
        logDroppedFrom(self.reactor, tuple(below.split(os.sep)), resumer,
                       size, reason)

    def _report(self, results):
        """
        Log what the sweeps of L{_sweepAll} did.

        @param results: what it returned (a L{Failure} not of an
            C{OSError} is logged as unhandled).
        """
        for result, root in results:
            if isinstance(result, Failure):
                self._failed(result, root)
            else:
                self._swept(result, root)

    def _ended(self, results):
        """
        The sweep at start ended: say what it did, and tell the workers.

        @param results: for each root, C{(result, root)}: the sweep's
            C{(kept, removed)}, or its L{Failure} (one not of an
            C{OSError} is logged as unhandled).
        """
        self._started = None
        if self.pool is not None:
            workerrelay.tellAll(self.pool.workers, pendingsweep.SWEPT_LINE)
        self._report(results)

    def sweepCut(self, tag):
        """
        A worker died: the uploads it cut become resumable, as a single
        process's are at its next start, and the reservations of names
        nobody holds any more (its C{STOU}s') go (in a thread, as
        sessions run).

        @param tag: its temporary files' tag
            (L{ftpkit.shells.uploads.temporaryTag}).
        @return: a L{Deferred} that fires once swept.
        """
        from ftpkit.shells import uploads

        return deferToThread(self._sweepAll, uploads.sweep,
                             tag=tag).addCallback(self._report)

    def _swept(self, counts, root):
        """
        Log what a sweep did, if anything.

        @param counts: C{(kept, removed)} (L{ftpkit.shells.uploads.sweep}).
        @param root: the directory swept.
        """
        kept, removed = counts
        if kept or removed:
            _log.info("cut uploads under {root}: {kept} kept for a resume, "
                      "{removed} expired ones removed", root=root,
                      kept=kept, removed=removed)

    def _failed(self, failure, root):
        """
        Log a sweep that could not read the tree.

        @param failure: its L{Failure}.
        @param root: the directory swept.
        """
        failure.trap(OSError)
        _log.warn("could not sweep {root} for cut uploads: {error}",
                  root=root, error=str(failure.value))
