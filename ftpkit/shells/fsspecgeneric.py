"""
The backend of an fsspec filesystem that ftpkit knows nothing particular
about: the conservative choices, and the base of the others
(L{ftpkit.shells.fsspecbackends}, which picks one for a filesystem).

A L{Backend} says which FTP operations a store can honestly carry out,
and how: directories through fsspec's C{mkdir}/C{rmdir}, uploads
through a temporary sibling, nothing appended or resumed, no
modification time set.

The methods with a filesystem argument block: the shell calls them in a
thread.
"""

import re
from contextlib import closing
from datetime import datetime, timezone

from ftpkit.errors import CommandNotImplemented, PermissionDenied
from ftpkit.shells import fsspecheld
from ftpkit.shells.fsspecinplace import inPlaceFilesOf
from ftpkit.shells.fsspeclistings import pageEntries
from ftpkit.shells.fsspectemporaries import holdWritten
from ftpkit.shells.listings import BATCH_SIZE
from ftpkit.shells.uploadlocks import held, heldBelow


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


def _letGo():
    """
    Let go of nothing: what L{Backend.holdInPlace} holds where
    L{Backend.locksInPlace}.
    """


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
        object, position included, so reads and uploads written in place
        take it from the store, never moving its position
        (L{ftpkit.shells.fsspecmemory.storedFile}).
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
    @cvar describesEntries: the filesystem describes one entry of a
        directory by its name alone, as its listing would (its C{entry}
        method: L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem.entry});
        the shell then provides L{ftpkit.interfaces.IFTPShellListSome}.
    @cvar callDeadline: the seconds a call may run before it fails with
        L{ftpkit.errors.StorageTimedOut} and its connection is dropped
        (L{abandon}: L{ftpkit.shells.calldeadline}), or C{None} for no
        bound (a store whose stuck call cannot be freed).
    @cvar locksTemporaries: the store is the local disk, where an
        upload's temporary file is held with a C{flock}
        (L{holdTemporary}) that every process sees (L{writtenBelow}).
    @cvar locksInPlace: a file written in place is held once open, where
        every process sees it (L{openedInPlace}), not before it is
        opened, in this process (L{holdInPlace}).
    @cvar reservesTemporaries: an upload's temporary file is held in
        L{inPlaceFiles} from before it is made (L{reserveTemporary}),
        which the workers of C{--workers} share on SFTP: another worker's
        rename of a directory above it got C{250}, and the upload C{550}
        once its client had sent every byte, where this process's rename
        gets C{450} (L{ftpkit.shells.fsspectemporaries.TEMPORARIES}).
    @cvar localFiles: the store is this machine's disk, its paths the
        paths there (the shell then provides
        L{ftpkit.interfaces.IFTPShellLocalPath}).
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
    describesEntries = False
    callDeadline = None
    locksTemporaries = False
    locksInPlace = False
    reservesTemporaries = False
    localFiles = False

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
        # Given back to the counter it was taken from, whatever the
        # process's is by then.
        counter = fsspecheld.heldEntries
        counter.take(count)
        try:
            for start in range(0, count, BATCH_SIZE):
                yield details[start:start + BATCH_SIZE]
        finally:
            counter.give(count)

    def confine(self, root, path, followLast=True, fs=None):
        """
        Check that a path below the root stays below it (blocking). Paths
        are joined from checked segments, never C{".."}, so only a store
        with symbolic links can lead elsewhere; this one has none.

        @param root: the shell's root on the filesystem.
        @param path: the root or a path below it.
        @param followLast: whether the call to be made follows a link
            that the last segment may be (a read) or acts on the entry
            itself (a removal, a rename).
        @param fs: the filesystem the shell makes its calls on (what
            L{bind} gave), for a backend that asks the store.
        @return: the path to make the call on: C{path}.
        @raise PermissionDenied: when it leads outside the root.
        """
        return path

    def realRoot(self, fs, root):
        """
        The root's path as L{confine} checks paths against it (blocking):
        where a command's path was just checked, what tells the path's
        segments under the root.

        @param fs: the filesystem the shell makes its calls on.
        @param root: the shell's root on it.
        @return: here, what L{confine} gives for the root.
        """
        return self.confine(root, root or fs.root_marker, fs=fs)

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

    def holdsEntries(self, fs, path):
        """
        Whether a directory holds an entry a listing would show (blocking),
        for the emptiness check before its removal: its pages
        (L{pages}) read up to the first that has one, not the whole
        listing where the store pages it (S3).

        @param fs: the filesystem.
        @param path: the directory's path on C{fs}.
        @return: C{True} when it holds one.
        @raise FileNotFoundError: when there is nothing there.
        """
        here = path.rstrip("/")
        with closing(self.pages(fs, path)) as pages:
            return any(pageEntries(page, here) for page in pages)

    def recover(self, fs):
        """
        After a call failed unexpectedly, make the filesystem usable again
        if it can tell it is broken (blocking); where the backend has a
        L{callDeadline}, also before each call, so that the one after a
        call that expired (L{abandon}) opens a new connection. Nothing to
        do here.

        @param fs: the filesystem.
        """

    def connected(self, fs):
        """
        Whether the filesystem's connection is known to be up, told
        without blocking (in the reactor thread): where it is not, the
        next call opens it again first (L{recover}).

        @param fs: the filesystem.
        @return: C{True} here: a store without a connection of its own.
        """
        return True

    def progress(self, fs):
        """
        What tells that the store answered since it was last asked (read
        in the reactor thread, without blocking, while a call runs): a
        call that has gone L{callDeadline} without it changing is
        expired. Nothing here, whose calls have no deadline.

        @param fs: the filesystem.
        @return: a value compared with the one before; C{None} here.
        """
        return None

    def abandon(self, fs):
        """
        A call on the filesystem got no answer within L{callDeadline}
        (called in a thread of its own, neither the reactor's nor the
        pool's, the call still running in its own): drop what it waits
        on, so that it raises and its thread is free; it may block.
        Never called here, whose calls have no deadline.

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
        """
        if not isPattern(source):
            fs.mv(source, target, recursive=isDirectory)
        elif isDirectory:
            # A *, ? or [ in its path (its own name or a parent's): fs.mv
            # would move what the path matches as a pattern, nothing.
            self._moveTree(fs, source, target)
        else:
            # fs.mv would rename every file the name matches as a pattern.
            fs.cp_file(source, target)
            fs.rm_file(source)

    def _moveTree(self, fs, source, target):
        """
        Move a directory and everything in it name by name (blocking), as
        C{fs.mv} with C{recursive} does but without taking a path for a
        pattern: make each directory under C{target}, move each file
        into it, then remove the old directories, deepest first.

        @param fs: the filesystem.
        @param source: the directory's path on C{fs}.
        @param target: its new path, free.
        """
        found = fs.find(source, withdirs=True, detail=True)
        self.makeDirectory(fs, target)
        directories = [source]
        for path in sorted(found):
            if path == source:
                continue
            moved = target + path[len(source):]
            if found[path].get("type") == "directory":
                self.makeDirectory(fs, moved)
                directories.append(path)
            else:
                fs.cp_file(path, moved)
                fs.rm_file(path)
        for path in reversed(directories):
            self.removeDirectory(fs, path)

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
        @raise CommandNotImplemented: unless L{writesInPlace}, its text
            saying why: a resume from the size of a file a cut upload did
            not replace would write the new file's rest after the old
            file's start.
        """
        if self.writesInPlace:
            return
        if append:
            raise CommandNotImplemented(
                f"Appending is not supported by {self.label} storage: it"
                " writes whole objects; send the whole file")
        raise CommandNotImplemented(
            "Resuming uploads (REST before STOR) is not supported by"
            f" {self.label} storage: it writes whole objects, and keeps"
            " nothing of a cut upload; send the whole file")

    def holdInPlace(self, fs, path):
        """
        An upload is about to open a file to write it in place (blocking):
        hold it, so that a second such upload of it meanwhile is refused;
        here, within this process, before the file is opened, so that the
        rename of a directory above it either comes first (the open then
        finds what is at the path after it) or is refused (L{inPlaceFiles}):
        held once opened, a rename in between moved the file, and the
        upload got C{450} once its client had sent every byte. Where
        L{locksInPlace}, nothing is held before the open.

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @return: a function that lets the file go, to call once the file
            is closed (or was not opened).
        @raise FileBusy: another upload writes it in place.
        """
        if self.locksInPlace:
            return _letGo
        return self.inPlaceFiles(fs).hold(path)

    def openAppended(self, fs, path):
        """
        Open the file an C{APPE} writes in place (blocking), making it if
        there is none.

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @return: C{(handle, made)}: the file object, and whether this open
            made the file. Here a file missing when looked at is taken as
            made: one another program makes in between is too, and is
            removed by L{removeMade} only if it is empty still and named by
            C{path} (as far as L{namesWritten} tells).
        """
        made = not fs.exists(path)
        return fs.open(path, "ab"), made

    def removeMade(self, fs, path, handle):
        """
        Remove the file an C{APPE}'s open made (L{openAppended}), its
        upload cut before any byte (blocking), while still held, if
        C{path} still names it (L{namesWritten}): as the disk realm does
        (L{ftpkit.shells.appendnew}).

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @param handle: the file object the upload wrote, flushed.
        @return: whether it was removed.
        """
        if not self.namesWritten(fs, path, handle):
            return False
        fs.rm_file(path)
        return True

    def openedInPlace(self, fs, path, handle):
        """
        An upload opened a file to write it in place, held already
        (L{holdInPlace}; blocking): prepare it. Nothing more here.

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @param handle: the file object the upload writes.
        @raise FileBusy: where the backend holds the open file itself,
            another upload writes it in place.
        """

    def inPlaceFiles(self, fs):
        """
        @param fs: the filesystem.
        @return: the L{ftpkit.shells.fsspecinplace.InPlaceFiles} that
            L{holdInPlace} holds files in, which the rename of a
            directory looks at
            (L{ftpkit.shells.fsspectemporaries.renameUnwritten}): those of
            C{fs} itself here.
        """
        return inPlaceFilesOf(fs)

    def holdTemporary(self, fs, handle):
        """
        Mark the temporary file an upload writes, then moves into place,
        as written, for the other processes sharing the store, until it is
        closed (blocking), where L{locksTemporaries}
        (L{ftpkit.shells.fsspectemporaries.holdWritten}); elsewhere the
        store offers no lock, and the uploads of this process alone are
        seen (L{ftpkit.shells.fsspectemporaries.TEMPORARIES}).

        @param fs: the filesystem.
        @param handle: the temporary file, open.
        """
        if self.locksTemporaries:
            holdWritten(handle.fileno())

    def reserveTemporary(self, fs, path):
        """
        An upload is about to make its temporary file (blocking): mark it
        as written, for the other processes sharing the store, before it
        is made, where L{reservesTemporaries} (the store offers no lock,
        L{holdTemporary}); elsewhere nothing is held here, and the uploads
        of this process are seen
        (L{ftpkit.shells.fsspectemporaries.TEMPORARIES}).

        @param fs: the filesystem.
        @param path: the temporary file's path on C{fs}.
        @return: a function that lets it go, to call once the file is
            moved into place or removed (or was not made).
        """
        if self.reservesTemporaries:
            return self.inPlaceFiles(fs).hold(path)
        return _letGo

    def writtenBelow(self, fs, directory):
        """
        Tell whether an upload of another process writes a temporary file
        below a directory (L{holdTemporary}; blocking: where
        L{locksTemporaries}, the tree is walked,
        L{ftpkit.shells.uploadlocks.heldBelow}).

        @param fs: the filesystem.
        @param directory: the directory's path on C{fs}.
        @return: whether one does (C{False} where the store cannot tell).
        """
        return self.locksTemporaries and heldBelow(directory)

    def writtenInPlace(self, fs, path):
        """
        Tell whether an upload, of any process, writes a file in place
        where L{locksInPlace} (its C{flock},
        L{ftpkit.shells.uploadlocks.held}; blocking); elsewhere those of
        L{inPlaceFiles} are held before they are opened, and looked at
        there (L{ftpkit.shells.fsspectemporaries.renameUnwritten}).

        @param fs: the filesystem.
        @param path: the file's path on C{fs}.
        @return: whether one does (C{False} where not L{locksInPlace}).
        """
        return self.locksInPlace and held(path)

    def denseLength(self, handle):
        """
        Tell where the first hole of a file an upload writes in place
        begins (blocking), so that a file cut below the upload's bytes
        by another program meanwhile, left with a hole before them, is
        seen (L{ftpkit.shells.fsspecinplacewriter.InPlaceWriter.commit}).

        @param handle: the file object the upload writes, its bytes
            flushed.
        @return: C{None} here: a store that cannot tell is believed.
        """
        return None

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
