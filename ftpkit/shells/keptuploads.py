"""
L{KeptUploadsShell}: cut uploads kept for a resume on any shell of the
simple contract (L{ftpkit.interfaces.IFTPShell} and its files at
offsets), built on that contract alone: the memory realm and the fsspec
realms whose stores write in place (the local disk, SFTP, memory) wrap
their shells in it, and so may a plugin's shell.

Without it, a cut C{STOR} kept nothing: C{SIZE} answered the old file's
size, and a client resuming from it (curl's C{-C - -T}, lftp's C{put -c}
and its retries) wrote the new file's rest after the old file's start,
told C{226}. With it, as on the disk realm (L{ftpkit.shells.uploads}):

  - an upload (C{STOR} without C{REST}) is written under a hidden name
    beside its target (L{ftpkit.shells.keptnames.placingName}) and
    renamed over the target once complete (the shell's C{rename}
    replaces a file in one step), so the old file stays until then;
  - cut (C{ABOR}, the client gone, the server stopping), what it
    received is kept, hidden, as the target's I{partial upload}
    (L{ftpkit.shells.keptnames.partialName}), for the user whose upload it
    was, its I{resumer} (L{forResumer}), for
    L{ftpkit.shells.uploadnames.PARTIAL_LIFETIME} seconds; one that
    received nothing and was to make a file, or whose target another
    upload replaced meanwhile, keeps nothing, and one refused for its
    size (C{552}) keeps nothing either;
  - the resumer's C{SIZE} answers the partial upload's size
    (L{resumableSize}), and its C{REST} + C{STOR} or C{APPE} take the
    partial upload (a rename to a hidden name of their own: a second
    resume of it meanwhile gets C{450}), continue it, and rename it over
    the target once complete; cut again, it is kept again. Everyone
    else sees the target alone, and resumes write into it in place, as
    before;
  - while an upload that will replace the target runs (a new upload, a
    resume), an upload into the target in place gets C{450}, in this
    process (L{ftpkit.shells.keptrunning}): a client resuming on a new
    connection while its first upload still ran wrote the old file's
    start and the new file's rest, told C{226};
  - a new upload of the target that completes drops its resumer's partial
    upload (it started over); once any upload changed the target since
    a partial upload was kept, that partial upload no longer matches it,
    and is removed when next looked at, as on the disk realm (one rule,
    L{ftpkit.shells.partials.isOutdated}; what the target was is
    recorded in L{KeptPartials});
  - a resume of a name another session made a directory since gets
    C{550} before it takes the partial upload, which is kept as it was
    (it received the client's bytes, then answered C{550});
  - the hidden names (L{ftpkit.shells.keptnames.HIDDEN_START}) are never
    listed, and a command naming one gets C{553} (C{550} but for a
    command naming a file to make: the base class,
    L{ftpkit.shells.kepthidden.HidingKeptShell}); C{RMD} of a directory holding only
    partial uploads removes them with it;
  - C{DELE} of the target removes the partial uploads of it its user
    sees, and succeeds where they were all there was (L{removeFile});
  - one user keeps at most
    L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}, and a bounded tree
    drops them for room (L{ftpkit.shells.keptregistry.KeptPartials});
  - a partial upload past its lifetime is removed when next looked at,
    or when a cut upload is next kept in its directory, and the files of
    a server that died are dealt with then or when a realm sweeps its
    tree (L{ftpkit.shells.keptsweep}).

An upload that may only create its file (C{STOU}, anonymous users:
L{ftpkit.interfaces.IFTPShellCreate}) is handed on as it is, and keeps
nothing when cut: nobody may resume it.
"""

import functools
import time

from twisted.internet.defer import ensureDeferred, fail, succeed
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.errors import (
    DirectoryNotEmpty,
    FileBusy,
    FTPError,
    IsDirectory,
    NoSuchFile,
    NotDirectory,
    RestPastEnd,
)
from ftpkit.fileinfo import HiddenEntries
from ftpkit.interfaces import (
    IFTPShellResume,
    IFTPShellResumeOwners,
)
from ftpkit.shells.keptfiles import UNKNOWN, KeptWriteFile, versionOf
from ftpkit.shells.kepthidden import HidingKeptShell
from ftpkit.shells.keptnames import (
    PARTIAL_PREFIX,
    isExpired,
    isRefused,
    partialName,
    partialNames,
    placingName,
    resumingName,
)
from ftpkit.shells.keptregistry import (
    EXPIRED,
    FILE_CHANGED,
    NOT_RECORDED,
    KeptPartials,
    logDropped,
)
from ftpkit.shells.keptrunning import RunningUploads
from ftpkit.shells.keptsweep import sweepDirectory, sweepTree
from ftpkit.shells.partials import (
    DIRECTORY_KEPT,
    NOTHING_THERE,
    RESUMED,
    TAKEN,
    isOutdated,
)
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.shells.uploads import PARTIAL_LIFETIME, TAKE_GRACE

_log = Logger()

def _recorded(targetWas):
    """
    @param targetWas: a target's L{versionOf} when its upload began
        (C{None} where no file was there), or L{UNKNOWN}.
    @return: what L{KeptPartials} records of it: L{NOT_RECORDED} for
        L{UNKNOWN}, L{NOTHING_THERE} for no file, else the version.
    """
    if targetWas is UNKNOWN:
        return NOT_RECORDED
    return NOTHING_THERE if targetWas is None else targetWas


_REPLACED = ("File busy: another upload replaces it; try again later")
"""The reply to an upload into a file in place while an upload that will
replace it runs (L{RunningUploads})."""


@implementer(IFTPShellResume, IFTPShellResumeOwners)
class KeptUploadsShell(HidingKeptShell):
    """
    A shell whose cut uploads are kept for a resume (see the module).

    @ivar wrapped: the shell wrapped, on which the hidden files are made.
    """

    copiedForResumer = True
    """Its state is shared by reference or per session (L{forResumer})."""

    def __init__(self, shell, clock=None, running=None, where=(),
                 kept=None):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap; its
            C{rename} must replace a file in one step, and its
            C{openForWriting} resume at an offset.
        @param clock: an L{twisted.internet.interfaces.IReactorTime} the
            partial uploads' ages are measured by; the system clock when
            omitted.
        @param running: the L{RunningUploads} of every shell over the
            same tree (an upload into a file in place gets C{450} while
            an upload that will replace it runs, in this process), or
            C{None} for one of its own (shared with its L{forResumer}
            copies).
        @param where: the path of C{shell}'s root from that tree's root.
        @param kept: the L{KeptPartials} of every shell over the same tree
            (one user holds at most
            L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}; a bounded
            tree drops them for room), or C{None} for one of its own.
        """
        ShellWrapper.__init__(self, shell)
        self._clock = clock
        self._resumer = None
        self._running = RunningUploads() if running is None else running
        self._where = tuple(where)
        self._kept = KeptPartials() if kept is None else kept

    @property
    def wrapped(self):
        """
        @return: the shell wrapped.
        """
        return self._shell

    def forResumer(self, resumer):
        """
        See L{IFTPShellResumeOwners.forResumer}: a copy whose cut uploads
        are kept for C{resumer}, and which sees those partial uploads and
        the ones kept for nobody in particular.
        """
        shell = object.__new__(type(self))
        shell.__dict__ = self.__dict__.copy()
        shell._resumer = resumer
        if IFTPShellResumeOwners.providedBy(self._shell):
            shell._shell = self._shell.forResumer(resumer)
        return shell

    def now(self):
        """
        @return: the time now, seconds since the epoch.
        """
        return self._clock.seconds() if self._clock else time.time()

    # What the hidden files need (for KeptWriteFile too).

    async def lookAt(self, path):
        """
        @param path: a path of the wrapped shell.
        @return: its L{ftpkit.fileinfo.FileInfo}, or C{None} where
            nothing is.
        """
        try:
            return await self._shell.stat(path)
        except NoSuchFile:
            return None

    async def removeQuietly(self, path):
        """
        Remove a hidden file, if it is there; a failure is logged.

        @param path: its path.
        @return: whether this call removed it.
        """
        try:
            await self._shell.removeFile(path)
        except NoSuchFile:
            return False
        except FTPError as e:
            _log.warn("cannot remove the hidden upload file {path}: {why}",
                      path="/".join(path), why=e.message)
            return False
        return True

    async def keepPartial(self, hidden, target, targetWas=UNKNOWN):
        """
        Keep a hidden file as C{target}'s partial upload for this
        shell's resumer (replacing an older one of theirs), then remove
        the expired hidden files of its directory; a failure is logged,
        and the file removed.

        @param hidden: the file's path.
        @param target: the target's path.
        @param targetWas: the target's L{versionOf} when the upload
            began, or L{UNKNOWN}: recorded (in this process's
            L{KeptPartials}), so that once the target changes the partial
            upload is stale (L{_freshPartial}).
        """
        partial = target[:-1] + (partialName(target[-1], self._resumer),)
        try:
            await self._shell.rename(hidden, partial)
        except FTPError as e:
            _log.warn("cannot keep the cut upload of {target}: {why}",
                      target="/".join(target), why=e.message)
            await self.removeQuietly(hidden)
            return
        info = await self.lookAt(partial)
        for remove in self._kept.kept(
                self._where + partial, self._resumer,
                functools.partial(self._removeKept, partial,
                                  versionOf(info)),
                0 if info is None else info.size, _recorded(targetWas)):
            await remove()
        await sweepDirectory(self, target[:-1])

    def _removeKept(self, partial, version):
        """
        Remove a partial upload L{KeptPartials} dropped (past its user's
        L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}, or for room), and
        tell L{KeptPartials.removed} what it freed, unless it is no longer
        the one kept then: another process over
        the same store (a worker of C{--workers} on C{fsspec:file://})
        resumed it and kept it again since, newer, which this process's
        count knew nothing of (it removed it, and its user's C{SIZE}
        answered the file's size).

        @param partial: its path.
        @param version: its L{versionOf} when it was kept.
        @return: a Deferred firing once it is removed, or left.
        """
        return ensureDeferred(self._removeIfKept(partial, version))

    async def _removeIfKept(self, partial, version):
        if await self._removedIfKept(partial, version):
            self._kept.removed(self._where + partial, version[0])
        else:
            self._kept.left(self._where + partial)

    async def _removedIfKept(self, partial, version):
        """
        @return: whether L{_removeKept} removed the partial upload.
        """
        if version is None or versionOf(await self.lookAt(partial)) != version:
            return False
        return await self.removeQuietly(partial)

    async def removeKept(self, path):
        """
        Remove a partial upload, no longer counted in L{KeptPartials}.

        @param path: its path.
        """
        self._kept.forget(self._where + path)
        await self.removeQuietly(path)

    async def dropStale(self, path, size, reason, resumer=None):
        """
        Remove a partial upload found past its lifetime, or outdated, and
        log it (L{logDropped}) once this call removed it: two workers of
        C{--workers} finding it so log one event.

        @param path: its path.
        @param size: its bytes.
        @param reason: L{EXPIRED} or L{FILE_CHANGED}.
        @param resumer: who it was kept for, where this process did not
            keep it (C{None}: nobody in particular, or not known).
        """
        key = self._where + path
        known = self._kept.forget(key)
        if await self.removeQuietly(path):
            logDropped(key, resumer if known is None else known, size, reason)

    async def dropPartial(self, target):
        """
        Remove this shell's resumer's partial upload of C{target}, if
        there is one.

        @param target: the target's path.
        """
        await self.removeKept(
            target[:-1] + (partialName(target[-1], self._resumer),))

    def sweepTree(self, path=()):
        """
        See L{ftpkit.shells.keptsweep.sweepTree}: deal with the hidden
        files a server that died mid-upload left from C{path} down.

        @return: a Deferred firing with how many it removed or gave back.
        """
        return sweepTree(self, path)

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
            version is not the one this process recorded then. One this
            process did not keep (another worker of C{--workers}, a
            server before a restart) is not told by times, as where the
            disk realm records nothing: a store's clock may be as coarse
            as a second (SFTP), in which a cut upload could follow its
            user's complete upload of the file, and dropping it then
            would make the next resume write the new file's rest after
            the old file's start.
        """
        isFile = target is not None and target.isFile
        return isOutdated(self._kept.recorded(self._where + partial),
                          versionOf(target) if isFile else None,
                          None, info.mtime)

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
        found = await self._freshPartial(path, PARTIAL_LIFETIME)
        if found is not None:
            return found[1].size
        held = await self.lookAt(
            path[:-1] + (resumingName(path[-1], self._resumer),))
        return None if held is None else held.size

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{ftpkit.interfaces.IFTPShell.openForWriting}: a
        L{KeptWriteFile} under a hidden name, or, for a resume or an
        append where this shell's resumer has no partial upload, the
        wrapped shell's upload of the target itself (written in place).
        """
        if not path:
            return fail(IsDirectory())
        return self._refused(path) or ensureDeferred(
            self._openForWriting(path, offset, append))

    async def _openForWriting(self, path, offset, append):
        if offset or append:
            await self._refuseDirectory(path)
            claimed = await self._claim(path)
            if claimed is None:
                if self._where + path in self._running:
                    # Written in place from the offset the client
                    # checked against the old file, it would hold the
                    # old file's start and the new file's rest.
                    raise FileBusy(_REPLACED)
                return await self._shell.openForWriting(path, offset, append)
            taken, size = claimed
            # Fresh, so the target is the one it was kept against: a
            # change of it while the resume runs makes the resume keep
            # nothing once cut, as on the disk realm.
            targetWas = versionOf(await self.lookAt(path))
            try:
                if not append and offset > size:
                    raise RestPastEnd()
                inner = await self._shell.openForWriting(taken, offset,
                                                         append)
            except BaseException:
                await self.keepPartial(taken, path, targetWas)
                raise
            return KeptWriteFile(self, inner, path, taken, resumed=True,
                                 targetWas=targetWas,
                                 ended=self._running.hold(self._where + path))
        found = await self.lookAt(path)
        if found is not None and found.isDirectory:
            raise IsDirectory()
        placing = path[:-1] + (placingName(),)
        inner = await self._shell.openForWriting(placing)
        return KeptWriteFile(self, inner, path, placing,
                             targetWas=versionOf(found),
                             ended=self._running.hold(self._where + path))

    async def _refuseDirectory(self, path):
        """
        Refuse a resume, or an append, of a name that is a directory,
        before it takes the partial upload, as the disk realm does
        (L{ftpkit.shells.diskuploads}): taken, it received the client's
        bytes and could not be put in place (C{550} once they were all
        sent).

        @param path: the upload's target.
        @raise IsDirectory: when C{path} is a directory; its message says
            that this shell's resumer's partial upload of it, if any, is
            kept.
        """
        found = await self.lookAt(path)
        if found is None or not found.isDirectory:
            return
        if await self._resumable(path) is None:
            raise IsDirectory()
        raise IsDirectory(DIRECTORY_KEPT)

    def removeFile(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.removeFile}: the partial uploads
        of C{path} this shell's resumer sees (L{resumableSize}: its own,
        and those kept for nobody in particular) go with the file, and
        C{DELE} of a name whose cut upload was all there was removes it.
        Another user's stay, and so does one a running resume holds.
        """
        if not path:
            return fail(IsDirectory())
        return self._refused(path) or ensureDeferred(self._removeFile(path))

    async def _removeFile(self, path):
        fileGone = True
        try:
            await self._shell.removeFile(path)
        except NoSuchFile:
            fileGone = False
        count = size = 0
        for name in partialNames(path[-1], self._resumer):
            partial = path[:-1] + (name,)
            info = await self.lookAt(partial)
            if info is not None and info.isFile:
                await self.removeKept(partial)
                count += 1
                size += info.size
        if not (fileGone or count):
            raise NoSuchFile()
        return HiddenEntries(count, size, fileGone) if count else None

    def removeDirectory(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.removeDirectory}: a directory
        that holds nothing but partial uploads (it lists empty) goes with
        them; one holding a file on its way to its name (a running
        resume's) stays.
        """
        return self._refused(path) or ensureDeferred(
            self._removeDirectory(path))

    async def _removeDirectory(self, path):
        try:
            return await self._shell.removeDirectory(path)
        except DirectoryNotEmpty:
            entries = await self._shell.list(path)
            if not entries or not all(name.startswith(PARTIAL_PREFIX)
                                      for name, _ in entries):
                raise
        for name, _ in entries:
            await self.removeKept(path + (name,))
        await self._shell.removeDirectory(path)
        return len(entries)
