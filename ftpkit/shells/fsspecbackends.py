"""
What differs between fsspec filesystems, in one place: which FTP
operations each kind of store can honestly carry out, and how.

L{backendFor} picks a L{Backend} from a filesystem's protocol:

  - object stores (S3, GCS, Azure: L{ObjectStoreBackend}, and
    L{S3Backend}, whose listings page through the store): directories
    are key prefixes, made to exist by an empty marker object
    C{"PREFIX/"}; an upload becomes the object only when it is committed
    (an S3 multipart upload completes), and an abort leaves no object;
    nothing can be appended or written at an offset, no modification time
    set, and a directory is not renamed (that would be one copy per
    object, not atomic);
  - the local disk, SFTP and memory (L{LocalBackend}, L{SFTPBackend},
    L{MemoryBackend}): real directories, uploads written to a temporary
    sibling and moved into place, resumed and appended uploads written in
    place, modification times set; on the local disk and SFTP, an upload
    that may only create its file is linked or renamed to its name in a
    way that fails if the name exists (L{Backend.createsAtomically});
  - anything else fsspec knows (L{Backend}): directories through fsspec's
    C{mkdir}/C{rmdir}, uploads through a temporary sibling, nothing
    appended or resumed.

The methods with a filesystem argument block: the shell calls them in a
thread.
"""

import os
import re
from datetime import datetime, timezone
from itertools import islice

from ftpkit.compat.fsspecnames import keyPages, reconnect, stripProtocol
from ftpkit.errors import CommandNotImplemented, PermissionDenied
from ftpkit.shells import uploadlocks
from ftpkit.shells.diskuploads import dropPrivilege
from ftpkit.shells.fsspecheld import heldEntries
from ftpkit.shells.fsspecinplace import inPlaceFilesOf, namesDescriptor
from ftpkit.shells.fsspeclocal import LinkFreeLocalFileSystem
from ftpkit.shells.listings import BATCH_SIZE

OBJECT_STORE_PROTOCOLS = frozenset({
    "s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss",
})
"""fsspec protocols whose directories are key prefixes."""

READ_BLOCK = 4 * 1024 * 1024
"""How much an object store's read-ahead fetches per request."""

WRITE_BLOCK = 5 * 1024 * 1024
"""How much an object store's upload buffers before sending it as one part
(S3 parts are at least 5 MiB); larger uploads get larger parts
(L{ftpkit.shells.fsspecfiles.grownBlockSize})."""

_LABELS = {
    "s3": "S3", "s3a": "S3", "gs": "GCS", "gcs": "GCS", "abfs": "Azure",
    "abfss": "Azure", "az": "Azure", "adl": "Azure", "oss": "OSS",
    "sftp": "SFTP", "ssh": "SFTP", "file": "local", "local": "local",
    "memory": "memory",
}


def protocolsOf(fs):
    """
    @param fs: an fsspec filesystem (or its class).
    @return: its protocol names, as a tuple.
    """
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def asTimestamp(value):
    """
    Turn one of the forms fsspec backends give times in into seconds since
    the epoch.

    @param value: a C{datetime} (naive ones are UTC), a number, an ISO 8601
        string, or C{None}.
    @return: a C{float}, or C{None} when C{value} is none of those.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return asTimestamp(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


_TIME_KEYS = ("mtime", "LastModified", "last_modified", "updated",
              "modified", "created")


_PATTERN = re.compile(r"[*?[]")
"""Characters that make fsspec's C{mv}, C{copy} and C{rm} expand a path
as a glob pattern."""


def isPattern(path):
    """
    @param path: a path on a filesystem.
    @return: whether fsspec's C{mv}, C{copy} and C{rm} would take it for a
        glob pattern rather than a name.
    """
    return _PATTERN.search(path) is not None

class Backend:
    """
    A filesystem fsspec knows nothing particular about here: the
    conservative choices.

    @cvar commitByRename: an upload is written to a temporary sibling and
        moved into place; otherwise it is opened with C{autocommit=False}
        and committed with the file object's C{commit}.
    @cvar writesInPlace: resumed (C{REST}) and appended uploads can be
        written into the existing file.
    @cvar renamesDirectories: a directory can be renamed in one step.
    @cvar serialized: the filesystem object takes one call at a time (its
        client is not safe to use from several threads).
    @cvar sharedFileObjects: every opener of a file gets the same file
        object, position included, so reads go through C{cat_file}.
    @cvar readOptions: keyword arguments of C{fs.open} for a download.
    @cvar writeOptions: keyword arguments of C{fs.open} for an upload.
    @cvar unsupportedFeatures: the C{FEAT} keywords the store cannot
        honour (C{MFMT} where L{setModificationTime} refuses).
    @cvar createsAtomically: L{moveNew} puts an upload in place only if
        its name is free, in one step (the shell then provides
        L{ftpkit.interfaces.IFTPShellCreate}).
    @cvar resolvesLinks: the store has symbolic links, which L{confine}
        resolves to real paths (the shell then provides
        L{ftpkit.interfaces.IFTPShellResolve}).
    @ivar label: the name used in replies, e.g. C{"S3"}.
    """

    commitByRename = True
    writesInPlace = False
    renamesDirectories = True
    serialized = False
    sharedFileObjects = False
    readOptions = {}
    writeOptions = {}
    unsupportedFeatures = frozenset({"MFMT"})
    createsAtomically = False
    resolvesLinks = False

    def __init__(self, label):
        """
        @param label: the name used in replies.
        """
        self.label = label

    def mtimeOf(self, fs, detail):
        """
        @param fs: the filesystem.
        @param detail: an entry of C{fs.ls(detail=True)} or C{fs.info}.
        @return: its modification time, seconds since the epoch; C{None}
            when the backend gives none (a directory that is only a key
            prefix: see L{ftpkit.fileinfo.FileInfo.mtime}).
        """
        for key in _TIME_KEYS:
            stamp = asTimestamp(detail.get(key))
            if stamp is not None:
                return stamp
        return None

    def pages(self, fs, path):
        """
        The entries of a directory, a page at a time (a blocking
        generator): here the store's whole listing, one C{fs.ls}, cut
        into pages of L{BATCH_SIZE}, counted among the entries listings
        hold (L{ftpkit.shells.fsspecheld}) until it is closed.

        @param fs: the filesystem.
        @param path: the directory's path on C{fs}.
        @return: an iterator of lists of C{fs.ls(detail=True)} entries.
        @raise FileNotFoundError: when there is nothing there (from the
            first page).
        @raise ftpkit.shells.fsspecheld.ListingsHeld: when listings in
            progress hold too many entries already (from the first page).
        """
        details = fs.ls(path, detail=True)
        count = len(details)
        heldEntries.take(count)
        try:
            for start in range(0, count, BATCH_SIZE):
                yield details[start:start + BATCH_SIZE]
        finally:
            heldEntries.give(count)

    def confine(self, root, path, followLast=True):
        """
        Check that a path below the root stays below it (blocking). Paths
        are joined from checked segments, never C{".."}, so only a store
        with symbolic links can lead elsewhere; this one has none.

        @param root: the shell's root on the filesystem.
        @param path: the root or a path below it.
        @param followLast: whether the call to be made follows a link
            that the last segment may be (a read) or acts on the entry
            itself (a removal, a rename).
        @return: the path to make the call on: C{path}.
        @raise PermissionDenied: when it leads outside the root.
        """
        return path

    def bind(self, fs, root):
        """
        @param fs: the filesystem.
        @param root: the root of a shell on it.
        @return: the filesystem that shell makes its calls on: C{fs}.
        """
        return fs

    def makeDirectory(self, fs, path):
        """
        Make one directory whose parent exists (blocking).

        @param fs: the filesystem.
        @param path: its path on C{fs}.
        """
        fs.mkdir(path, create_parents=False)

    def removeDirectory(self, fs, path):
        """
        Remove one empty directory (blocking).

        @param fs: the filesystem.
        @param path: its path on C{fs}.
        """
        fs.rmdir(path)

    def recover(self, fs):
        """
        After a call failed unexpectedly, make the filesystem usable again
        if it can tell it is broken (blocking). Nothing to do here.

        @param fs: the filesystem.
        """

    def rename(self, fs, source, target, isDirectory):
        """
        Rename a file, or a directory and everything in it (blocking);
        an existing target file is replaced.

        @param fs: the filesystem.
        @param source: the path on C{fs} to rename.
        @param target: its new path.
        @param isDirectory: whether C{source} is a directory.
        @raise PermissionDenied: for a directory whose name fsspec would
            take for a pattern (L{isPattern}).
        """
        if not isPattern(source):
            fs.mv(source, target, recursive=isDirectory)
        elif isDirectory:
            raise PermissionDenied(
                f"Renaming a directory whose name has *, ? or [ is not "
                f"supported by {self.label} storage")
        else:
            # fs.mv would rename every file the name matches as a pattern.
            fs.cp_file(source, target)
            fs.rm_file(source)

    def moveNew(self, fs, source, target):
        """
        Move a complete upload to a name that must be free, in one step
        (blocking): only where L{createsAtomically}.

        @param fs: the filesystem.
        @param source: the upload's temporary path on C{fs}.
        @param target: its name.
        @raise FileExistsError: when something has that name.
        @raise CommandNotImplemented: unless L{createsAtomically} (the
            shell then offers no creating upload, so nothing asks).
        """
        raise CommandNotImplemented(
            f"{self.label} storage cannot create a file only if it is new")

    def setModificationTime(self, fs, path, when):
        """
        Set a file's modification time (blocking).

        @param fs: the filesystem.
        @param path: its path on C{fs}.
        @param when: seconds since the epoch.
        @raise CommandNotImplemented: unless the backend can.
        """
        raise CommandNotImplemented(
            f"Setting modification times is not supported by {self.label} storage")

    def refuseResume(self, append):
        """
        @param append: whether an append (C{APPE}) was asked for, rather
            than a resumed upload (C{REST} then C{STOR}).
        @raise CommandNotImplemented: unless L{writesInPlace}.
        """
        if self.writesInPlace:
            return
        what = "Appending" if append else "Resuming uploads (REST before STOR)"
        raise CommandNotImplemented(f"{what} is not supported by {self.label} storage")

    def openedInPlace(self, fs, path, handle):
        """
        An upload opened a file to write it in place (blocking): hold it,
        so that a second such upload of it meanwhile is refused; here,
        within this process.

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @param handle: the file object the upload writes.
        @return: a function that lets the file go, to call once C{handle}
            is closed.
        @raise FileBusy: another upload writes it in place.
        """
        return inPlaceFilesOf(fs).hold(path)

    def namesWritten(self, fs, path, handle):
        """
        Tell whether a path still names the file an upload wrote in place,
        once the upload is complete (blocking).

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @param handle: the file object the upload wrote.
        @return: C{True} here: a store that cannot tell is believed.
        """
        return True

    def refuseReplacing(self, fs, path):
        """
        Refuse an upload that would replace a file the store keeps from
        being written (blocking). Nothing is kept so here.

        @param fs: the filesystem.
        @param path: the upload's target on C{fs}.
        @raise PermissionDenied: when that file may not be written.
        """

    def refuseDirectoryRename(self):
        """
        @raise PermissionDenied: unless L{renamesDirectories}.
        """
        if not self.renamesDirectories:
            raise PermissionDenied(
                f"Renaming a directory is not supported by {self.label} storage")


class ObjectStoreBackend(Backend):
    """
    An object store (S3, GCS, Azure): see the module's description.
    """

    commitByRename = False
    renamesDirectories = False
    readOptions = {"block_size": READ_BLOCK, "cache_type": "readahead"}
    writeOptions = {"block_size": WRITE_BLOCK}

    def makeDirectory(self, fs, path):
        """
        Write the empty marker object C{"PATH/"}, which makes the prefix
        list as a directory (the convention of the S3 console).
        """
        fs.touch(path + "/")

    def removeDirectory(self, fs, path):
        """
        Remove the marker object, if there is one.
        """
        try:
            fs.rm_file(path + "/")
        except FileNotFoundError:
            pass

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}: a file is copied object to object, then
        removed (what C{fs.mv} does in a store without renames), by name:
        fsspec's C{mv} skips a source that is also a prefix (the object
        C{x} beside C{x/y}, which another client of the bucket can make)
        as a directory, then removed it all the same, so the file was
        lost and the rename answered C{250}. Directories are
        L{refuseDirectoryRename}'s.
        """
        if isDirectory:
            Backend.rename(self, fs, source, target, isDirectory)
            return
        fs.cp_file(source, target)
        fs.rm_file(source)


class S3Backend(ObjectStoreBackend):
    """
    S3 (s3fs): listings page through the store (C{ListObjectsV2}, 1,000
    keys a request) when the installed s3fs can
    (L{ftpkit.compat.fsspecnames.keyPages}: s3fs's C{_iterdir}, which
    the tests' s3fs 2026.9 has).
    """

    def pages(self, fs, path):
        """
        See L{Backend.pages}: one request to S3 per page, made when the
        page is asked for; a missing prefix gives no page.
        """
        iterdir = keyPages(fs)
        bucket, key, _ = fs.split_path(path)
        if (iterdir is None or getattr(fs, "version_aware", False)
                or not bucket):
            # (Without a bucket, the listing is of the buckets.)
            yield from ObjectStoreBackend.pages(self, fs, path)
            return
        from fsspec.asyn import sync

        entries = iterdir(bucket, prefix=key + "/" if key else "")
        try:
            while True:
                page = sync(fs.loop, _take, entries, BATCH_SIZE)
                if page:
                    yield page
                if len(page) < BATCH_SIZE:
                    return
        finally:
            sync(fs.loop, entries.aclose)


async def _take(entries, count):
    """
    @param entries: an asynchronous iterator.
    @param count: how many of its items to take.
    @return: a list of its next C{count} items, fewer at its end.
    """
    taken = []
    while len(taken) < count:
        try:
            taken.append(await entries.__anext__())
        except StopAsyncIteration:
            break
    return taken


class _PosixBackend(Backend):
    """
    A store with real directories, renames that replace, files that can
    be written at an offset and modification times that can be set.
    """

    writesInPlace = True
    unsupportedFeatures = frozenset()


class LocalBackend(_PosixBackend):
    """
    The local disk (C{file://}), jailed as the disk realm is: paths are
    resolved and checked to stay in the root (L{confine}), and the calls
    are made on them with no link followed
    (L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem}, which L{bind}
    gives), so that a directory swapped for a link out of the root after
    the check leads nowhere.
    """

    createsAtomically = True
    resolvesLinks = True

    def bind(self, fs, root):
        """
        See L{Backend.bind}: a
        L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem} over C{fs}.
        """
        return LinkFreeLocalFileSystem(fs, root)

    def pages(self, fs, path):
        """
        See L{Backend.pages}: the directory read a page at a time
        (L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem.entries}), so
        that a listing holds a page of it, not all of it.
        """
        entries = fs.entries(path)
        try:
            while page := list(islice(entries, BATCH_SIZE)):
                yield page
        finally:
            entries.close()

    def moveNew(self, fs, source, target):
        """
        See L{Backend.moveNew}: C{link(2)}, which fails if the name exists
        (a link or a FIFO included), then the temporary name is removed.
        """
        fs.link(source, target)
        fs.rm_file(source)

    def openedInPlace(self, fs, path, handle):
        """
        See L{Backend.openedInPlace}: the disk realm's C{flock} on the open
        file (L{ftpkit.shells.uploadlocks.holdInPlace}), which every
        process serving the directory sees, the disk realm's too, and goes
        when the file is closed; and its set-user-ID and set-group-ID bits
        cleared, as the disk realm clears them
        (L{ftpkit.shells.diskuploads.dropPrivilege}): a server running as
        root keeps them when it writes, and the owner's program would hold
        the uploader's bytes.
        """
        fd = handle.fileno()
        uploadlocks.holdInPlace(fd)
        dropPrivilege(fd, os.fstat(fd))
        return lambda: None

    def namesWritten(self, fs, path, handle):
        """
        See L{Backend.namesWritten}: C{path}, its last segment not
        followed, names the file open.
        """
        return namesDescriptor(path, handle.fileno())

    def refuseReplacing(self, fs, path):
        """
        See L{Backend.refuseReplacing}: a file this process may not write
        (read-only: C{chmod 444}) is not replaced, as the disk realm does
        not replace it: the move over it needs only the directory's
        permission.
        """
        if not os.path.isfile(path):
            return
        if os.access in os.supports_effective_ids:
            writable = os.access(path, os.W_OK, effective_ids=True)
        else:
            writable = os.access(path, os.W_OK)
        if not writable:
            raise PermissionDenied()

    def confine(self, root, path, followLast=True):
        """
        See L{Backend.confine}: the real path (links resolved) must be the
        root's or below it, as in L{ftpkit.shells.filesystem} (a link out
        of the root, even the last segment, is refused: it can be neither
        followed nor removed through FTP), and so must its directory's.

        @return: the real path; where C{followLast} is false, the real
            path of the directory and the last segment.
        """
        realRoot = os.path.realpath(root or "/")

        def inside(real):
            return real == realRoot or real.startswith(
                realRoot.rstrip("/") + "/")

        real = os.path.realpath(path)
        if not inside(real):
            raise PermissionDenied()
        if followLast:
            return real
        directory, _, name = path.rpartition("/")
        realDirectory = os.path.realpath(directory or "/")
        if not inside(realDirectory):
            raise PermissionDenied()
        return realDirectory.rstrip("/") + "/" + name

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}: one C{rename(2)} (the local filesystem's
        C{mv} takes every path as a name, never as a pattern).
        """
        fs.mv(source, target)

    def setModificationTime(self, fs, path, when):
        """
        See L{Backend.setModificationTime}: C{utime(2)}.
        """
        fs.utime(path, when)


class SFTPBackend(_PosixBackend):
    """
    SFTP through fsspec's paramiko filesystem (C{sftp://}): one SSH
    connection, which takes one call at a time.
    """

    serialized = True
    createsAtomically = True

    def moveNew(self, fs, source, target):
        """
        See L{Backend.moveNew}: the plain SFTP C{RENAME}, which fails when
        the new name exists (draft-ietf-secsh-filexfer-02 section 6.5;
        OpenSSH's server makes it a C{link(2)} and an C{unlink}), unlike
        the C{posix-rename} of L{rename}, which replaces. (A server that
        replaces on C{RENAME} against the draft makes the later of two
        racing uploads win, as without this.)
        """
        try:
            fs.ftp.rename(source, target)
        except OSError as error:
            try:
                fs.ftp.lstat(target)
            except OSError:
                raise error from None
            raise FileExistsError(target) from None

    def recover(self, fs):
        """
        See L{Backend.recover}: when the SSH connection is gone (the server
        restarted, the network dropped it), open a new one, so that the
        next command works; files open on the old one stay broken.
        """
        transport = fs.client.get_transport()
        if transport is None or not transport.is_active():
            reconnect(fs)

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}: one C{posix-rename@openssh.com}, which
        replaces a file (plain SFTP C{RENAME} does not).
        """
        fs.mv(source, target)

    def setModificationTime(self, fs, path, when):
        """
        See L{Backend.setModificationTime}: the SFTP C{SETSTAT} of the
        paramiko client.
        """
        fs.ftp.utime(path, (when, when))


class MemoryBackend(_PosixBackend):
    """
    fsspec's in-memory filesystem (C{memory://}). Its entries give only a
    creation time; the modification time lives on the stored file object,
    which is where L{setModificationTime} puts it too.
    """

    sharedFileObjects = True

    def mtimeOf(self, fs, detail):
        """
        See L{Backend.mtimeOf}: the stored file's C{modified}; C{None}
        for a directory, which C{memory://} keeps no time for.
        """
        if detail.get("type") == "file":
            try:
                return asTimestamp(fs.modified(detail["name"]))
            except FileNotFoundError:
                return None
        return None

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}, keeping the modification times: fsspec
        moves a file in memory by copying it, which gave the copy the time
        of the move (C{RNFR}/C{RNTO}, C{rclone moveto}, lftp's C{mv} lost
        the times C{MFMT} had set, as the disk keeps them).
        """
        source = stripProtocol(fs, source)
        target = stripProtocol(fs, target)
        if isDirectory:
            inside = source + "/"
            times = {path[len(source):]: stored.modified
                     for path, stored in list(fs.store.items())
                     if path.startswith(inside)}
        else:
            stored = fs.store.get(source)
            times = {} if stored is None else {"": stored.modified}
        Backend.rename(self, fs, source, target, isDirectory)
        for suffix, modified in times.items():
            stored = fs.store.get(target + suffix)
            if stored is not None:
                stored.modified = modified

    def namesWritten(self, fs, path, handle):
        """
        See L{Backend.namesWritten}: the file object stored at C{path} is
        the one written (every opener of a file gets the stored object).
        """
        return fs.store.get(stripProtocol(fs, path)) is handle

    def setModificationTime(self, fs, path, when):
        """
        See L{Backend.setModificationTime}.
        """
        stored = fs.store.get(stripProtocol(fs, path))
        if stored is None:
            raise FileNotFoundError(path)
        stored.modified = datetime.fromtimestamp(when, tz=timezone.utc)


def backendFor(fs):
    """
    @param fs: an fsspec filesystem.
    @return: the L{Backend} that describes it.
    """
    protocols = protocolsOf(fs)
    label = next((_LABELS[p] for p in protocols if p in _LABELS), protocols[0])
    if "s3" in protocols or "s3a" in protocols:
        return S3Backend(label)
    if any(p in OBJECT_STORE_PROTOCOLS for p in protocols):
        return ObjectStoreBackend(label)
    if "file" in protocols or "local" in protocols:
        return LocalBackend(label)
    if "sftp" in protocols:
        return SFTPBackend(label)
    if "memory" in protocols:
        return MemoryBackend(label)
    return Backend(label)
