"""
The fsspec backends of stores with real directories (what
L{ftpkit.shells.fsspecbackends.backendFor} picks for them): the local
disk (L{LocalBackend}), SFTP (L{SFTPBackend}) and fsspec's memory
(L{MemoryBackend}). Renames replace, uploads are written to a temporary
sibling and moved into place, resumed and appended ones written in place,
and modification times set; on the local disk and SFTP symbolic links
are told from what they lead to and kept to the root (L{confined}).

The methods with a filesystem argument block: the shell calls them in a
thread.
"""

import os
import stat as statModule
from datetime import datetime, timezone
from itertools import islice

from ftpkit.compat.fsspecnames import reconnect, stripProtocol
from ftpkit.errors import PermissionDenied
from ftpkit.shells import uploadlocks
from ftpkit.shells.diskplacing import denseLength
from ftpkit.shells.diskuploads import dropPrivilege
from ftpkit.shells.fsspecgeneric import Backend, asTimestamp
from ftpkit.shells.fsspecinplace import inPlaceFilesOf, namesDescriptor
from ftpkit.shells.fsspeclocal import LinkFreeLocalFileSystem
from ftpkit.shells.fsspecmemory import IndexedMemoryFileSystem, storedFile
from ftpkit.shells.fsspecsftp import LinkAwareSFTPFileSystem
from ftpkit.shells.listings import BATCH_SIZE
from ftpkit.shells.memoryindex import indexStore, walk
from ftpkit.shells.sharedinplace import sftpInPlaceFiles
from ftpkit.shells.uploadremoval import removeSeen

SFTP_DEADLINE = 30.0
"""Seconds an SFTP call may wait for the server's answer (paramiko has no
bound): a server that stopped answering costs a command C{451}.
"""


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
    describesEntries = True
    locksTemporaries = True
    locksInPlace = True
    localFiles = True

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

    def holdsEntries(self, fs, path):
        """
        See L{Backend.holdsEntries}: the directory read up to its first
        entry (L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem.hasEntries});
        the temporary file of an upload in progress counts, as C{rmdir(2)}
        would refuse it.
        """
        return fs.hasEntries(path)

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
        when the file is closed, refusing the upload when C{path} no
        longer names the file once held (a directory above it renamed in
        between); and its set-user-ID and set-group-ID bits cleared, as
        the disk realm clears them (L{ftpkit.shells.diskuploads.dropPrivilege}):
        a server running as root keeps them when it writes, and the owner's
        program would hold the uploader's bytes.
        """
        fd = handle.fileno()
        uploadlocks.holdInPlace(fd, path)
        dropPrivilege(fd, os.fstat(fd))

    def denseLength(self, handle):
        """
        See L{Backend.denseLength}: the disk realm's C{SEEK_HOLE}
        (L{ftpkit.shells.diskplacing.denseLength}).
        """
        return denseLength(handle.fileno())

    def openAppended(self, fs, path):
        """
        See L{Backend.openAppended}: made only by an exclusive open, as
        the disk realm makes it (L{ftpkit.shells.appendnew.openAppended}).
        """
        try:
            return fs.open(path, "xb"), True
        except FileExistsError:
            return fs.open(path, "ab"), False

    def removeMade(self, fs, path, handle):
        """
        See L{Backend.removeMade}: taken away from its name, and removed
        only if it is still the file open
        (L{ftpkit.shells.uploadremoval.removeSeen}).
        """
        return removeSeen(os.fsencode(path), os.fstat(handle.fileno()))

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

    def confine(self, root, path, followLast=True, fs=None):
        """
        See L{Backend.confine}: the real path (links resolved) must be the
        root's or below it, as in L{ftpkit.shells.filesystem}: a link out
        of the root, or in a loop (C{loop -> loop}), is never followed.
        Where C{followLast} is false (the call acts on the entry itself,
        and never follows it), only its directory's real path must be.

        @return: the real path; where C{followLast} is false, the real
            path of the directory and the last segment.
        """
        return confined(os.path.realpath(root or "/"), path, followLast,
                        os.path.realpath, _leadsNowhere)

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
    connection, which takes one call at a time, each within a deadline
    (L{Backend.callDeadline}: L{SFTP_DEADLINE} unless given).
    """

    serialized = True
    createsAtomically = True
    resolvesLinks = True
    describesEntries = True
    reservesTemporaries = True

    def __init__(self, label, callDeadline=None):
        """
        @param label: the name used in replies.
        @param callDeadline: see L{Backend.callDeadline}; L{SFTP_DEADLINE}
            when C{None}.
        """
        Backend.__init__(self, label)
        self.callDeadline = callDeadline or SFTP_DEADLINE

    def bind(self, fs, root):
        """
        See L{Backend.bind}: a
        L{ftpkit.shells.fsspecsftp.LinkAwareSFTPFileSystem} over C{fs},
        which tells a symbolic link from what it leads to.
        """
        return LinkAwareSFTPFileSystem(fs, root)

    def confine(self, root, path, followLast=True, fs=None):
        """
        See L{Backend.confine}: as L{LocalBackend.confine}, the links
        resolved by the server (C{REALPATH}:
        L{ftpkit.shells.fsspecsftp.LinkAwareSFTPFileSystem.realpath}).
        """
        return confined(fs.realRoot(), path, followLast, fs.realpath,
                        fs.leadsNowhere)

    def realRoot(self, fs, root):
        """
        See L{Backend.realRoot}: the real path of the root that L{confine}
        checks paths against, asked of the server once per shell
        (L{ftpkit.shells.fsspecsftp.LinkAwareSFTPFileSystem.realRoot}), not
        its C{REALPATH} again for each path whose segments are asked for
        (an upload's target, a guarded path).
        """
        return fs.realRoot()

    def inPlaceFiles(self, fs):
        """
        See L{Backend.inPlaceFiles}: those of the SFTP filesystem C{fs}
        wraps, shared by the workers of C{--workers} (L{sftpInPlaceFiles}).
        """
        return sftpInPlaceFiles(fs.fs)

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

    def openAppended(self, fs, path):
        """
        See L{Backend.openAppended}: a missing file made only by an
        exclusive open (C{SSH_FXF_CREAT | SSH_FXF_EXCL}, paramiko's mode
        C{"ax"}), as the disk realm makes it: one another program made
        since it was looked at is not taken as made (it was, and removed
        with an upload cut before any byte if still empty and unchanged).
        An exclusive open refused (the file exists now; SFTP version 3
        tells no more than a failure, and a server may not know the flag)
        opens it as L{Backend.openAppended} does.
        """
        if not fs.exists(path):
            try:
                return fs.open(path, "axb"), True
            except OSError:
                pass
        return Backend.openAppended(self, fs, path)

    def progress(self, fs):
        """
        See L{Backend.progress}: L{LinkAwareSFTPFileSystem.progress}.
        """
        return fs.progress()

    def abandon(self, fs):
        """
        See L{Backend.abandon}: L{LinkAwareSFTPFileSystem.abandon}.
        """
        fs.abandon()

    def connected(self, fs):
        """
        See L{Backend.connected}: whether the SSH connection is active
        (paramiko's transport tells it once the server or the network
        ended it).
        """
        client = getattr(fs, "client", None)
        if client is None:
            return True
        transport = client.get_transport()
        return transport is not None and transport.is_active()

    def recover(self, fs):
        """
        See L{Backend.recover}: when the SSH connection is gone (the server
        restarted, the network dropped it), open a new one, so that the
        next command works; files open on the old one stay broken. (A
        filesystem without an SSH client has none to open again.)
        """
        client = getattr(fs, "client", None)
        if client is None:
            return
        transport = client.get_transport()
        if transport is None or not transport.is_active():
            reconnect(fs)

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}: one C{posix-rename@openssh.com}, which
        replaces a file (plain SFTP C{RENAME} does not).
        """
        fs.mv(source, target)

    def namesWritten(self, fs, path, handle):
        """
        See L{Backend.namesWritten}: SFTP tells no inode, so C{path} (its
        last segment not followed: C{LSTAT}) is taken to name the file
        written where it is a regular file of the size and modification
        time of the open file (C{FSTAT} of its handle): a file removed
        meanwhile, by a local user or another server on the store (no
        session of this one may), does not, nor one renamed onto it that
        differs in either (one of the same size and second passes). It
        was believed: the upload was told C{226} for bytes no name
        reached. Two requests more at the end of an upload written in
        place.
        """
        written = handle.stat()
        try:
            found = fs.ftp.lstat(path)
        except OSError:
            return False
        return (statModule.S_ISREG(found.st_mode)
                and (found.st_size, found.st_mtime)
                == (written.st_size, written.st_mtime))

    def setModificationTime(self, fs, path, when):
        """
        See L{Backend.setModificationTime}: paramiko's SFTP C{SETSTAT}.
        """
        fs.ftp.utime(path, (when, when))


class MemoryBackend(_PosixBackend):
    """
    fsspec's in-memory filesystem (C{memory://}). Its entries give only a
    creation time; the modification time lives on the stored file object,
    which is where L{setModificationTime} puts it too. Paths are looked up
    in an index of the store's paths (L{bind}), not by reading every key.
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

    def bind(self, fs, root):
        """
        See L{Backend.bind}: an
        L{ftpkit.shells.fsspecmemory.IndexedMemoryFileSystem} over C{fs},
        which looks a path up, or lists a directory, without reading every
        key of the store.
        """
        return IndexedMemoryFileSystem(fs)

    def inPlaceFiles(self, fs):
        """
        See L{Backend.inPlaceFiles}: those of every shell on the
        C{memory://} filesystem C{fs} wraps.
        """
        return inPlaceFilesOf(fs.fs)

    def rename(self, fs, source, target, isDirectory):
        """
        See L{Backend.rename}: the stored file objects, and the names of
        the directories, moved to their new keys, keeping their times:
        fsspec moves a file in memory by copying it, which gave the copy
        the time of the move (C{RNFR}/C{RNTO}, C{rclone moveto}, lftp's
        C{mv} lost the times C{MFMT} had set, as the disk keeps them), and
        a directory by a copy of each file and a removal, some forty passes
        over every key of the store for one directory of ten files among
        10,000 (C{bench.memoryrenames}). A directory's keys, and the
        directories made below it, are found in the store's index
        (L{ftpkit.shells.memoryindex}), not by a pass over the store or
        over the list of made directories.
        """
        source = stripProtocol(fs, source)
        target = stripProtocol(fs, target)
        index = indexStore(fs)
        store = fs.store
        if not isDirectory:
            if not _moveStored(store, source, target):
                raise FileNotFoundError(source)
            return
        directories = fs.pseudo_dirs
        with index.lock:
            below = walk(index, source)
            for path in below:
                if path in store:
                    _moveStored(store, path, target + path[len(source):])
            for path in [source, *below]:
                if path in directories:
                    directories.replace(path, target + path[len(source):])

    def openAppended(self, fs, path):
        """
        See L{Backend.openAppended}: the stored file object
        (L{ftpkit.shells.fsspecmemory.storedFile}), or one made by an
        exclusive open.
        """
        try:
            return storedFile(fs, path), False
        except FileNotFoundError:
            pass
        try:
            return fs.open(path, "xb"), True
        except FileExistsError:
            return storedFile(fs, path), False

    def removeMade(self, fs, path, handle):
        """
        See L{Backend.removeMade}: the file object stored at C{path} is
        looked at and removed under the store's index lock
        (L{ftpkit.shells.memoryindex.PathIndex.lock}), which every change
        of the store holds: the store of an upload of the same name in
        another thread (the shell's calls run in several) can come before
        or after, never between the look and the removal, which removed
        that upload's file.
        """
        with indexStore(fs).lock:
            return Backend.removeMade(self, fs, path, handle)

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


def confined(realRoot, path, followLast, realpath, leadsNowhere):
    """
    What L{Backend.confine} gives on a store with symbolic links (blocking).

    @param realRoot: the real path of the shell's root.
    @param path: the root or a path below it.
    @param followLast: as L{Backend.confine} takes it.
    @param realpath: gives a path's real path, as C{os.path.realpath}.
    @param leadsNowhere: tells whether a real path is a link still (one
        of a loop).
    @return: the real path; where C{followLast} is false, the real path
        of the directory and the last segment.
    @raise PermissionDenied: when it leads outside the root, or nowhere.
    """

    def inside(real):
        return real == realRoot or real.startswith(realRoot.rstrip("/") + "/")

    if followLast:
        real = realpath(path)
        if not inside(real) or leadsNowhere(real):
            raise PermissionDenied()
        return real
    directory, _, name = path.rpartition("/")
    realDirectory = realpath(directory or "/")
    if not inside(realDirectory):
        raise PermissionDenied()
    return realDirectory.rstrip("/") + "/" + name


def _moveStored(store, path, newPath):
    """
    Move a file of fsspec's C{memory://} store to a new key, replacing
    what has it.

    @param store: the store's C{dict} from key to file object.
    @param path: the file's key.
    @param newPath: its new key.
    @return: whether there was a file at C{path} (gone meanwhile: not).
    """
    stored = store.pop(path, None)
    if stored is None:
        return False
    stored.path = newPath
    store[newPath] = stored
    return True


def _leadsNowhere(real):
    """
    @param real: what C{os.path.realpath} gave for a path.
    @return: whether it is a symbolic link still: C{realpath} gives up on
        a loop of links and returns a link of the loop, which no call
        following it can reach.
    """
    try:
        return statModule.S_ISLNK(os.lstat(real).st_mode)
    except OSError:
        return False
