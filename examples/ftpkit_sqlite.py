"""
An example storage backend for ftpkit: a file tree in one SQLite database.

Each file and directory is a row of C{files}, keyed by its path (C{"a/b"};
the root is C{""}); a directory's C{data} is C{NULL}. An upload collects
its chunks in a temporary table and its C{close} writes the file in one
statement, so readers see the old file until then (and until then the
directory it goes to is neither removed nor renamed, by this process: the
example is for one process, not C{--workers}). All database work runs in
one thread of a L{BlockingPool}: the reactor never waits for the disk.
"""

import collections
import functools
import itertools
import sqlite3
import time

from zope.interface import implementer

from ftpkit import errors
from ftpkit.blocking import BlockingPool
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.interfaces import IFTPShell, IRandomReadFile, IRandomWriteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, parent TEXT, data BLOB,
                                  mtime REAL);
CREATE INDEX IF NOT EXISTS byParent ON files (parent);
INSERT OR IGNORE INTO files VALUES ('', NULL, NULL, NULL);
CREATE TEMP TABLE uploads (upload INTEGER, offset INTEGER, data BLOB);
"""

_SELECT = "SELECT path, length(data), mtime, rowid FROM files WHERE "


def _key(path):
    key = "/".join(path)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 come as lone surrogates: no SQLite text.
        raise errors.InvalidPath("File name not UTF-8") from None
    return key


def _info(row):
    path, size, mtime, rowid = row
    kind = DIRECTORY if size is None else FILE
    return FileInfo(kind=kind, size=size or 0, mtime=mtime, unique=str(rowid))


def _inPool(method):
    """Make a blocking method run in the shell's thread, returning a L{Deferred}."""
    @functools.wraps(method)
    def inPool(self, *args):
        return self.pool.run(method, self, *args)
    return inPool


@implementer(IFTPShell)
class SQLiteShell:
    """
    An L{IFTPShell} over an SQLite database file (made when missing). Each
    method of L{IFTPShell} runs in the pool's thread and returns a L{Deferred}.
    """

    def __init__(self, filename):
        """
        @param filename: the database file, opened at the first call, in the
            pool's thread (so after C{twistd} forked and switched user).
        """
        self.filename = filename
        self.pool = BlockingPool("ftpkit-sqlite", size=1)
        self._db = None
        self._uploads = itertools.count()
        # The paths of the open uploads: their directories must stay.
        self._writing = collections.Counter()

    def _sql(self, query, *args):
        if self._db is None:
            self._db = sqlite3.connect(self.filename, check_same_thread=False)
            self._db.executescript(SCHEMA)
        return self._db.execute(query, args)

    def _row(self, path, need=None):
        row = self._sql(_SELECT + "path = ?", _key(path)).fetchone()
        if need and row is None:
            raise errors.NoSuchFile()
        if need == "dir" and row[1] is not None:
            raise errors.NotDirectory()
        return row

    def _uploadBelow(self, path):
        return any(key.startswith(_key(path) + "/") for key in self._writing)

    @_inPool
    def stat(self, path):
        return _info(self._row(path, "any"))

    @_inPool
    def list(self, path):
        self._row(path, "dir")
        rows = self._sql(_SELECT + "parent = ? ORDER BY path", _key(path))
        return [(row[0].rpartition("/")[2], _info(row)) for row in rows]

    @_inPool
    def makeDirectory(self, path):
        self._row(path[:-1], "dir")
        if self._row(path) is not None:
            raise errors.AlreadyExists()
        with self._db:
            self._sql("INSERT INTO files VALUES (?, ?, NULL, ?)", _key(path),
                      _key(path[:-1]), time.time())

    @_inPool
    def removeDirectory(self, path):
        if not path:
            raise errors.PermissionDenied()
        self._row(path, "dir")
        if (self._uploadBelow(path) or self._sql(
                "SELECT 1 FROM files WHERE parent = ?", _key(path)).fetchone()):
            raise errors.DirectoryNotEmpty()
        with self._db:
            self._sql("DELETE FROM files WHERE path = ?", _key(path))

    @_inPool
    def removeFile(self, path):
        if self._row(path, "any")[1] is None:
            raise errors.IsDirectory()
        with self._db:
            self._sql("DELETE FROM files WHERE path = ?", _key(path))

    @_inPool
    def rename(self, fromPath, toPath):
        if not fromPath or not toPath:
            raise errors.PermissionDenied()
        source = self._row(fromPath, "any")
        self._row(toPath[:-1], "dir")
        target = self._row(toPath)
        if fromPath == toPath:
            return
        if toPath[:len(fromPath)] == fromPath:
            raise errors.InvalidPath("Cannot move a directory into itself")
        if target is not None and target[1] is None:
            raise errors.AlreadyExists()
        if target is not None and source[1] is None:
            raise errors.NotDirectory()
        if self._uploadBelow(fromPath):
            # Its upload would not find its directory when it is stored.
            raise errors.FileBusy("An upload into the directory is in progress")
        old, new, cut = _key(fromPath), _key(toPath), len(_key(fromPath)) + 1
        with self._db:
            self._sql("DELETE FROM files WHERE path = ?", new)
            self._sql("UPDATE files SET path = ?, parent = ? WHERE path = ?", new,
                      _key(toPath[:-1]), old)
            self._sql("UPDATE files SET path = ? || substr(path, ?), parent = ? ||"
                      " substr(parent, ?) WHERE substr(path, 1, ?) = ?",
                      new, cut, new, cut, cut, old + "/")

    @_inPool
    def setModificationTime(self, path, when):
        self._row(path, "any")
        with self._db:
            self._sql("UPDATE files SET mtime = ? WHERE path = ?", when, _key(path))

    @_inPool
    def openForReading(self, path, offset=0):
        path, size, mtime, rowid = self._row(path, "any")
        if size is None:
            raise errors.IsDirectory()
        blob = self._db.blobopen("files", "data", rowid, readonly=True)
        return SQLiteReadFile(self.pool, blob, offset, max(0, size - offset))

    @_inPool
    def openForWriting(self, path, offset=0, append=False):
        self._row(path[:-1], "dir")
        row = self._row(path)
        if row is not None and row[1] is None:
            raise errors.IsDirectory()
        upload, kept = next(self._uploads), None
        if row is not None and (append or offset):
            start, kept = row[1] if append else offset, row[2:]
            data = self._sql("SELECT substr(data, 1, ?) FROM files WHERE path = ?",
                             start, _key(path)).fetchone()[0]
            self._write(upload, -1, (data or b"").ljust(start, b"\0"))
        else:
            start = offset
        self._writing[_key(path)] += 1
        return SQLiteWriteFile(self, path, upload, start, kept)

    def _write(self, upload, offset, data):
        with self._db:
            self._sql("INSERT INTO uploads VALUES (?, ?, ?)", upload, offset, data)

    def _commit(self, path, upload, kept=None):
        try:
            self._row(path[:-1], "dir")
            row = self._row(path) or (0, 0, 0, None)
            if row[1] is None:
                raise errors.IsDirectory()
            if kept is not None and row[2:] != kept:
                # Its first bytes are of a file replaced or removed since
                # (a new file has a new time, or a new rowid).
                raise errors.FileReplaced()
            chunks = self._sql("SELECT data FROM uploads WHERE upload = ?"
                               " ORDER BY offset", upload)
            data = b"".join(row[0] for row in chunks)
            with self._db:
                self._sql("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                          _key(path), _key(path[:-1]), data, time.time())
        finally:
            self._discard(path, upload)

    def _discard(self, path, upload):
        self._writing -= collections.Counter([_key(path)])
        with self._db:
            self._sql("DELETE FROM uploads WHERE upload = ?", upload)


@implementer(IRandomReadFile)
class SQLiteReadFile:
    """
    A download (an L{IRandomReadFile}), read from the file's row as it was when
    opened: replacing the file during the download makes the download fail.
    """

    def __init__(self, pool, blob, offset, size):
        self._pool, self._blob, self._offset = pool, blob, offset
        self.size = size

    def _readAt(self, offset, length):
        self._blob.seek(min(self._offset + offset, len(self._blob)))
        return self._blob.read(length)

    def readAt(self, offset, length):
        return self._pool.run(self._readAt, offset, length)

    def close(self):
        return self._pool.run(self._blob.close)


@implementer(IRandomWriteFile)
class SQLiteWriteFile:
    """
    An upload (an L{IRandomWriteFile}): chunks collected until C{close} writes
    the file.
    """

    def __init__(self, shell, path, upload, start, kept=None):
        self._shell, self._path, self._upload = shell, path, upload
        self._start, self._kept = start, kept

    def writeAt(self, offset, data):
        return self._shell.pool.run(self._shell._write, self._upload,
                                    self._start + offset, data)

    def close(self):
        return self._shell.pool.run(self._shell._commit, self._path, self._upload,
                                    self._kept)

    def abort(self):
        return self._shell.pool.run(self._shell._discard, self._path,
                                    self._upload)
