"""
L{SweepUploads}: the uploads crashed processes left under the served
directory become resumable (L{ftpkit.shells.uploads.sweep}), at start
and, under C{--workers}, whenever a worker dies.
"""

from twisted.application import service
from twisted.internet.threads import deferToThread
from twisted.logger import Logger
from twisted.python.failure import Failure

_log = Logger()


class SweepUploads(service.Service):
    """
    At start, before any session: the uploads crashed processes left under
    the realm's root become resumable or go (see
    L{ftpkit.shells.uploads.sweep}); under C{--workers}, those of a worker
    that died too, while the others serve (L{sweepCut}).
    """

    def __init__(self, root):
        """
        @param root: the directory to sweep.
        """
        self.root = root

    def startService(self):
        """
        Sweep (blocking: no session runs yet).
        """
        service.Service.startService(self)
        from ftpkit.shells import uploads

        try:
            counts = uploads.sweep(self.root)
        except OSError as e:
            self._failed(Failure(e))
        else:
            self._swept(counts)

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
