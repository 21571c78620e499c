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
    L{MemoryBackend}, whose module, L{ftpkit.shells.fsspecposix}, this
    one gives their names as it did when it held them): real
    directories, uploads written to a temporary sibling and moved into
    place, resumed and appended uploads written in place, modification
    times set; on the local disk and SFTP, an upload
    that may only create its file is linked or renamed to its name in a
    way that fails if the name exists (L{Backend.createsAtomically}),
    and symbolic links are told from what they lead to and kept to the
    root, as on the disk realm (L{Backend.resolvesLinks}); memory has
    none;
  - anything else fsspec knows (L{Backend}, whose module,
    L{ftpkit.shells.fsspecgeneric}, this one gives its names as it did
    when it held it): directories through fsspec's C{mkdir}/C{rmdir},
    uploads through a temporary sibling, nothing appended or resumed.

The methods with a filesystem argument block: the shell calls them in a
thread.
"""

from ftpkit.compat.fsspecnames import keyPages
from ftpkit.shells.fsspecgeneric import Backend, asTimestamp, isPattern
from ftpkit.shells.fsspecposix import (
    SFTP_DEADLINE,
    LocalBackend,
    MemoryBackend,
    SFTPBackend,
    confined,
)
from ftpkit.shells.listings import BATCH_SIZE

# The backends of stores with real directories, SFTP_DEADLINE and confined
# moved to fsspecposix (session 47): importable from here still, where
# code outside the package and the docs found them.
__all__ = ["OBJECT_STORE_PROTOCOLS", "READ_BLOCK", "WRITE_BLOCK", "protocolsOf",
           "Backend", "ObjectStoreBackend", "S3Backend", "LocalBackend",
           "SFTPBackend", "MemoryBackend", "backendFor", "asTimestamp",
           "isPattern", "SFTP_DEADLINE", "confined"]

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

        @param fs: the fsspec filesystem.
        @param path: the directory's path in it.
        """
        fs.touch(path + "/")

    def removeDirectory(self, fs, path):
        """
        Remove the marker object, if there is one.

        @param fs: the fsspec filesystem.
        @param path: the directory's path in it.
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


def backendFor(fs, callDeadline=None):
    """
    @param fs: an fsspec filesystem.
    @param callDeadline: the deadline of each SFTP call (see
        L{SFTPBackend}), or C{None} for the default.
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
        return SFTPBackend(label, callDeadline)
    if "memory" in protocols:
        return MemoryBackend(label)
    return Backend(label)
