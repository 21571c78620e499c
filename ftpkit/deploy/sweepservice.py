"""
L{SweepUploads}: the uploads crashed processes left under the served
directory become resumable (L{ftpkit.shells.uploads.sweep}), at start
and, under C{--workers}, whenever a worker dies.

One process sweeps at start in a thread of its own while it serves: a
walk of a large tree (a million files, C{--root} left to a home
directory, NFS) held the first session up for as long. Its own sessions'
temporary files carry its tag, which the sweep spares (an upload's file
exists a moment before it is held); a resume before the sweep reached its
target's file takes it itself (L{ftpkit.shells.uploads.beginSweep}). The
thread is a daemon's: stopping does not wait for it. The acceptor of
C{--workers} still sweeps before its workers start: a worker would not
know that a sweep runs, and a resume there before the sweep would
continue from the target's size.
"""

import threading

from twisted.application import service
from twisted.internet.threads import deferToThread
from twisted.logger import Logger
from twisted.python.failure import Failure

_log = Logger()


class SweepUploads(service.Service):
    """
    At start (while the process serves, or before any session): the
    uploads crashed processes left under the realm's root become
    resumable or go (see L{ftpkit.shells.uploads.sweep}); under
    C{--workers}, those of a worker that died too, while the others serve
    (L{sweepCut}).
    """

    def __init__(self, root, whileServing=False, sweep=None, reactor=None):
        """
        @param root: the directory to sweep.
        @param whileServing: whether the sweep at start runs in a thread
            while the process serves (one process), or blocks until done
            (the acceptor, before its workers start).
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

    def startService(self):
        """
        Sweep: in a thread sparing this process's uploads (L{whileServing}),
        else blocking (no session runs yet).
        """
        service.Service.startService(self)
        if self.whileServing:
            self._startThread()
            return
        try:
            counts = self.sweep(self.root)
        except OSError as e:
            self._failed(Failure(e))
        else:
            self._swept(counts)

    def _startThread(self):
        """
        Start the sweep of L{whileServing}.
        """
        from ftpkit.shells import uploads

        spared = frozenset({uploads.temporaryTag()})
        uploads.beginSweep(spared)
        threading.Thread(target=self._sweepInThread, args=(spared,),
                         name="ftpkit-sweep", daemon=True).start()

    def _sweepInThread(self, spared):
        """
        The thread of L{_startThread}: sweep, then log in the reactor
        thread what it did.

        @param spared: the tags it spares.
        """
        from ftpkit.shells import uploads

        try:
            counts = self.sweep(self.root, spared=spared)
        except OSError as e:
            self.reactor.callFromThread(self._failed, Failure(e))
        else:
            self.reactor.callFromThread(self._swept, counts)
        finally:
            uploads.endSweep()

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
