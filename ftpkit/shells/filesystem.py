"""
L{FilesystemShell}: a directory of the local disk, jailed to its root.

Every call that may block on the disk runs in a worker thread
(L{ftpkit.shells.diskthreads.DiskThreads}).

The jail: a path is joined under the root's real path, and the real path
(symbolic links resolved) of whatever is touched must stay inside it.
Symbolic links that stay inside the root work as if they were what they
point at; one leading outside makes every operation through it fail with
L{PermissionDenied}, and L{FilesystemShell.list} shows it as a link
(L{ftpkit.fileinfo.LINK}) without following it. Files are opened with
C{O_NOFOLLOW} on their resolved path. A local user (FTP users cannot
create links) could swap a checked directory for a link out of the root
between the check and the use: so (where Linux's C{openat2} is there)
files and directories are opened with no link allowed anywhere on their
resolved path (L{ftpkit.shells.cachedopen.openWithoutLinks}), and entries
are made, removed, renamed and changed through such descriptors
(L{ftpkit.shells.linkfree}): the swap gets a refusal instead of leading
out of the root.

Uploads that replace a file are written to a hidden temporary file in the
same directory and renamed over the old file when complete, so a failed or
aborted upload never destroys it; uploads that create one, to a file with
no name that gets its name when complete; a cut one is kept, hidden, for a
resume (the rule is in L{ftpkit.shells.uploads}).
"""

import functools
import os
import stat as statModule
import sys

from twisted.internet.defer import succeed
from zope.interface import implementer

from ftpkit.errors import (
    AlreadyExists,
    FTPError,
    InvalidPath,
    IsDirectory,
    PermissionDenied,
    fromOSError,
)
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellCreate,
    IFTPShellHash,
    IFTPShellListSome,
    IFTPShellNames,
    IFTPShellResolve,
    IFTPShellResume,
    IFTPShellStreamedListing,
)
from ftpkit.shells import linkfree, shortcalls, uploads
from ftpkit.shells.cachedopen import openCached, openWithoutLinks
from ftpkit.shells.digests import newDigest
from ftpkit.shells.diskhash import (
    HASH_CHUNK_SIZE,  # noqa: F401 (importable from here, as before diskhash.py)
    HASH_STEP_SIZE,  # noqa: F401 (likewise)
    checksum,
)
from ftpkit.shells.disklistings import (
    DiskListing,
    OpenDirectory,
    describe,
    readEntries,
    readNamedStats,
    visibleNames,
)
from ftpkit.shells.diskreader import FileReader
from ftpkit.shells.diskspace import spaceLeft
from ftpkit.shells.diskthreads import HASHES, LISTINGS, diskThreadsFor
from ftpkit.shells.diskwriter import FileWriter
from ftpkit.shells.shortcalls import ShortCalls

_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()
"""How C{os.fsencode} encodes a path."""

_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
"""Flags for every open: no final link, no hang on FIFOs, no leaking."""

@functools.lru_cache(maxsize=1024)
def _realRoot(root):
    """
    The real path of a shell's root, looked up once per process (a shell is
    made at every login, in the reactor thread).

    @param root: the root as given, C{str} or C{bytes}.
    @return: its real path, C{bytes}.
    """
    return os.path.realpath(os.fsencode(root))


@functools.lru_cache(maxsize=None)
def _laneRunners(reactor):
    """
    The default runners of a shell, found once per reactor (a shell is
    made at every login; the lanes' threads are made once per reactor and
    kept).

    @param reactor: the reactor results come back to.
    @return: C{(disk, listings, checksums)}: the C{run} of each of its
        L{ftpkit.shells.diskthreads} lanes.
    """
    return (diskThreadsFor(reactor).run, diskThreadsFor(reactor, LISTINGS).run,
            diskThreadsFor(reactor, HASHES).run)


@functools.lru_cache(maxsize=1024)
def _shortCallsFor(realRoot):
    """
    @param realRoot: a shell's real root, C{bytes}.
    @return: the L{ShortCalls} of every default shell of that root in this
        process (a shell is made at every login; a slow call seen by one
        pauses them all).
    """
    return ShortCalls(realRoot)


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


def _openRegular(path, flags, mode=0o644):
    """
    Open a path that must be a regular file.

    @param path: the resolved path, C{bytes}.
    @param flags: C{os.open} flags besides L{_OPEN_FLAGS}.
    @param mode: permission bits when it is created.
    @return: C{(fd, stat_result)}.
    @raise IsDirectory: for a directory.
    @raise PermissionDenied: for anything else that is not a regular file.
    """
    fd = openWithoutLinks(path, flags | _OPEN_FLAGS, mode)
    try:
        result = os.fstat(fd)
        if statModule.S_ISDIR(result.st_mode):
            raise IsDirectory()
        if not statModule.S_ISREG(result.st_mode):
            raise PermissionDenied()
    except BaseException:
        os.close(fd)
        raise
    return fd, result


_PRIVILEGE_BITS = statModule.S_ISUID | statModule.S_ISGID
"""Mode bits that make a program run as its file's owner or group. An
upload never leaves them on the file it writes: replacing a file, the new
one is the server's (root's, when it runs as root) and holds the user's
bytes; written in place, the owner's program holds them."""


def _withoutPrivilege(mode):
    """
    @param mode: a file's permission bits.
    @return: them without L{_PRIVILEGE_BITS}.
    """
    return statModule.S_IMODE(mode) & ~_PRIVILEGE_BITS


def _dropPrivilege(fd, result):
    """
    Clear the set-user-ID and set-group-ID bits of a file an upload writes
    in place, as the kernel does when a writer without C{CAP_FSETID}
    writes (a server running as root has it, so the kernel does not).

    @param fd: the file's descriptor.
    @param result: its C{os.stat_result}.
    """
    if result.st_mode & _PRIVILEGE_BITS:
        try:
            os.fchmod(fd, _withoutPrivilege(result.st_mode))
        except PermissionError:
            # Not the server's file: the kernel clears them at the first
            # write.
            pass


@implementer(IFTPShell, IFTPShellHash, IFTPShellChmod, IFTPShellNames,
             IFTPShellResume, IFTPShellStreamedListing, IFTPShellCreate,
             IFTPShellListSome, IFTPShellAvailable, IFTPShellResolve)
class FilesystemShell:
    """
    A directory of the local disk, seen as C{/}.
    """

    def __init__(self, root, reactor=None, runner=None, shortCalls=None):
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
            open; a small upload's bytes and commit) at once, in the
            reactor thread, when that is safe, or returns C{None} (a
            L{ftpkit.shells.shortcalls.ShortCalls}); by default the one of
            this root when C{runner} is omitted, else none (C{runner} runs
            them).
        """
        if reactor is None:
            from twisted.internet import reactor
        self._root = _realRoot(root)
        listingRunner = hashRunner = runner
        if runner is None:
            runner, listingRunner, hashRunner = _laneRunners(reactor)
            if shortCalls is None:
                shortCalls = _shortCallsFor(self._root)
        self._reactor = reactor
        self._runner = runner
        self._listingRunner = listingRunner
        self._hashRunner = hashRunner
        self._shortCalls = shortCalls

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

    def _inside(self, real):
        """
        @param real: a resolved path, C{bytes}.
        @return: whether it is the root or below it.
        """
        return real == self._root or real.startswith(self._root.rstrip(b"/") + b"/")

    def _resolve(self, path, followLast=True):
        """
        Find the real path of a shell path (in a worker thread).

        The root is already real, so only the segments below it are
        looked at: one C{lstat} each, and a full C{realpath} only where a
        segment is a symbolic link.

        @param path: a tuple of segments.
        @param followLast: resolve the last segment too; otherwise only its
            parent is, so that the entry itself (maybe a link) is named.
        @return: the path, C{bytes}.
        @raise PermissionDenied: when it leads outside the root.
        @raise InvalidPath: when a segment names an upload not in place
            (L{uploads.isHidden}): those files are the server's.
        """
        return self._walk(path, followLast)[0]

    def _walk(self, path, followLast=True):
        """
        L{_resolve}, also giving what the walk learnt of the last segment,
        so that a caller needing the file's C{stat} (an upload's open)
        does not ask the kernel again.

        @param path: a tuple of segments.
        @param followLast: as for L{_resolve}.
        @return: C{(real, found)}: the path, C{bytes}; and the
            C{stat_result} of what it names where the walk read it (the
            last segment's C{lstat}, not a symbolic link), C{False} where
            that C{lstat} found nothing there, else C{None} (not known).
        @raise PermissionDenied: when it leads outside the root.
        @raise InvalidPath: as for L{_resolve}.
        """
        # os.fsencode and os.path.join, without their calls per segment.
        segments = [segment.encode(_FS_ENCODING, _FS_ERRORS)
                    for segment in path]
        if any(map(uploads.isHidden, segments)):
            raise InvalidPath()
        if not segments:
            return self._root, None
        toFollow = segments if followLast else segments[:-1]
        last = len(segments) - 1 if followLast else -1
        current = self._root
        found = None
        for index, segment in enumerate(toFollow):
            if current.endswith(b"/"):
                candidate = current + segment
            else:
                candidate = current + b"/" + segment
            try:
                result = os.lstat(candidate)
            except OSError as e:
                # Missing (or unreadable): nothing below can be a link.
                if index == last and isinstance(e, FileNotFoundError):
                    found = False
                current = b"/".join([candidate, *toFollow[index + 1:]])
                break
            if statModule.S_ISLNK(result.st_mode):
                candidate = os.path.realpath(candidate)
                if not self._inside(candidate):
                    raise PermissionDenied()
            elif index == last:
                found = result
            current = candidate
        if not followLast:
            current = os.path.join(current, segments[-1])
        return current, found

    def resolve(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResolve.resolve}: an C{lstat} a
        segment, run at once where short calls may be
        (L{ftpkit.shells.shortcalls}), since it comes before each command
        a rule about names (C{--hide-dotfiles}) or per-directory
        permissions let through.
        """
        return (self._runShort(self._resolveUnder, path)
                or self._run(self._resolveUnder, path))

    def _resolveUnder(self, path):
        """
        The blocking part of L{resolve}.
        """
        try:
            return self._segmentsOf(self._resolve(path))
        except FTPError:
            return None

    def _segmentsOf(self, real):
        """
        @param real: a resolved path in the root, C{bytes}.
        @return: its segments under the root.
        """
        below = real[len(self._root):].strip(b"/")
        return tuple(segment.decode(_FS_ENCODING, _FS_ERRORS)
                     for segment in below.split(b"/") if segment)

    def linkTargets(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResolve.linkTargets}: one read of
        the directory, and a C{realpath} per link.
        """
        return self._runListing(self._linkTargets, path)

    def _linkTargets(self, path):
        """
        The blocking part of L{linkTargets}.
        """
        with self._openDirectory(path) as directory:
            links = [entry.name for entry in directory if entry.is_symlink()]
        targets = {}
        for name in links:
            target = os.path.realpath(
                os.fsencode(os.path.join(directory.path, name)))
            targets[name] = (self._segmentsOf(target) if self._inside(target)
                             else None)
        return targets

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._run(lambda: describe(
            linkfree.statOf(self._resolve(path))))

    def list(self, path):
        """
        See L{IFTPShell.list}: temporary upload files are left out, and a
        link leading outside the root (or nowhere) is a
        L{ftpkit.fileinfo.LINK} entry described by C{lstat}.
        """
        return self._runListing(self._list, path)

    def _list(self, path):
        """
        The blocking part of L{list}.
        """
        with self._openDirectory(path) as directory:
            entries = readEntries(directory, self._followIn(directory))
        entries.sort(key=lambda pair: pair[0])
        return entries

    def openListing(self, path):
        """
        See L{IFTPShellStreamedListing.openListing}: the entries L{list}
        gives, read and described a batch at a time in the listings'
        thread, in the directory's own order.
        """
        opening = self._runListing(self._openDirectory, path)
        return opening.addCallback(
            lambda directory: DiskListing(directory,
                                          self._followIn(directory),
                                          self._runListing))

    def _openDirectory(self, path):
        """
        Open a directory for reading (blocking).

        @param path: a tuple of segments.
        @return: an L{OpenDirectory}.
        @raise NotDirectory: when it names something else.
        """
        return OpenDirectory(os.fsdecode(self._resolve(path)))

    def _followIn(self, directory):
        """
        @param directory: an L{OpenDirectory}.
        @return: the C{follow} of
            L{ftpkit.shells.disklistings.readStats} for its entries, whose
            paths are their names.
        """
        return lambda name, linkStat: self._follow(
            os.path.join(directory.path, name), linkStat)

    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}: the names L{list} gives, without
        a C{stat} per entry.
        """
        return self._runListing(self._listNames, path)

    def _listNames(self, path):
        """
        The blocking part of L{listNames}.
        """
        with self._openDirectory(path) as directory:
            return visibleNames([entry.name for entry in directory])

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: a C{stat}
        for each of C{names} alone.
        """
        return self._runListing(self._listSome, path, list(names))

    def _listSome(self, path, names):
        """
        The blocking part of L{listSome}.
        """
        with self._openDirectory(path) as directory:
            pairs = readNamedStats(directory, names,
                                   self._followIn(directory))
        return [(name, describe(result)) for name, result in pairs]

    def _follow(self, path, linkStat):
        """
        Describe a symbolic link met in a listing: by its target when it
        stays inside the root (and exists), by itself otherwise.

        @param path: the link's path, C{str}.
        @param linkStat: its C{lstat} result.
        @return: the C{os.stat} result that describes it.
        """
        real = os.path.realpath(os.fsencode(path))
        if self._inside(real):
            try:
                return linkfree.statOf(real)
            except OSError:
                pass
        return linkStat

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        if not path:
            return self._run(self._raise, AlreadyExists())
        return self._run(lambda: linkfree.inParent(
            self._resolve(path, followLast=False),
            lambda name, fd: os.mkdir(name, dir_fd=fd)))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}; a link to a directory is not one.
        """
        if not path:
            return self._run(self._raise, PermissionDenied())
        return self._run(lambda: linkfree.inParent(
            self._resolve(path, followLast=False),
            lambda name, fd: os.rmdir(name, dir_fd=fd)))

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}; a link is removed, not its target.
        """
        return self._run(self._removeFile, path)

    def _removeFile(self, path):
        """
        The blocking part of L{removeFile}.
        """
        linkfree.inParent(self._resolve(path, followLast=False),
                          linkfree.unlinkFile)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: the root cannot be renamed or replaced,
        and nothing replaces an existing directory (L{AlreadyExists}).
        """
        if not fromPath or not toPath:
            return self._run(self._raise, PermissionDenied())
        return self._run(self._rename, fromPath, toPath)

    def _rename(self, fromPath, toPath):
        """
        The blocking part of L{rename}.
        """
        linkfree.inParents(self._resolve(fromPath, followLast=False),
                           self._resolve(toPath, followLast=False),
                           linkfree.renameEntry)

    def setPermissions(self, path, mode):
        """
        See L{IFTPShellChmod.setPermissions}; only the C{0o777} bits are
        ever set.
        """
        return self._run(lambda: linkfree.onItself(
            self._resolve(path), lambda itself: os.chmod(itself, mode & 0o777)))

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

    def available(self, path):
        """
        See L{IFTPShellAvailable.available}: the free space of the
        directory's file system (L{ftpkit.shells.diskspace.spaceLeft}).
        """
        return self._run(lambda: spaceLeft(self._resolve(path)))

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: L{ftpkit.shells.diskhash.checksum}, in
        the checksums' own lane (L{ftpkit.shells.diskthreads.HASHES}), so
        that hashing large files never holds up other file commands.

        @raise ParameterNotImplemented: for an algorithm
            L{ftpkit.shells.digests.newDigest} lacks.
        """
        return checksum(functools.partial(self._hashRunner, _translated),
                        functools.partial(self._openForHash, path, algorithm,
                                          end), start)

    def _openForHash(self, path, algorithm, end):
        """
        The first, blocking, step of L{hash}.

        @return: the digest object, the open file and where to stop.
        """
        digest = newDigest(algorithm)
        fd, result = _openRegular(self._resolve(path), os.O_RDONLY)
        stop = result.st_size if end is None else min(end, result.st_size)
        return digest, fd, stop

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}; only regular files can be read.

        A file whose path is in the kernel's cache and has no link on the
        way is opened at once (L{ftpkit.shells.cachedopen}); any other goes to a
        disk thread.
        """
        reader = self._openCachedForReading(path, offset)
        if reader is not None:
            return succeed(reader)
        return self._run(self._openForReading, path, offset)

    def _openCachedForReading(self, path, offset):
        """
        Open a regular file for reading without waiting on the disk.

        @return: a L{FileReader}, or C{None} when the threaded way must
            decide.
        """
        try:
            # os.fsencode and os.path.join, without their calls per
            # segment (a small download's RETR opens its file here).
            segments = [segment.encode(_FS_ENCODING, _FS_ERRORS)
                        for segment in path]
        except UnicodeEncodeError:
            return None
        if any(map(uploads.isHidden, segments)):
            return None
        target = b"/".join([self._root.rstrip(b"/"), *segments])
        fd = openCached(target, os.O_RDONLY | _OPEN_FLAGS)
        if fd is None:
            return None
        try:
            result = os.fstat(fd)
        except OSError:
            result = None
        if result is None or not statModule.S_ISREG(result.st_mode):
            os.close(fd)
            return None
        return FileReader(self._run, fd, offset, result.st_size)

    def _openForReading(self, path, offset):
        """
        The blocking part of L{openForReading}.
        """
        fd, result = _openRegular(self._resolve(path), os.O_RDONLY)
        return FileReader(self._run, fd, offset, result.st_size)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.

        With C{offset=0, append=False} the upload goes to a temporary file,
        renamed over the target (keeping the old file's permissions but
        for the set-user-ID and set-group-ID bits, L{_PRIVILEGE_BITS}) by
        L{IWriteFile.close}, or, for a target that does not exist, to a
        file with no name that gets the target's name then
        (L{uploads.createAnonymous}); cut short (L{IWriteFile.abort}), it is kept as
        the target's partial upload. With C{offset > 0} (C{REST} then
        C{STOR}) or C{append}, a partial upload of the target is continued
        (from C{offset}, or at its end) and replaces the target when
        complete (see L{ftpkit.shells.uploads}). Without one, the target is
        written in place from C{offset} and truncated after the last byte
        at close, or opened C{O_APPEND}; both create a missing file, and
        the bytes already written stay when the upload is cut, so that a
        client can resume again.
        """
        if not path:
            return self._run(self._raise, IsDirectory())
        opening = self._runShort(self._openForWriting, path, offset, append,
                                 True)
        if opening is None:
            opening = self._run(self._openForWriting, path, offset, append)
        return opening

    def _openForWriting(self, path, offset, append, atOnce=False):
        """
        The blocking part of L{openForWriting}.

        @param atOnce: it runs in the reactor thread
            (L{ShortCalls.__call__}): it declines when it may remove a
            large stale partial upload.
        """
        target, found = self._walk(path)
        if offset or append:
            if atOnce and shortcalls.freesMuch(uploads.partialPath(target)):
                raise shortcalls.Declined()
            writer = self._continuePartial(target, offset, append)
            if writer is not None:
                return writer
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0)
            fd, result = _openRegular(target, flags)
            try:
                _dropPrivilege(fd, result)
            except BaseException:
                os.close(fd)
                raise
            if append:
                return FileWriter(self._run, fd, None, target, None,
                                  start=result.st_size)
            return FileWriter(self._run, fd, None, target, offset,
                              start=offset, runShort=self._runShort)
        if found is None:
            try:
                found = linkfree.statOf(target)
            except FileNotFoundError:
                found = False
        old = found or None
        if old is not None and statModule.S_ISDIR(old.st_mode):
            raise IsDirectory()
        if old is None:
            fd = uploads.createAnonymous(target)
            if fd is not None:
                return FileWriter(self._run, fd, None, target, 0,
                                  runShort=self._runShort, anonymous=True)
        fd, temporary = uploads.createTemporary(target)
        if old is not None:
            try:
                os.fchmod(fd, _withoutPrivilege(old.st_mode))
            except OSError:
                pass
        return FileWriter(self._run, fd, temporary, target, 0,
                          runShort=self._runShort)

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating}: the upload goes to a
        file with no name, or a temporary file, as for L{openForWriting},
        which L{IWriteFile.close} links to the target's name, failing if
        that name exists by then.
        """
        if not path:
            return self._run(self._raise, IsDirectory())
        opening = self._runShort(self._openForCreating, path)
        if opening is None:
            opening = self._run(self._openForCreating, path)
        return opening

    def _openForCreating(self, path):
        """
        The blocking part of L{openForCreating}.
        """
        target = self._resolve(path)
        if os.path.lexists(target):
            raise AlreadyExists()
        fd = uploads.createAnonymous(target)
        if fd is not None:
            return FileWriter(self._run, fd, None, target, 0,
                              runShort=self._runShort, exclusive=True,
                              anonymous=True)
        fd, temporary = uploads.createTemporary(target)
        return FileWriter(self._run, fd, temporary, target, 0,
                          runShort=self._runShort, exclusive=True)

    def _continuePartial(self, target, offset, append):
        """
        Continue the target's partial upload, if it has one (see
        L{ftpkit.shells.uploads}), from C{offset} or at its end.

        @return: a L{FileWriter}, or C{None} when there is none.
        """
        temporary = uploads.claimPartial(target)
        if temporary is None:
            return None
        flags = os.O_WRONLY | (os.O_APPEND if append else 0)
        try:
            fd, result = _openRegular(temporary, flags)
        except BaseException:
            os.unlink(temporary)
            raise
        try:
            _dropPrivilege(fd, result)
        except BaseException:
            os.close(fd)
            raise
        return FileWriter(self._run, fd, temporary, target,
                          None if append else offset, resumed=True,
                          runShort=self._runShort)

    def resumableSize(self, path):
        """
        See L{IFTPShellResume.resumableSize}.
        """
        return self._run(lambda: uploads.resumableSize(self._resolve(path)))

    @staticmethod
    def _raise(error):
        """
        Raise an error from the thread pool, so that every method fails
        the same way (asynchronously).

        @param error: the L{FTPError} to raise.
        """
        raise error
