"""
The temporary files that uploads of this process write into fsspec
stores (L{TEMPORARIES}, by
L{ftpkit.shells.fsspecfiles.RenameIntoPlaceWriter}), so that a directory
holding one is not renamed while it is written (L{renameUnwritten}):
the file went with the directory, the upload failed at its end (C{550},
its temporary file no longer where it was made), and the file stayed
where the directory went, for good: hidden from listings, keeping the
directory from being removed, and its bytes counted against the store's
bound (in C{memory://}, held in the server's memory). Uploads in other
processes sharing a store are not seen.
"""

import threading
from contextlib import contextmanager

from ftpkit.errors import FileBusy

_BUSY = "An upload into the directory is in progress; try again later"
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
        @param directory: the path of the directory renamed, or C{None}
            (a file is renamed: nothing to check).
        @raise FileBusy: when an upload writes a temporary file below
            C{directory}.
        """
        if directory is None:
            yield
            return
        prefix = directory.rstrip("/") + "/"
        with self._lock:
            if any(kind is type(fs) and path.startswith(prefix)
                   for kind, path in self._paths):
                raise FileBusy(_BUSY)
            yield


TEMPORARIES = Temporaries()
"""This process's temporary files of uploads to fsspec stores."""


def renameUnwritten(backend, fs, source, target, isDirectory):
    """
    Rename an entry (blocking), unless it is a directory an upload of
    this process writes into (L{Temporaries.renaming}).

    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    @param fs: the filesystem.
    @param source: the entry's path.
    @param target: its new path.
    @param isDirectory: whether it is a directory.
    @raise FileBusy: when it is a directory an upload writes into.
    """
    with TEMPORARIES.renaming(fs, source if isDirectory else None):
        backend.rename(fs, source, target, isDirectory)
