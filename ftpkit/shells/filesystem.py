"""
L{FilesystemShell}: a directory of the local disk, jailed to its root.

Every call that may block on the disk runs in a worker thread
(L{ftpkit.shells.diskthreads.DiskThreads}).

The jail (L{ftpkit.shells.diskpaths}): a path is joined under the root's
real path, and the real path (symbolic links resolved) of whatever is
touched must stay inside it. Symbolic links that stay inside the root work
as if they were what they point at; one leading outside makes every
operation through it fail with L{PermissionDenied}, and
L{FilesystemShell.list} shows it as a link (L{ftpkit.fileinfo.LINK})
without following it. Files are opened with C{O_NOFOLLOW} on their
resolved path. A local user (FTP users cannot create links) could swap a
checked directory for a link out of the root between the check and the
use: so (where Linux's C{openat2} is there) files and directories are
opened with no link allowed anywhere on their resolved path
(L{ftpkit.shells.cachedopen.openWithoutLinks}), and entries are made,
removed, renamed and changed through such descriptors
(L{ftpkit.shells.linkfree}): the swap gets a refusal instead of leading
out of the root.

Uploads that replace a file are written to a hidden temporary file in the
same directory and renamed over the old file when complete, so a failed or
aborted upload never destroys it; uploads that create one, to a file with
no name that gets its name when complete; a cut one is kept, hidden, for a
resume (the rule is in L{ftpkit.shells.uploads}; which file an upload
opens, in L{ftpkit.shells.diskuploads}). The shell's methods that open
files (downloads, uploads, checksums) are L{ftpkit.shells.diskopens}'s, as
those that read directories are L{ftpkit.shells.diskdirectories}'s.
"""

import errno
import functools
import os
import stat as statModule

from zope.interface import implementer

from ftpkit.errors import (
    AlreadyExists,
    FTPError,
    InvalidPath,
    MovedIntoItself,
    NoSuchFile,
    PermissionDenied,
    fromOSError,
)
from ftpkit.fileinfo import HiddenEntries
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellCreate,
    IFTPShellHash,
    IFTPShellListSome,
    IFTPShellLocalPath,
    IFTPShellNames,
    IFTPShellResolve,
    IFTPShellResume,
    IFTPShellResumeOwners,
    IFTPShellStreamedListing,
    IFTPShellTimes,
)
from ftpkit.shells import linkfree, uploads
from ftpkit.shells.diskcap import dropPast
from ftpkit.shells.diskdirectories import DirectoryCalls
from ftpkit.shells.diskhash import (
    HASH_CHUNK_SIZE,  # noqa: F401 (importable from here, as before diskhash.py)
    HASH_STEP_SIZE,  # noqa: F401 (likewise)
)
from ftpkit.shells.disklistings import (  # noqa: F401 (importable from here)
    DiskListing,
    OpenDirectory,
    describe,
    readAhead,
    readEntries,
    readNamedStats,
    visibleNames,
)
from ftpkit.shells.diskopens import FileOpens
from ftpkit.shells.diskpaths import jailFor, reachable
from ftpkit.shells.diskplacing import refuseMovingUploads, refuseTakingUpload
from ftpkit.shells.diskroom import makeRoom, outermost
from ftpkit.shells.diskspace import spaceLeft
from ftpkit.shells.diskthreads import laneRunners
from ftpkit.shells.keptregistry import logDroppedFrom
from ftpkit.shells.listings import BATCH_SIZE  # noqa: F401 (importable here)
from ftpkit.shells.shortcalls import shortCallsFor

KEPT_DIRECTORY_BITS = statModule.S_IRUSR | statModule.S_IXUSR
"""Bits C{SITE CHMOD} never takes from a directory: its owner's (the
server's) read and search. Without them the server could not list it, nor
count what it holds: a user who made a directory unreadable and had the
quota measured again (a cut upload) had its files counted as nothing, and
filled the disk past any quota."""


def _chmod(path, mode):
    """
    Set a file's permission bits, keeping L{KEPT_DIRECTORY_BITS} on a
    directory.

    @param path: the path, which C{os.chmod} may follow.
    @param mode: the bits asked for; only C{0o777} are set.
    """
    mode &= 0o777
    if statModule.S_ISDIR(os.stat(path).st_mode):
        mode |= KEPT_DIRECTORY_BITS
    os.chmod(path, mode)


def _translated(function, *args):
    """
    Call a blocking function, turning C{OSError} into L{FTPError}.

    @param function: the function to call (in a worker thread).
    @param args: its arguments.
    @return: its result.
    @raise FTPError: for any C{OSError} or unencodable name.
    """
    try:
        return function(*args)
    except OSError as error:
        raise fromOSError(error) from None
    except UnicodeEncodeError:
        raise InvalidPath() from None


@implementer(IFTPShell, IFTPShellHash, IFTPShellChmod, IFTPShellNames,
             IFTPShellResume, IFTPShellResumeOwners, IFTPShellStreamedListing,
             IFTPShellCreate, IFTPShellListSome, IFTPShellAvailable,
             IFTPShellResolve, IFTPShellTimes, IFTPShellLocalPath)
class FilesystemShell(FileOpens, DirectoryCalls):
    """
    A directory of the local disk, seen as C{/}: its files are opened by
    the methods of L{FileOpens}, its directories read by those of
    L{DirectoryCalls}.

    @ivar _resumer: who this shell acts for (L{forResumer}), or C{None}.
    """

    _resumer = None
    _runOnDescriptors = None
    _partialCap = None
    _onPartialDropped = None

    def __init__(self, root, reactor=None, runner=None, shortCalls=None,
                 partialRoots=(), partialCap=None, onPartialDropped=None):
        """
        @param root: the directory (C{str} or C{bytes}); it is resolved
            (once per process) so that it may itself be reached through
            links.
        @param reactor: the reactor results come back to; the global one
            when omitted.
        @param runner: runs a blocking call off the reactor thread:
            C{runner(function, *args)} returns a Deferred with its result;
            by default the reactor's L{ftpkit.shells.diskthreads.DiskThreads}
            (listings and checksums in lanes of their own).
        @param shortCalls: runs the short blocking calls of an upload (its
            open; a small upload's bytes and commit), and a download's
            open where C{openat2} cannot tell, at once, in the
            reactor thread, when that is safe, or returns C{None} (a
            L{ftpkit.shells.shortcalls.ShortCalls}, whose C{onDescriptors}
            runs those of an upload opened at once); by default the one of
            this root when C{runner} is omitted, else none (C{runner} runs
            them).
        @param partialRoots: directories (C{str} or C{bytes}) whose kept
            partial uploads an upload of this shell may drop, besides
            those under C{root}, when it finds the disk full
            (L{ftpkit.shells.diskroom}): its realm's root, which holds
            the other users' homes.
        @param partialCap: the L{ftpkit.shells.diskcap.PartialCap} of
            every shell of its realm (the most cut uploads kept for one
            user), or C{None} for no cap.
        @param onPartialDropped: called in the reactor thread with the
            path (C{bytes}, real) and the bytes of each partial upload an
            upload of this shell dropped of the server's accord, for room
            on a full disk or past its user's cap (its realm's quotas
            count it gone), or C{None}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self._jail = jailFor(root)
        self._partialRoots = partialRoots
        # Where the class's None stands, no name is stored: each session's
        # copy (forResumer) holds a value for every name its shell stored.
        if partialCap is not None:
            self._partialCap = partialCap
        if onPartialDropped is not None:
            self._onPartialDropped = onPartialDropped
        listingRunner = hashRunner = runner
        if runner is None:
            runner, listingRunner, hashRunner = laneRunners(reactor)
            if shortCalls is None:
                shortCalls = shortCallsFor(self._jail.root)
        self._reactor = reactor
        self._runner = runner
        self._listingRunner = listingRunner
        self._hashRunner = hashRunner
        self._shortCalls = shortCalls
        onDescriptors = getattr(shortCalls, "onDescriptors", None)
        if onDescriptors is not None:
            self._runOnDescriptors = functools.partial(onDescriptors,
                                                       _translated)

    def _run(self, function, *args):
        """
        Run a blocking function off the reactor thread.

        @return: a L{Deferred} with its result, failing with L{FTPError}.
        """
        return self._runner(_translated, function, *args)

    def _runShort(self, function, *args):
        """
        Run a short blocking function at once, in this thread, when that is
        safe (L{ftpkit.shells.shortcalls}).

        @return: a fired L{Deferred} with its result, failing with
            L{FTPError}; or C{None} when it did not run.
        """
        if self._shortCalls is None:
            return None
        return self._shortCalls(_translated, function, *args)

    def _runListing(self, function, *args):
        """
        Like L{_run}, for a directory listing: in the listings' own thread
        (see L{ftpkit.shells.diskthreads.LISTINGS}).
        """
        return self._listingRunner(_translated, function, *args)

    def _runHash(self, function, *args):
        """
        Like L{_run}, for a checksum's steps: in the checksums' own lane
        (see L{ftpkit.shells.diskthreads.HASHES}).
        """
        return self._hashRunner(_translated, function, *args)

    def _resolve(self, path, followLast=True):
        """
        Find the real path of a shell path (in a worker thread): the first
        half of what L{ftpkit.shells.diskpaths.Jail.walk} gives (an
        upload's open takes the second half too, the C{lstat} of the last
        segment).

        @param path: a tuple of segments.
        @param followLast: resolve the last segment too; otherwise only its
            parent is, so that the entry itself (maybe a link) is named.
        @return: the path, C{bytes}.
        @raise PermissionDenied: when it leads outside the root.
        @raise InvalidPath: when a segment names an upload not in place
            (L{uploads.isHidden}): those files are the server's.
        """
        return self._jail.walk(path, followLast)[0]

    def resolve(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResolve.resolve}: an C{lstat} a
        segment, run at once where short calls may be
        (L{ftpkit.shells.shortcalls}), since it comes before each command
        a rule about names (C{--hide-dotfiles}) or per-directory
        permissions let through. It tells where a path leads whatever
        rule a L{ftpkit.shells.guardedpaths.Guarded} one carries for an
        act (whose walk fails where the rule does not hold).
        """
        path = tuple(path)
        return (self._runShort(self._resolveUnder, path)
                or self._run(self._resolveUnder, path))

    def _resolveUnder(self, path):
        """
        The blocking part of L{resolve}.
        """
        try:
            return self._jail.segmentsOf(self._resolve(path))
        except FTPError:
            return None

    def localPath(self, path):
        """
        See L{IFTPShellLocalPath.localPath}: the path joined under the
        root's real path (L{ftpkit.shells.diskpaths.Jail.localPath}, as an
        upload's open names its target), no call to the kernel; C{None}
        for a name of an upload not in place.
        """
        return self._jail.localPath(path)

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._run(lambda: describe(self._statOf(path)))

    def _statOf(self, path):
        """
        The blocking part of L{stat}.

        @param path: a tuple of segments.
        @return: the C{os.stat} result of what it names.
        @raise NoSuchFile: for the root when it is no longer a directory
            (replaced by a file while sessions are logged in): a root is
            one, as when it is gone.
        """
        result = linkfree.statOf(self._resolve(path))
        if not path and not statModule.S_ISDIR(result.st_mode):
            raise NoSuchFile()
        return result

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        if not path:
            return self._run(self._raise, AlreadyExists())
        return self._run(lambda: linkfree.inParent(
            reachable(self._resolve(path, followLast=False)),
            lambda name, fd: os.mkdir(name, dir_fd=fd)))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}; a link to a directory is not one.
        The partial uploads kept in it go with it when they are all it
        holds (L{uploads.removeDirectoryAt}).
        """
        if not path:
            return self._run(self._raise, PermissionDenied())
        return self._run(lambda: linkfree.inParent(
            self._resolve(path, followLast=False),
            uploads.removeDirectoryAt))

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}; a link is removed, not its target. The
        partial upload of the file this shell's resumer sees goes with it
        (L{uploads.dropPartial}): C{DELE} of a name whose cut upload was
        all there was removes that, and a stale one does not answer
        C{SIZE} once its file is gone. A file an upload writes in place
        gets L{ftpkit.errors.FileBusy} meanwhile
        (L{ftpkit.shells.diskplacing.refuseTakingUpload}).
        """
        return self._run(self._removeFile, path)

    def _removeFile(self, path):
        """
        The blocking part of L{removeFile}.

        @return: C{None}, or a L{HiddenEntries} when a partial upload went.
        """
        try:
            target = self._resolve(path)
        except FTPError:
            # A link leading out of the root: no partial upload of its own.
            target = None
        was = None if target is None else uploads.targetTime(target)
        fileGone = True
        try:
            entry = self._resolve(path, followLast=False)
            refuseTakingUpload(entry)
            linkfree.inParent(entry, linkfree.unlinkFile)
        except FileNotFoundError:
            if target is None:
                raise
            fileGone = False
        dropped = (None if target is None
                   else uploads.dropPartial(target, was, self._resumer,
                                            onDropped=self._dropped))
        if dropped is None:
            if not fileGone:
                raise NoSuchFile()
            return None
        return HiddenEntries(1, dropped, fileGone)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: the root cannot be renamed or replaced,
        and nothing replaces an existing directory (L{AlreadyExists}); a
        file an upload writes in place is neither renamed nor replaced
        meanwhile (L{ftpkit.errors.FileBusy}:
        L{ftpkit.shells.diskplacing.refuseMovingUploads},
        L{ftpkit.shells.diskplacing.refuseTakingUpload}).
        """
        if not fromPath or not toPath:
            return self._run(self._raise, PermissionDenied())
        return self._run(self._rename, fromPath, toPath)

    def _rename(self, fromPath, toPath):
        """
        The blocking part of L{rename}.

        @raise MovedIntoItself: when the new name is below the directory,
            as the real paths show (a link moved into the directory it
            names is not): the kernel's C{EINVAL}, or a directory there
            already, which the kernel's own check comes after.
        """
        source = self._resolve(fromPath, followLast=False)
        target = reachable(self._resolve(toPath, followLast=False))
        refuseMovingUploads(source)
        refuseTakingUpload(target)
        try:
            linkfree.inParents(source, target, linkfree.renameEntry)
        except (AlreadyExists, OSError) as error:
            if (getattr(error, "errno", errno.EINVAL) == errno.EINVAL
                    and target.startswith(source + b"/")):
                raise MovedIntoItself() from None
            raise

    def setPermissions(self, path, mode):
        """
        See L{IFTPShellChmod.setPermissions}; only the C{0o777} bits are
        ever set, and a directory keeps L{KEPT_DIRECTORY_BITS}.
        """
        return self._run(lambda: linkfree.onItself(
            self._resolve(path), lambda itself: _chmod(itself, mode)))

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}; the access time is kept.
        """
        return self._run(self._setModificationTime, path, when)

    def _setModificationTime(self, path, when):
        """
        The blocking part of L{setModificationTime}.
        """
        linkfree.onItself(self._resolve(path), lambda itself: os.utime(
            itself, (os.stat(itself).st_atime, when)))

    def setTimes(self, path, accessed, modified):
        """
        See L{IFTPShellTimes.setTimes}.
        """
        return self._run(lambda: linkfree.onItself(
            self._resolve(path),
            lambda itself: os.utime(itself, (accessed, modified))))

    def available(self, path):
        """
        See L{IFTPShellAvailable.available}: the free space of the
        directory's file system (L{ftpkit.shells.diskspace.spaceLeft}).
        """
        return self._run(lambda: spaceLeft(self._resolve(path)))

    def _dropped(self, partial, resumer, size, reason):
        """
        A stale partial upload was removed (in any thread): log it, one
        C{partial-dropped} event
        (L{ftpkit.shells.keptregistry.logDroppedFrom}).

        @param partial: its resolved path, C{bytes}.
        @param resumer: who it was kept for, or C{None}.
        @param size: its bytes.
        @param reason: L{ftpkit.shells.partials.staleReason}'s.
        """
        logDroppedFrom(self._reactor, self._jail.segmentsOf(partial),
                       resumer, size, reason)

    def _makeRoom(self, fd):
        """
        Make room on the full file system of an upload's descriptor
        (blocking: L{ftpkit.shells.diskroom.makeRoom}) under this
        shell's root and its C{partialRoots}.

        @param fd: the upload's descriptor.
        """
        roots = [self._jail.root] + [os.path.realpath(os.fsencode(root))
                                     for root in self._partialRoots]
        makeRoom(outermost(roots), fd, self._droppedForRoom)

    def _kept(self, partial, seen, resumer):
        """
        A cut upload kept bytes (in a disk thread): its user's oldest
        past the cap go (L{ftpkit.shells.diskcap.dropPast}).

        @param partial: its path, C{bytes}.
        @param seen: its C{stat}.
        @param resumer: who it is kept for, or C{None}.
        """
        dropPast(self._partialCap, partial, seen, resumer, self._droppedPast)

    def _droppedPast(self, partial, resumer, size, reason):
        """
        A partial upload was dropped past its user's cap (in a disk
        thread): logged (L{_dropped}) and told (L{_told}).
        """
        self._dropped(partial, resumer, size, reason)
        self._told(partial, size)

    def _told(self, partial, size):
        """
        Tell C{onPartialDropped} of a partial upload the server dropped, in
        the reactor thread.

        @param partial: its path, C{bytes}.
        @param size: its bytes.
        """
        if self._onPartialDropped is not None:
            self._reactor.callFromThread(self._onPartialDropped, partial,
                                         size)

    def _droppedForRoom(self, root, partial, resumer, size, reason):
        """
        A partial upload was dropped for room (in a disk thread): log it,
        one C{partial-dropped} event, its path from the root it was found
        under (L{ftpkit.shells.keptregistry.logDroppedFrom}).

        @param root: that root, C{bytes}.
        @param partial: its path, C{bytes}.
        @param resumer: who it was kept for, or C{None}.
        @param size: its bytes.
        @param reason: L{ftpkit.shells.keptregistry.DISK_FULL}.
        """
        below = os.fsdecode(os.path.relpath(partial, root))
        logDroppedFrom(self._reactor, tuple(below.split(os.sep)), resumer,
                       size, reason)
        self._told(partial, size)

    def forResumer(self, resumer):
        """
        See L{IFTPShellResumeOwners.forResumer}: a copy of this shell (its
        jail, threads and runners shared) recording and seeing the partial
        uploads of C{resumer} (L{ftpkit.shells.partialowners}).
        """
        # Not copy.copy: this runs at every login, and that costs more
        # (docs/benchmark-investigations.rst, "The price of keeping a cut upload for its
        # user").
        shell = object.__new__(type(self))
        shell.__dict__ = self.__dict__.copy()
        shell._resumer = resumer
        return shell

    @staticmethod
    def _raise(error):
        """
        Raise an error from the thread pool, so that every method fails
        the same way (asynchronously).

        @param error: the L{FTPError} to raise.
        """
        raise error
