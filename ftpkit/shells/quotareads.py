"""
The files downloads hold, for a quota (L{ftpkit.shells.quotas.QuotaUsage}):
a file replaced, removed or renamed while a download reads it is still
held by the storage until that download ends (an unlinked file open on
disk keeps its blocks; fsspec's C{memory://} hands the download the
stored object, and renames by copying). A quota counting only the files
in place let a client keep any number of old versions (one per stalled
download) past it, so they count (L{OpenReads.held}) until their last
download is closed.

A file renamed counts twice meanwhile: on a disk it is held once, but a
storage that copies holds both, and the quota cannot tell which it is.
"""

import threading

from twisted.internet import defer
from zope.interface import directlyProvides, providedBy

from ftpkit.protocol import paths


class _Read:
    """
    The downloads of one version of a file.

    @ivar size: its bytes, as last known.
    @ivar readers: its downloads still open.
    @ivar left: whether it left its path (its bytes are then in
        L{OpenReads.held}).
    """

    def __init__(self, size):
        self.size = size
        self.readers = 0
        self.left = False


class OpenReads:
    """
    The files of a quota's home that downloads read now, by path (as the
    quota's home names it), and the bytes of those that left their path.

    @ivar held: the bytes of the files that left their path while
        downloads still read them.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._byPath = {}
        self.held = 0

    def opened(self, path, size):
        """
        A download of the file at C{path} started.

        @param path: a tuple of segments.
        @param size: the file's size.
        @return: a callable to call once the download is closed (further
            calls do nothing).
        """
        with self._lock:
            read = self._byPath.get(path)
            if read is None:
                read = self._byPath[path] = _Read(size)
            read.readers += 1
        ended = []

        def closed():
            if not ended:
                ended.append(True)
                self._closed(path, read)

        return closed

    def _closed(self, path, read):
        with self._lock:
            read.readers -= 1
            if read.readers:
                return
            if read.left:
                self.held -= read.size
            elif self._byPath.get(path) is read:
                del self._byPath[path]

    def isRead(self, path):
        """
        @param path: a tuple of segments.
        @return: whether a download reads the file at C{path} now (its
            bytes would stay held were it replaced).
        """
        return path in self._byPath

    def resized(self, path, size):
        """
        The file at C{path} was written in place (appended to, resumed):
        its downloads read the file at its new size.

        @param path: a tuple of segments.
        @param size: its size now.
        """
        with self._lock:
            read = self._byPath.get(path)
            if read is not None:
                read.size = size

    def left(self, path):
        """
        The file at C{path}, or every file below it, left that path
        (replaced, removed, renamed): their downloads now hold them alone.

        @param path: a tuple of segments.
        """
        with self._lock:
            gone = [each for each in self._byPath
                    if paths.isWithin(each, path)]
            for each in gone:
                read = self._byPath.pop(each)
                read.left = True
                self.held += read.size


class ReleasingReadFile:
    """
    An open download handed on as it is (every capability it provides),
    except that closing it also tells L{OpenReads}.
    """

    def __init__(self, readFile, closed):
        """
        @param readFile: the shell's open download.
        @param closed: see L{OpenReads.opened}.
        """
        self._readFile = readFile
        self._closed = closed
        directlyProvides(self, providedBy(readFile))

    def __getattr__(self, name):
        return getattr(self._readFile, name)

    def close(self):
        """
        Close the download, then count it as ended.

        @return: what the download's C{close} returns.
        """
        try:
            result = self._readFile.close()
        except BaseException:
            self._closed()
            raise
        if isinstance(result, defer.Deferred):
            return result.addBoth(self._then)
        self._closed()
        return result

    def _then(self, result):
        self._closed()
        return result
