"""
An example read-only storage backend for ftpkit: the files of a zip archive.

The archive's index is read at the first call; its directories are those
it names and those above its files. A download reads the member from where
C{REST} asked, through the standard library's C{zipfile}. Every change is
refused with L{errors.PermissionDenied} (C{550}). All work on the archive
runs in one thread of a L{BlockingPool}: the reactor never waits for the
disk.
"""

import functools
import time
import zipfile

from twisted.internet import defer
from zope.interface import implementer

from ftpkit import errors
from ftpkit.blocking import BlockingPool
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.interfaces import IFTPShell, IRandomReadFile


def _entries(archive):
    """
    @return: a C{dict} from each path in C{archive} (a tuple of segments,
        the root C{()} too) to its C{ZipInfo}, C{None} for a directory. A
        name with a C{.} or C{..} segment is left out; where a name is
        both a file and a directory, the directory wins.
    """
    entries = {(): None}
    for member in archive.infolist():
        segments = tuple(s for s in member.filename.split("/") if s)
        if not segments or {".", ".."} & set(segments):
            continue
        for depth in range(1, len(segments)):
            entries[segments[:depth]] = None
        if member.is_dir():
            entries[segments] = None
        else:
            entries.setdefault(segments, member)
    return entries


def _info(member):
    if member is None:
        return FileInfo(DIRECTORY, size=0, mtime=None)
    return FileInfo(FILE, size=member.file_size,
                    mtime=time.mktime(member.date_time + (0, 0, -1)))


def _inPool(method):
    """Make a blocking method run in the shell's thread, returning a L{Deferred}."""
    @functools.wraps(method)
    def inPool(self, *args):
        return self.pool.run(method, self, *args)
    return inPool


def _refused(self, *args):
    """Any change: L{errors.PermissionDenied}, as a failed L{Deferred}."""
    return defer.fail(errors.PermissionDenied())


@implementer(IFTPShell)
class ZipShell:
    """
    A read-only L{IFTPShell} serving the files of a zip archive.
    """

    def __init__(self, filename):
        """
        @param filename: the zip file, opened at the first call, in the
            pool's thread (so after C{twistd} forked and switched user).
        """
        self.filename = filename
        self.pool = BlockingPool("ftpkit-zip", size=1)
        self._archive = self._entries = None

    def _find(self, path, need=None):
        if self._archive is None:
            self._archive = zipfile.ZipFile(self.filename)
            self._entries = _entries(self._archive)
        if path not in self._entries:
            raise errors.NoSuchFile()
        member = self._entries[path]
        if need == "dir" and member is not None:
            raise errors.NotDirectory()
        if need == "file" and member is None:
            raise errors.IsDirectory()
        return member

    @_inPool
    def stat(self, path):
        return _info(self._find(path))

    @_inPool
    def list(self, path):
        self._find(path, "dir")
        return sorted((entry[-1], _info(member))
                      for entry, member in self._entries.items()
                      if entry and entry[:-1] == path)

    @_inPool
    def openForReading(self, path, offset=0):
        member = self._find(path, "file")
        return ZipReadFile(self.pool, self._archive.open(member), offset,
                           max(0, member.file_size - offset))

    makeDirectory = removeDirectory = removeFile = rename = _refused
    setModificationTime = openForWriting = _refused


@implementer(IRandomReadFile)
class ZipReadFile:
    """
    A download (an L{IRandomReadFile}) of one member of the archive.
    """

    def __init__(self, pool, member, offset, size):
        self._pool, self._member, self._offset = pool, member, offset
        self.size = size

    def _readAt(self, offset, length):
        # Reading on from where the last read ended is what the server
        # does; zipfile seeks back by decompressing from the start.
        self._member.seek(self._offset + offset)
        return self._member.read(length)

    def readAt(self, offset, length):
        return self._pool.run(self._readAt, offset, length)

    def close(self):
        return self._pool.run(self._member.close)
