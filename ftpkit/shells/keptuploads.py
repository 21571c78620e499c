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
  - while an upload writes the target in place, a second one (C{APPE},
    C{REST} + C{STOR}) gets C{450} "File busy", as on the disk and
    fsspec realms (on C{--realm memory} it was stored, and the first
    then got C{450}, its bytes dropped);
  - while an upload that will replace the target runs (a new upload, a
    resume), an upload into the target in place gets C{450}, in this
    process (L{ftpkit.shells.keptrunning}): a client resuming on a new
    connection while its first upload still ran wrote the old file's
    start and the new file's rest, told C{226};
  - while an upload writes the target in place, the target's rename,
    the rename of another file onto it and its C{DELE} get C{450}
    (L{rename}, L{removeFile}), as on the disk and fsspec realms; C{RNFR}
    of a target an C{APPE} makes, not there until it ends, gets C{350}
    as on those realms (L{writtenInPlace});
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

The class is built in layers, each a module: the hidden names
(L{ftpkit.shells.kepthidden.HidingKeptShell}), keeping cut uploads and
removing them (L{ftpkit.shells.keptkeeping.KeepingShell}), finding the
one a resumer may continue and taking it
(L{ftpkit.shells.keptfresh.FreshPartialsShell}), and here the uploads
and removals through it.
"""

from twisted.internet.defer import ensureDeferred, fail, succeed
from zope.interface import implementer

from ftpkit.errors import (
    DirectoryNotEmpty,
    FileBusy,
    IsDirectory,
    NoSuchFile,
    RestPastEnd,
)
from ftpkit.fileinfo import HiddenEntries
from ftpkit.interfaces import (
    IFTPShellResume,
    IFTPShellResumeOwners,
    IFTPShellUploadsInPlace,
)
from ftpkit.shells.keptfiles import KeptWriteFile, versionOf
from ftpkit.shells.keptfresh import FreshPartialsShell
from ftpkit.shells.keptkeeping import KeepingShell
from ftpkit.shells.keptnames import PARTIAL_PREFIX, partialNames, placingName
from ftpkit.shells.keptrunning import RunningUploads
from ftpkit.shells.listings import openListing
from ftpkit.shells.partials import DIRECTORY_KEPT
from ftpkit.shells.uploadends import ThenFinished
from ftpkit.shells.uploadlocks import FILE_UPLOADING

_REPLACED = ("File busy: another upload replaces it; try again later")
"""The reply to an upload into a file in place while an upload that will
replace it runs (L{RunningUploads})."""


@implementer(IFTPShellResume, IFTPShellResumeOwners, IFTPShellUploadsInPlace)
class KeptUploadsShell(FreshPartialsShell):
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
        KeepingShell.__init__(self, shell, clock, where, kept)
        self._running = RunningUploads() if running is None else running

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
        path = await self.leadsTo(path)
        if offset or append:
            await self._refuseDirectory(path)
            claimed = await self._claim(path)
            if claimed is None:
                if self._where + path in self._running:
                    # Written in place from the offset the client
                    # checked against the old file, it would hold the
                    # old file's start and the new file's rest.
                    raise FileBusy(_REPLACED)
                if self._running.writtenInPlace(self._where + path):
                    # As on the disk and fsspec realms; the memory
                    # realm stored the second, and the first got 450
                    # with its bytes dropped (FileReplaced).
                    raise FileBusy()
                return await self._writeInPlace(path, offset, append)
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
                                 ended=self._running.hold(
                                     self._where + path,
                                     hidden=self._where + taken))
        found = await self.lookAt(path)
        if found is not None and found.isDirectory:
            raise IsDirectory()
        placing = path[:-1] + (placingName(),)
        inner = await self._shell.openForWriting(placing)
        return KeptWriteFile(self, inner, path, placing,
                             targetWas=versionOf(found),
                             ended=self._running.hold(
                                 self._where + path,
                                 hidden=self._where + placing))

    async def _writeInPlace(self, path, offset, append):
        """
        Open the wrapped shell's upload of a target in place, its target
        counted as written in place (L{rename}) until it ends.

        @param path: the target.
        @param offset: see L{openForWriting}.
        @param append: see L{openForWriting}.
        @return: the upload.
        """
        release = self._running.hold(self._where + path, inPlace=True)
        try:
            opened = await self._shell.openForWriting(path, offset, append)
        except BaseException:
            release()
            raise
        return ThenFinished(opened, lambda committed: release())

    def rename(self, fromPath, toPath):
        """
        See L{ftpkit.interfaces.IFTPShell.rename}: a file an upload
        writes in place (an C{APPE}, a C{REST} + C{STOR} with no partial
        upload to continue) gets C{450} while it runs, as on the disk and
        fsspec realms, in this process, and so does the rename of another
        file onto it (L{_refuseWritten}). On C{--realm memory} the rename
        went ahead: the upload, stored by path, then got C{450} with
        nothing of it stored.
        """
        return (self._refuseWritten(fromPath, toPath)
                or FreshPartialsShell.rename(self, fromPath, toPath))

    def writtenInPlace(self, path):
        """
        See L{IFTPShellUploadsInPlace.writtenInPlace}: an upload of this
        process writes it in place (L{RunningUploads.writtenInPlace}), as
        L{rename} refuses it. On C{--realm memory}, whose file an C{APPE}
        makes is stored only at its end, C{RNFR} of it got C{550} where
        the disk and fsspec realms answer C{350}, then C{450} at C{RNTO}.
        """
        return self._refused(path) or succeed(
            self._running.writtenInPlace(self._where + tuple(path)))

    def _refuseWritten(self, *paths):
        """
        @param paths: the files a command would remove, move or replace.
        @return: a failed Deferred (L{FileBusy}, L{FILE_UPLOADING}) when
            an upload writes one in place, in this process
            (L{RunningUploads.writtenInPlace}); else C{None}. The upload,
            its file taken away, got C{450} once complete. An upload that
            will replace its target does not count: its target may go
            meanwhile.
        """
        if any(self._running.writtenInPlace(self._where + tuple(path))
               for path in paths):
            return fail(FileBusy(FILE_UPLOADING))
        return None

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
        Another user's stay, and so does one a running resume holds. A
        file an upload writes in place gets C{450} while it runs, as its
        rename does (L{_refuseWritten}).
        """
        if not path:
            return fail(IsDirectory())
        return (self._refused(path) or self._refuseWritten(path)
                or ensureDeferred(self._removeFile(path)))

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
            names = await self._partialsAlone(path)
            if not names:
                raise
        for name in names:
            await self.removeKept(path + (name,))
        await self._shell.removeDirectory(path)
        return len(names)

    async def _partialsAlone(self, path):
        """
        @param path: a directory.
        @return: the names of its entries where each is a partial upload;
            else C{None}, its listing read up to the batch that shows one
            that is not (an C{RMD} of a full directory read it whole, each
            time a user asked).
        """
        listing = await openListing(self._shell, path)
        names = []
        try:
            while batch := await listing.nextBatch():
                if not all(name.startswith(PARTIAL_PREFIX)
                           for name, _ in batch):
                    return None
                names.extend(name for name, _ in batch)
        finally:
            listing.close()
        return names
