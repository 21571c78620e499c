"""
L{ThenFinished}: an open upload handed on as it is, that tells when it
ends (committed, aborted or discarded).
"""

from twisted.internet import defer
from zope.interface import directlyProvides, providedBy


class ThenFinished:
    """
    An open upload handed on as it is (every capability it provides),
    except that closing, aborting or discarding it also runs C{finished}.
    """

    def __init__(self, writeFile, finished):
        """
        @param writeFile: the shell's open upload.
        @param finished: called with C{True} once it is committed, with
            C{False} when it is aborted, discarded or failed to commit;
            returns a Deferred or C{None}.
        """
        self._writeFile = writeFile
        self._finished = finished
        directlyProvides(self, providedBy(writeFile))

    def __getattr__(self, name):
        return getattr(self._writeFile, name)

    def close(self):
        """
        Commit, then run C{finished(True)}; a failed commit runs
        C{finished(False)}.

        @return: a Deferred firing as the upload's C{close} does.
        """
        closing = defer.maybeDeferred(self._writeFile.close)

        def committed(result):
            return defer.maybeDeferred(self._finished, True).addCallback(
                lambda _: result)

        def failed(failure):
            self._finished(False)
            return failure

        return closing.addCallbacks(committed, failed)

    def abort(self):
        """
        Abort, then run C{finished(False)}.

        @return: a Deferred firing as the upload's C{abort} does.
        """
        return defer.maybeDeferred(self._writeFile.abort).addBoth(
            self._afterEnd)

    def discard(self):
        """
        Discard (L{ftpkit.interfaces.IPartialWriteFile.discard}), then run
        C{finished(False)}.

        @return: a Deferred firing as the upload's C{discard} does.
        """
        return defer.maybeDeferred(self._writeFile.discard).addBoth(
            self._afterEnd)

    def _afterEnd(self, result):
        self._finished(False)
        return result
