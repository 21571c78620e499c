"""
L{KeepingShell}: the upkeep of the hidden files of
L{ftpkit.shells.keptuploads.KeptUploadsShell}, its base class: a cut
upload kept as its target's partial upload for the shell's resumer
(L{KeepingShell.keepPartial}), counted in the tree's
L{ftpkit.shells.keptregistry.KeptPartials}, and partial uploads removed:
dropped there (past their user's limit, for room), found stale
(L{KeepingShell.dropStale}: one C{partial-dropped} event each), removed
by their user's commands (L{KeepingShell.removeKept}), or swept
(L{KeepingShell.sweepTree}).
"""

import functools
import time

from twisted.internet.defer import ensureDeferred
from twisted.logger import Logger

from ftpkit.errors import FTPError, NoSuchFile
from ftpkit.shells.keptfiles import UNKNOWN, versionOf
from ftpkit.shells.kepthidden import HidingKeptShell
from ftpkit.shells.keptnames import partialName
from ftpkit.shells.keptregistry import (
    DISK_FULL,
    FILE_CHANGED,
    NOT_RECORDED,
    KeptPartials,
    logDropped,
)
from ftpkit.shells.keptsweep import SweepSchedule, sweepDirectory, sweepTree
from ftpkit.shells.partials import NOTHING_THERE
from ftpkit.shells.shellwrapper import ShellWrapper

_log = Logger(namespace="ftpkit.shells.keptuploads")
"""Its lines keep the namespace they had before this module was split
out of L{ftpkit.shells.keptuploads}."""

_STEPS = (0.001, 1)
"""How far past its target's time L{KeepingShell._pastTarget} sets a
partial upload's, the first the store keeps: a millisecond (the local
disk, memory), else a second (SFTP keeps times to the second); its
lifetime counts from then."""


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


class KeepingShell(HidingKeptShell):
    """
    A shell wrapper keeping cut uploads as hidden files of the shell it
    wraps, and removing them (see the module).

    @ivar wrapped: the shell wrapped, on which the hidden files are made.
    """

    def __init__(self, shell, clock=None, where=(), kept=None):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap; its
            C{rename} must replace a file in one step.
        @param clock: an L{twisted.internet.interfaces.IReactorTime} the
            partial uploads' ages are measured by; the system clock when
            omitted.
        @param where: the path of C{shell}'s root from its tree's root.
        @param kept: the L{KeptPartials} of every shell over the same tree
            (one user holds at most
            L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}; a bounded
            tree drops them for room), or C{None} for one of its own.
        """
        ShellWrapper.__init__(self, shell)
        self._clock = clock
        self._resumer = None
        self._where = tuple(where)
        self._kept = KeptPartials() if kept is None else kept
        # Shared with the copies forResumer makes.
        self._sweeps = SweepSchedule()

    @property
    def wrapped(self):
        """
        @return: the shell wrapped.
        """
        return self._shell

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
        the expired hidden files of its directory (unless it was swept
        less than L{ftpkit.shells.keptsweep.SWEEP_INTERVAL} ago); a
        failure is logged, and the file removed.

        @param hidden: the file's path.
        @param target: the target's path.
        @param targetWas: the target's L{versionOf} when the upload
            began, or L{UNKNOWN}: recorded (in this process's
            L{KeptPartials}), so that once the target changes the partial
            upload is stale
            (L{ftpkit.shells.keptfresh.FreshPartialsShell._freshPartial}).
        """
        partial = target[:-1] + (partialName(target[-1], self._resumer),)
        try:
            await self._shell.rename(hidden, partial)
        except FTPError as e:
            _log.warn("cannot keep the cut upload of {target}: {why}",
                      target="/".join(target), why=e.message)
            await self.removeQuietly(hidden)
            return
        info = await self._pastTarget(partial, target, targetWas)
        for remove in self._kept.kept(
                self._where + partial, self._resumer,
                functools.partial(self._removeKept, partial,
                                  versionOf(info)),
                0 if info is None else info.size, _recorded(targetWas)):
            await remove()
        if self._sweeps.due(target[:-1], self.now()):
            await sweepDirectory(self, target[:-1])

    async def _pastTarget(self, partial, target, targetWas):
        """
        Give a partial upload just kept a time past its target's, as the
        store gives both, where it has none and the target is the one its
        upload began on: a process that did not record the target (another
        worker of C{--workers}, the server after a restart) finds it stale
        once the target changed no sooner than it
        (L{ftpkit.shells.keptfresh.FreshPartialsShell._outdated}). A store
        keeping times to the second (SFTP) gives a cut upload that followed
        its user's complete upload of the file within that second the
        file's time, which would make it look stale there.

        @param partial: its path.
        @param target: the target's path.
        @param targetWas: as for L{keepPartial}.
        @return: its L{ftpkit.fileinfo.FileInfo} then, or C{None} where
            it is gone.
        """
        info = await self.lookAt(partial)
        found = await self.lookAt(target)
        if (info is None or found is None or not found.isFile
                or info.mtime is None or found.mtime is None
                or info.mtime > found.mtime
                or (targetWas is not UNKNOWN
                    and versionOf(found) != targetWas)):
            return info
        for step in _STEPS:
            try:
                await self._shell.setModificationTime(partial,
                                                      found.mtime + step)
            except FTPError:
                return info
            info = await self.lookAt(partial)
            if info is None or info.mtime is None or info.mtime > found.mtime:
                break
        return info

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
        C{--workers} finding it so log one event. L{KeptPartials.removed}
        is told what it freed, for the quotas above this shell that count
        it (before session 51 they kept counting it).

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
            self._kept.removed(key, size)

    def droppedFull(self, target, size):
        """
        Log that a cut upload of C{target} kept none of its C{size}
        bytes, its store full (L{ftpkit.shells.keptfiles.KeptWriteFile}):
        one C{partial-dropped} event, L{DISK_FULL}, as on the disk realm.

        @param target: the target's path.
        @param size: the bytes not kept.
        """
        partial = target[:-1] + (partialName(target[-1], self._resumer),)
        logDropped(self._where + partial, self._resumer, size, DISK_FULL)

    async def dropChanged(self, path, size):
        """
        Remove a partial upload a resume of this shell's resumer took and
        was cut after its target changed (it keeps nothing then), and log
        it (L{dropStale}, L{FILE_CHANGED}): before session 33 its user's
        bytes went without a line.

        @param path: its path (its resuming name).
        @param size: its bytes.
        """
        await self.dropStale(path, size, FILE_CHANGED, self._resumer)

    async def dropPartial(self, target):
        """
        Remove this shell's resumer's partial upload of C{target}, if
        there is one (a complete upload of C{target} started over), and
        tell L{KeptPartials.removed} what it freed: no command above
        this shell removed it, so the quotas that count it (an fsspec
        realm's C{size=}, a users file's, above this shell) learn it
        there alone. Before session 51 they kept counting it: on
        C{fsspec:memory://?size=4M}, a cut upload of 1 MB, completed
        anew and deleted, made the fourth upload of 1 MB after it
        C{552}.

        @param target: the target's path.
        """
        partial = target[:-1] + (partialName(target[-1], self._resumer),)
        info = await self.lookAt(partial)
        self._kept.forget(self._where + partial)
        if (info is not None and info.isFile
                and await self.removeQuietly(partial)):
            self._kept.removed(self._where + partial, info.size)

    def sweepTree(self, path=()):
        """
        See L{ftpkit.shells.keptsweep.sweepTree}: deal with the hidden
        files a server that died mid-upload left from C{path} down.

        @return: a Deferred firing with how many it removed or gave back.
        """
        return sweepTree(self, path)
