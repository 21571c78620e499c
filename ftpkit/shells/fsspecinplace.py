"""
What an upload written in place on an fsspec store (C{APPE}, C{REST}
and C{STOR}: L{ftpkit.shells.fsspecinplacewriter.InPlaceWriter}) is held
to, as the disk realm's are (L{ftpkit.shells.uploadlocks.holdInPlace},
L{ftpkit.shells.diskwriter.FileWriter}): one such upload of a file at a
time, a second one meanwhile getting C{450 File busy}; and C{450}, not
C{226}, when once complete its path no longer names the file it wrote
(another session's C{STOR} or C{RNTO} replaced it, C{DELE} or a rename
took it away).

Neither was checked: two sessions appending to one file at once were both
told C{226}, their bytes interleaved on C{file://}, and on C{memory://},
whose openers share one file object, the later writer wrote over the
other's bytes at its own offset; an C{APPE} whose file was replaced or
taken away was told C{226} for bytes no longer at its path.

The backend says how (L{ftpkit.shells.fsspecgeneric.Backend.holdInPlace},
C{openedInPlace} and C{namesWritten}): on C{file://} the disk realm's
C{flock}, which every process serving the directory sees, and a
comparison of inodes; elsewhere the file is held, before it is opened,
within this process (L{InPlaceFiles}; on SFTP under C{--workers}, in
every worker: L{ftpkit.shells.sharedinplace}), since a store
across the network offers no lock and C{memory://} is the process's own;
there the rename of a directory holding such a file is refused while it
is written (L{InPlaceFiles.renaming}), as the C{flock} refuses it on
C{file://} (L{ftpkit.shells.uploadlocks.heldBelow}): the file went with
the directory, and the upload, every byte written into the moved file,
got C{450} "try again" (a client retrying appended twice); and so are
the file's own rename, a rename of another file onto it and its removal
(L{InPlaceFiles.takingFiles}): the upload got C{450}, or, on SFTP, which
could not tell then, C{226} for bytes no name reached. A rename
between the upload's open and its hold moved the file all the same: now
the file is held first (here), or, on C{file://}, refused once held when
its path no longer names it; the rename, or the upload before it starts,
gets C{450}.
"""

import os
import threading
import weakref
from contextlib import contextmanager

from ftpkit.errors import FileBusy
from ftpkit.shells import uploadlocks
from ftpkit.shells.fsspectemporaries import DIRECTORY_BUSY

_FILES = weakref.WeakKeyDictionary()
_FILES_LOCK = threading.Lock()


class InPlaceFiles:
    """
    The paths of one filesystem that this process's uploads write in
    place (the shells of a realm make their calls from several threads).
    """

    def __init__(self):
        self._paths = set()
        self._lock = threading.Lock()

    def hold(self, path):
        """
        @param path: a file's path on the filesystem.
        @return: a function that lets it go, to call once the upload
            closed its file.
        @raise FileBusy: another upload of this process writes it in place.
        """
        with self._lock:
            if path in self._paths:
                raise FileBusy()
            self._paths.add(path)
        return lambda: self._release(path)

    @contextmanager
    def renaming(self, directory):
        """
        Rename a directory within this context; uploads in place wait to
        start (L{hold}) until it ends.

        @param directory: the directory's path on the filesystem.
        @raise FileBusy: when an upload of this process writes a file
            below C{directory} in place.
        """
        prefix = directory.rstrip("/") + "/"
        with self._lock:
            if any(path.startswith(prefix) for path in self._paths):
                raise FileBusy(DIRECTORY_BUSY)
            yield

    @contextmanager
    def takingFiles(self, *paths):
        """
        Rename, replace or remove files within this context; uploads in
        place wait to start (L{hold}) until it ends.

        @param paths: the files' paths on the filesystem.
        @raise FileBusy: when an upload of this process writes one in
            place.
        """
        with self._lock:
            if not self._paths.isdisjoint(paths):
                raise FileBusy(uploadlocks.FILE_UPLOADING)
            yield

    def _release(self, path):
        with self._lock:
            self._paths.discard(path)


def inPlaceFilesOf(fs):
    """
    @param fs: an fsspec filesystem.
    @return: the L{InPlaceFiles} every shell on C{fs} shares.
    """
    with _FILES_LOCK:
        files = _FILES.get(fs)
        if files is None:
            files = _FILES[fs] = InPlaceFiles()
        return files


def namesDescriptor(path, fd):
    """
    @param path: a path on the local disk.
    @param fd: a descriptor of a file open there.
    @return: whether C{path} (its last segment not followed) names that
        file.
    """
    written = os.fstat(fd)
    try:
        found = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return (found.st_dev, found.st_ino) == (written.st_dev, written.st_ino)
