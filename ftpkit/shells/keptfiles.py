"""
L{KeptWriteFile}: an upload of L{ftpkit.shells.keptuploads.KeptUploadsShell},
written under a hidden name of the wrapped shell (a new upload's
L{ftpkit.shells.keptnames.placingName}, or the partial upload a resume
took) and renamed to its target once complete. Cut (L{KeptWriteFile.abort}),
what it received is committed there all the same and kept as its
target's partial upload; refused for its size (L{KeptWriteFile.discard}),
it keeps nothing of its own.
"""

from twisted.internet.defer import ensureDeferred, maybeDeferred
from twisted.logger import Logger
from zope.interface import alsoProvides

from ftpkit.errors import FTPError, InsufficientStorage
from ftpkit.interfaces import (
    IDiscardableWriteFile,
    IPartialWriteFile,
    IRandomWriteFile,
    IWriteFile,
)

_log = Logger()

UNKNOWN = object()
"""The version of a target that was not looked at when its upload began:
a cut upload of it is kept whatever the target became."""


def versionOf(info):
    """
    @param info: a target's L{ftpkit.fileinfo.FileInfo}, or C{None} where
        nothing is.
    @return: what tells it from a file that replaced it: its size and
        modification time, or C{None}.
    """
    if info is None:
        return None
    return (info.size, info.mtime)


class KeptWriteFile:
    """
    An upload written under a hidden name of the wrapped shell.

    It is an L{IRandomWriteFile} or an L{IWriteFile} as the wrapped
    shell's upload is, and can be dropped whole
    (L{IDiscardableWriteFile}, L{IPartialWriteFile}).
    """

    def __init__(self, keeper, inner, target, hidden, resumed=False,
                 targetWas=UNKNOWN, ended=None):
        """
        @param keeper: the L{ftpkit.shells.keptuploads.KeptUploadsShell}
            that opened it.
        @param inner: the wrapped shell's upload of C{hidden}.
        @param target: the target's path.
        @param hidden: the path it is written to.
        @param resumed: whether C{hidden} is a partial upload it
            continues (given back as it is when the upload is dropped).
        @param targetWas: the target's L{versionOf} when the upload
            began (a resume: when it took the partial upload), or
            L{UNKNOWN}: once it changed, a cut upload keeps nothing
            (another upload of it completed meanwhile, as lftp makes when
            it starts a stalled upload again), and what it keeps records
            it (L{ftpkit.shells.keptuploads.KeptUploadsShell.keepPartial}),
            so that a later change of the target makes it stale.
        @param ended: called once the upload ended (its file in place,
            kept or dropped), or C{None}.
        """
        self._ended = ended
        self._keeper = keeper
        self._inner = inner
        self._target = target
        self._hidden = hidden
        self._resumed = resumed
        self._targetWas = targetWas
        if IRandomWriteFile.providedBy(inner):
            alsoProvides(self, IRandomWriteFile, IDiscardableWriteFile)
        else:
            alsoProvides(self, IWriteFile, IPartialWriteFile)

    _full = False

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt} (provided when the wrapped upload
        provides it); one that finds the store full is noted
        (L{_noteFull}).
        """
        return self._inner.writeAt(offset, data).addErrback(self._noteFull)

    def _noteFull(self, failure):
        """
        A write found the store full (C{452}): cut, the upload keeps none
        of its bytes (L{_keepNone}).

        @param failure: the write's L{Failure}, given on.
        """
        if failure.check(InsufficientStorage):
            self._full = True
        return failure

    def receive(self):
        """
        See L{IWriteFile.receive} (provided when the wrapped upload
        provides it).
        """
        return self._inner.receive()

    def close(self):
        """
        See L{IRandomWriteFile.close}: commit under the hidden name, then
        rename it to the target (in one step: the wrapped shell's
        C{rename} replaces a file). A new upload then drops its
        resumer's partial upload of the target (it started over).
        Should the rename fail, a continued partial upload is given back
        with what the upload added, and a new upload's file removed.
        """
        return ensureDeferred(self._ending(self._close()))

    async def _ending(self, ending):
        """
        @param ending: the coroutine that ends the upload.
        @return: its result, once it ran and the upload is counted as
            ended (C{ended}).
        """
        try:
            return await ending
        finally:
            ended, self._ended = self._ended, None
            if ended is not None:
                ended()

    async def _close(self):
        keeper = self._keeper
        try:
            await maybeDeferred(self._inner.close)
        except BaseException:
            await self._settle()
            raise
        try:
            await keeper.wrapped.rename(self._hidden, self._target)
        except BaseException:
            await self._settle()
            raise
        if not self._resumed:
            await keeper.dropPartial(self._target)

    def abort(self):
        """
        See L{IRandomWriteFile.abort}: the upload was cut; what it
        received is committed under its hidden name all the same, and
        kept as its target's partial upload (L{_keep}).
        """
        return ensureDeferred(self._ending(self._abort()))

    async def _abort(self):
        try:
            await maybeDeferred(self._inner.close)
        except FTPError:
            # Nothing (more) committed: a refused write, a file replaced.
            await self._settle()
            return
        except Exception as e:  # noqa: BLE001 (a cut upload ends quietly)
            _log.error("cannot commit the cut upload of {target}: {kind}:"
                       " {why}", target="/".join(self._target),
                       kind=type(e).__name__, why=str(e)[:200])
            await self._settle()
            return
        await self._keep()

    async def _keep(self):
        """
        Keep what a cut upload committed as its target's partial upload,
        for the shell's resumer; a new upload that received nothing and
        was to make a file, or an upload whose target changed since it
        began, keeps nothing (as on the disk realm,
        L{ftpkit.shells.partials.keepPartial}); one whose write found the
        store full keeps none of its bytes (L{_keepNone}).
        """
        keeper = self._keeper
        if self._targetWas is not UNKNOWN:
            try:
                size = (await keeper.wrapped.stat(self._hidden)).size
                now = versionOf(await keeper.lookAt(self._target))
            except FTPError:
                if not self._resumed:
                    await keeper.removeQuietly(self._hidden)
                    return
            else:
                if now != self._targetWas and self._resumed:
                    # A partial upload its user could resume until the
                    # change made it stale: dropped, one event.
                    await keeper.dropChanged(self._hidden, size)
                    return
                if now != self._targetWas or (
                        size == 0 and now is None and not self._resumed):
                    await keeper.removeQuietly(self._hidden)
                    return
                if self._full and not self._resumed:
                    await self._keepNone(size, now)
                    return
        await keeper.keepPartial(self._hidden, self._target,
                                 self._targetWas)

    async def _keepNone(self, size, now):
        """
        A cut upload whose write found the store full keeps none of its
        bytes, as on the disk realm (L{ftpkit.shells.fullkeeping}): kept
        for a resume, they held the store full for their 24 hours (an
        C{fsspec:file://} on a full disk: every later upload, by anyone,
        got C{452}), and a resume could not go on there. One that
        replaced a file keeps an empty partial upload, so that its
        resumer's C{SIZE} answers 0 and a client's retry starts over; the
        bytes are one C{partial-dropped} event.

        @param size: the bytes it received.
        @param now: the target's L{versionOf} now, C{None} where no file
            is there.
        """
        keeper = self._keeper
        await keeper.removeQuietly(self._hidden)
        if size:
            keeper.droppedFull(self._target, size)
        if now is None:
            return
        try:
            empty = await keeper.wrapped.openForWriting(self._hidden)
            await maybeDeferred(empty.close)
        except FTPError:
            return
        await keeper.keepPartial(self._hidden, self._target,
                                 self._targetWas)

    async def _settle(self):
        """
        The upload ended without its file in place, and keeps nothing
        of its own: a resume gives the partial upload it took back (as
        the upload left it), a new upload's file is removed.
        """
        if self._resumed:
            await self._keeper.keepPartial(self._hidden, self._target,
                                           self._targetWas)
        else:
            await self._keeper.removeQuietly(self._hidden)

    def discard(self):
        """
        See L{IDiscardableWriteFile.discard}: the upload was refused for
        its size; it keeps nothing of its own. A resume's partial upload
        is given back at its length before the upload (the wrapped
        shell's C{discard}).
        """
        return ensureDeferred(self._ending(self._discard()))

    async def _discard(self):
        inner = self._inner
        drop = inner.abort
        if (IDiscardableWriteFile.providedBy(inner)
                or IPartialWriteFile.providedBy(inner)):
            drop = inner.discard
        try:
            await maybeDeferred(drop)
        finally:
            await self._settle()
