"""
The uploads a L{ftpkit.shells.memory.MemoryShell} has open
(L{UploadsInProgress}), so that the directory one writes into is not
removed or renamed under it: its bytes are stored by path once it is
complete, and a directory gone from that path meanwhile failed the
upload at its end (C{550}, every byte of it dropped), where the disk
realm refuses the removal (the upload's file is in the directory) and
the fsspec realms both (L{ftpkit.shells.fsspectemporaries}).
"""

from collections import Counter

from ftpkit.errors import DirectoryNotEmpty, FileBusy

BUSY = "An upload into the directory is in progress; try again later"
"""The reply to a rename of a directory an upload writes into."""


class UploadsInProgress:
    """
    The paths the open uploads of one shell will be stored at (a path
    twice for two uploads to one name); everything happens in the
    reactor thread, as in the shell.
    """

    def __init__(self):
        self._paths = Counter()

    def add(self, path):
        """
        @param path: the path, a tuple of segments, an upload opened now
            will be stored at.
        @return: a callable taking no argument that forgets it again,
            to be called once the upload ended (closed or aborted).
        """
        self._paths[path] += 1

        def ended():
            self._paths[path] -= 1
            if not self._paths[path]:
                del self._paths[path]
        return ended

    def _below(self, directory):
        """
        @param directory: a path, a tuple of segments.
        @return: whether an open upload is stored anywhere below it.
        """
        depth = len(directory)
        return any(len(path) > depth and path[:depth] == directory
                   for path in self._paths)

    def checkRemoval(self, directory):
        """
        @param directory: the path of a directory about to be removed.
        @raise DirectoryNotEmpty: when an open upload is stored in it.
        """
        if self._below(directory):
            raise DirectoryNotEmpty()

    def checkRename(self, directory):
        """
        @param directory: the path of a directory about to be renamed.
        @raise FileBusy: when an open upload is stored below it (C{450}:
            the rename can be tried again once the upload ended).
        """
        if self._below(directory):
            raise FileBusy(BUSY)
