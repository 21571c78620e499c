"""
The temporary files that uploads of this process write into fsspec
stores (L{TEMPORARIES}, by
L{ftpkit.shells.fsspecfiles.RenameIntoPlaceWriter}), so that a directory
holding one is not renamed while it is written (L{renameUnwritten}):
the file went with the directory, the upload failed at its end (C{550},
its temporary file no longer where it was made), and the file stayed
where the directory went, for good: hidden from listings, keeping the
directory from being removed, and its bytes counted against the store's
bound (in C{memory://}, held in the server's memory).

Uploads in other processes sharing a store (the workers of
C{--workers}) are not in L{TEMPORARIES}: on C{file://} each holds a
C{flock} on its temporary file while it writes it (L{holdWritten}), and
the rename of a directory looks for a held one below it
(L{ftpkit.shells.uploadlocks.heldBelow}), as the disk realm's rename
does (L{ftpkit.shells.uploadlocks}); a temporary file nobody
holds (its process died) does not keep the directory from being renamed.
Other stores offer no such lock: on SFTP, the workers hold theirs in
lock files they share before they make them
(L{ftpkit.shells.fsspecgeneric.Backend.reserveTemporary},
L{ftpkit.shells.sharedinplace}), which the rename looks below too.
"""

import fcntl
import threading
from contextlib import contextmanager

from ftpkit.errors import FileBusy
from ftpkit.shells import uploadlocks
from ftpkit.shells.keptnames import isKept

TEMPORARY_PREFIX = ".ftpkit-upload-"
"""What the name of an upload's temporary file starts with."""

DIRECTORY_BUSY = "An upload into the directory is in progress; try again later"
"""The reply to a rename of a directory an upload writes into."""


class Temporaries:
    """
    The temporary files being written, each as C{(the filesystem's
    class, its path)}; thread-safe (uploads open and end in the shells'
    threads).
    """

    def __init__(self):
        self._paths = set()
        self._lock = threading.Lock()

    def add(self, fs, path):
        """
        @param fs: the filesystem an upload writes to.
        @param path: the temporary file it is about to make.
        """
        with self._lock:
            self._paths.add((type(fs), path))

    def discard(self, fs, path):
        """
        @param fs: as for L{add}.
        @param path: a temporary file written no more.
        """
        with self._lock:
            self._paths.discard((type(fs), path))

    @contextmanager
    def renaming(self, fs, directory):
        """
        Rename within this context; uploads wait to start (L{add}) until
        it ends.

        @param fs: the filesystem.
        @param directory: the path of the directory renamed.
        @raise FileBusy: when an upload writes a temporary file below
            C{directory}.
        """
        prefix = directory.rstrip("/") + "/"
        with self._lock:
            if any(kind is type(fs) and path.startswith(prefix)
                   for kind, path in self._paths):
                raise FileBusy(DIRECTORY_BUSY)
            yield


TEMPORARIES = Temporaries()
"""This process's temporary files of uploads to fsspec stores."""


def holdWritten(fd):
    """
    Mark a temporary file on the local disk as written until its open
    file is closed (blocking: a L{ftpkit.shells.uploadlocks.heldBelow}
    looking at it holds it for a moment).

    @param fd: the descriptor of the temporary file, open.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        # No locks on this file system: its uploads are seen in their
        # process alone.
        pass


def renameUnwritten(backend, fs, source, target, isDirectory):
    """
    Rename an entry (blocking), unless it is a directory an upload of
    this process writes into (a temporary file: L{Temporaries.renaming};
    a file written in place:
    L{ftpkit.shells.fsspecinplace.InPlaceFiles.renaming}), or one of
    another process where the backend can tell
    (L{ftpkit.shells.fsspecgeneric.Backend.writtenBelow}); or a file an
    upload writes in place, or would replace one (L{filesUnwritten}).

    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    @param fs: the filesystem.
    @param source: the entry's path.
    @param target: its new path.
    @param isDirectory: whether it is a directory.
    @raise FileBusy: when it is a directory an upload writes into, or a
        file an upload writes in place, or would replace one.
    """
    if not isDirectory:
        # A source of the server's own name is the commit of an upload
        # that replaces its target (keptfiles.KeptWriteFile): it replaces
        # the target whatever writes it in place, as a STOR does on the
        # disk (diskuploads), and that upload gets 450 once complete.
        taken = ((source,) if isKept(source.rpartition("/")[2])
                 else (source, target))
        with filesUnwritten(backend, fs, *taken):
            backend.rename(fs, source, target, isDirectory)
        return
    with TEMPORARIES.renaming(fs, source), \
            backend.inPlaceFiles(fs).renaming(source):
        if backend.writtenBelow(fs, source):
            raise FileBusy(DIRECTORY_BUSY)
        backend.rename(fs, source, target, isDirectory)


def removeUnwritten(backend, fs, path):
    """
    Remove a file (blocking), unless an upload writes it in place
    (L{filesUnwritten}).

    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    @param fs: the filesystem.
    @param path: the file's path.
    @raise FileBusy: when an upload writes it in place.
    """
    with filesUnwritten(backend, fs, path):
        fs.rm_file(path)


@contextmanager
def filesUnwritten(backend, fs, *paths):
    """
    Rename, replace or remove files within this context (blocking),
    unless an upload writes one in place: of this process, or of another
    where they share their holds
    (L{ftpkit.shells.fsspecinplace.InPlaceFiles.takingFiles}; SFTP under
    C{--workers}: L{ftpkit.shells.sharedinplace}), or where the backend
    can tell (L{ftpkit.shells.fsspecgeneric.Backend.writtenInPlace}:
    C{file://}'s C{flock}). The upload, its file renamed, replaced or
    removed, got C{450} "try again" (a client retrying an C{APPE}
    stored its bytes twice, or began the file again), or, on SFTP, which
    could not tell then, C{226} for bytes no name reached. An upload
    that will replace its target once complete does not count: the
    target may go meanwhile.

    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    @param fs: the filesystem.
    @param paths: the files' paths.
    @raise FileBusy: when an upload writes one in place
        (L{uploadlocks.FILE_UPLOADING}).
    """
    with backend.inPlaceFiles(fs).takingFiles(*paths):
        if any(backend.writtenInPlace(fs, path) for path in paths):
            raise FileBusy(uploadlocks.FILE_UPLOADING)
        yield
