"""
L{FreshPartialsShell}: the partial upload of a target that a resumer of
L{ftpkit.shells.keptuploads.KeptUploadsShell} (its subclass) may
continue: found fresh (not past its lifetime, its target not changed
since it was kept; a stale one is dropped:
L{FreshPartialsShell._freshPartial}), its size answered to C{SIZE}
(L{FreshPartialsShell.resumableSize}), and taken by the resume that
continues it (L{FreshPartialsShell._claim}).
"""

from twisted.internet.defer import ensureDeferred, succeed

from ftpkit.errors import (
    FileBusy,
    FTPError,
    InvalidPath,
    NoSuchFile,
    NotDirectory,
)
from ftpkit.interfaces import IFTPShellResolve
from ftpkit.shells.guardedpaths import Guarded
from ftpkit.shells.keptfiles import UNKNOWN, versionOf
from ftpkit.shells.keptkeeping import KeepingShell
from ftpkit.shells.keptnames import (
    isExpired,
    isRefused,
    partialNames,
    resumingName,
)
from ftpkit.shells.keptregistry import EXPIRED, FILE_CHANGED
from ftpkit.shells.partials import RESUMED, TAKEN, isOutdated
from ftpkit.shells.uploads import PARTIAL_LIFETIME, TAKE_GRACE


class FreshPartialsShell(KeepingShell):
    """
    A L{KeepingShell} that finds, for its resumer, the partial upload of
    a target to continue, and takes it (see the module).
    """

    async def leadsTo(self, path):
        """
        Where an upload of C{path} goes: where the wrapped shell's symbolic
        links lead (L{IFTPShellResolve}), as on the disk realm, whose
        upload through a link inside the root writes the file the link
        leads to (and makes it, for a link leading nowhere there), and
        whose cut uploads and resumes are those of that file. Written
        beside the name and renamed over it, an upload of C{fsspec:file://}
        replaced the link with a file instead.

        @param path: an upload's target, as the client named it.
        @return: a coroutine giving the path it leads to, L{Guarded} as
            C{path} is; C{path} itself where the shell has no links, or
            where it leads nowhere the shell follows (out of the root, in
            a loop), which the shell then refuses.
        @raise InvalidPath: where it leads to one of the server's own
            files (L{isRefused}).
        """
        if not IFTPShellResolve.providedBy(self._shell):
            return path
        resolved = await self._shell.resolve(path)
        if resolved is None or resolved == tuple(path):
            return path
        if isRefused(resolved):
            raise InvalidPath()
        allowed = getattr(path, "allowed", None)
        return resolved if allowed is None else Guarded(resolved, allowed)

    async def _freshPartial(self, path, lifetime):
        """
        @param path: an upload's target.
        @param lifetime: the age past which a partial upload is not
            resumed (it is removed).
        @return: C{(path, FileInfo)} of the partial upload of C{path} this
            shell's resumer sees (its own first), or C{None}. One past
            C{lifetime}, or whose target changed since it was kept
            (L{ftpkit.shells.partials.isOutdated}: another user's upload
            replaced it or wrote it in place), is removed, as on the disk
            realm: it no longer matches the file.
        """
        now = self.now()
        target = UNKNOWN
        for name, whose in zip(partialNames(path[-1], self._resumer),
                               (self._resumer, None)):
            partial = path[:-1] + (name,)
            try:
                info = await self._shell.stat(partial)
            except (NoSuchFile, NotDirectory):
                continue
            if not info.isFile:
                continue
            if target is UNKNOWN:
                target = await self.lookAt(path)
            reason = self._staleReason(partial, info, target, now, lifetime)
            if reason is not None:
                await self.dropStale(partial, info.size, reason, whose)
                continue
            return partial, info
        return None

    def _staleReason(self, partial, info, target, now, lifetime):
        """
        The one place a partial upload is found stale on these realms.

        @param partial: a partial upload's path.
        @param info: its L{ftpkit.fileinfo.FileInfo}.
        @param target: its target's, or C{None} where nothing is.
        @param now: the time now.
        @param lifetime: as for L{_freshPartial}.
        @return: why it is dropped (L{EXPIRED}, L{FILE_CHANGED}), or
            C{None} where it is not stale.
        """
        if isExpired(info.mtime, now, lifetime):
            return EXPIRED
        if self._outdated(partial, info, target):
            return FILE_CHANGED
        return None

    def _outdated(self, partial, info, target):
        """
        @param partial: a partial upload's path.
        @param info: its L{ftpkit.fileinfo.FileInfo}.
        @param target: its target's, or C{None} where nothing is.
        @return: whether the target changed since it was kept: its
            version is not the one this process recorded then, or, for
            one this process did not record (another worker of
            C{--workers} kept it, or the server before a restart), the
            target's time is not before the partial upload's, as the
            store gives both: keeping it set its time past the target's
            (L{ftpkit.shells.keptkeeping.KeepingShell._pastTarget}), so
            that on a store keeping times to the second (SFTP) a cut
            upload that followed its user's complete upload of the file
            within that second is not stale. Before session 33 such a one
            was never found stale: its user's C{SIZE} answered it for
            another user's newer file, and a resume from it replaced it.
        """
        isFile = target is not None and target.isFile
        return isOutdated(self._kept.recorded(self._where + partial),
                          versionOf(target) if isFile else None,
                          target.mtime if isFile else None, info.mtime)

    async def _claim(self, path):
        """
        Take the partial upload of C{path} this shell's resumer sees, to
        continue it: renamed to its resumer's
        L{ftpkit.shells.keptnames.resumingName}, so that another resume
        of it meanwhile finds it busy, and its age counted from now. One
        left under that name by a resume that has not written for
        L{TAKE_GRACE} seconds (a server that died) is taken over.

        @param path: an upload's target.
        @return: C{(its new path, its size)}, or C{None} when there is
            none.
        @raise FileBusy: when another resume holds it, or took it
            meanwhile: writing the target in place instead, from the
            offset checked against it, would mix the old file's start
            and the new file's rest.
        """
        resuming = path[:-1] + (resumingName(path[-1], self._resumer),)
        held = await self.lookAt(resuming)
        if held is not None:
            if not isExpired(held.mtime, self.now(), TAKE_GRACE):
                raise FileBusy(RESUMED)
            await self._touch(resuming)
            return resuming, held.size
        found = await self._freshPartial(path, PARTIAL_LIFETIME + TAKE_GRACE)
        if found is None:
            return None
        self._kept.forget(self._where + found[0])
        try:
            await self._shell.rename(found[0], resuming)
            info = await self._shell.stat(resuming)
        except NoSuchFile:
            raise FileBusy(TAKEN) from None
        await self._touch(resuming)
        return resuming, info.size

    async def _touch(self, path):
        """
        Give a hidden file the time now, where the store lets its times
        be set (one keeping its own ages it from its last write).
        """
        try:
            await self._shell.setModificationTime(path, self.now())
        except FTPError:
            pass

    def resumableSize(self, path):
        """
        See L{IFTPShellResume.resumableSize}: the size of the partial
        upload of C{path} this shell's resumer sees, if there is one, or
        of the one its resume holds now (a resume from it is told
        C{450} until that one ends).
        """
        if not path or isRefused(path):
            return succeed(None)
        return ensureDeferred(self._resumable(path))

    async def _resumable(self, path):
        path = await self.leadsTo(path)
        found = await self._freshPartial(path, PARTIAL_LIFETIME)
        if found is not None:
            return found[1].size
        held = await self.lookAt(
            path[:-1] + (resumingName(path[-1], self._resumer),))
        return None if held is None else held.size
