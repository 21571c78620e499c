"""
Tests for L{ftpkit.shells.fsspecshell} on S3: s3fs against moto's
standalone S3 server, started on loopback by L{tests.storageservers}.
"""

import hashlib

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import (
    AlreadyExists,
    CommandNotImplemented,
    DirectoryNotEmpty,
    IsDirectory,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
)
from tests.storageservers import motoServer, newBucket, s3Filesystem

MiB = 1024 * 1024


class S3ShellTests(unittest.TestCase):
    """
    L{FsspecShell} on a fresh bucket, served from a prefix of it.
    """

    timeout = 120

    def setUp(self):
        from ftpkit.shells.fsspecshell import FsspecShell

        self.fs = s3Filesystem(motoServer())
        self.bucket = newBucket(self.fs)
        self.shell = FsspecShell(self.fs, self.bucket + "/ftp")

    def s3(self, operation, **arguments):
        """
        Call the S3 API directly (blocking).

        @return: the response.
        """
        from fsspec.asyn import sync

        return sync(self.fs.loop, getattr(self.fs.s3, operation),
                    Bucket=self.bucket, **arguments)

    def keys(self):
        """
        @return: the sorted keys in the bucket, markers included.
        """
        listed = self.s3("list_objects_v2")
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def uploadsInProgress(self):
        """
        @return: the multipart uploads not completed nor aborted.
        """
        return self.s3("list_multipart_uploads").get("Uploads", [])

    @defer.inlineCallbacks
    def upload(self, path, data, chunk=MiB):
        """
        Upload through the shell, in writes of C{chunk} bytes.
        """
        opened = yield self.shell.openForWriting(path)
        for start in range(0, len(data), chunk):
            yield opened.writeAt(start, data[start:start + chunk])
        yield opened.close()

    @defer.inlineCallbacks
    def download(self, path, offset=0, chunk=256 * 1024):
        """
        @return: a Deferred with the file's bytes from C{offset}.
        """
        opened = yield self.shell.openForReading(path, offset)
        parts = []
        position = 0
        while True:
            part = yield opened.readAt(position, chunk)
            if not part:
                break
            parts.append(part)
            position += len(part)
        yield opened.close()
        return b"".join(parts)

    @defer.inlineCallbacks
    def names(self, path=()):
        entries = yield self.shell.list(path)
        return [(name, info.kind) for name, info in entries]

    @defer.inlineCallbacks
    def test_emptyRoot(self):
        """
        A prefix with nothing under it is an empty root directory.
        """
        info = yield self.shell.stat(())
        self.assertTrue(info.isDirectory)
        self.assertEqual((yield self.names()), [])

    @defer.inlineCallbacks
    def test_uploadDownloadMetadata(self):
        """
        An upload becomes one object; SIZE and MDTM facts come from its
        metadata, and downloads (from an offset too) read it back.
        """
        data = bytes(range(256)) * 4096 + b"tail"
        yield self.upload(("f.bin",), data)
        self.assertEqual(self.keys(), ["ftp/f.bin"])
        info = yield self.shell.stat(("f.bin",))
        self.assertEqual((info.kind, info.size), ("file", len(data)))
        self.assertGreater(info.mtime, 1e9)
        self.assertEqual((yield self.download(("f.bin",))), data)
        self.assertEqual((yield self.download(("f.bin",), 1000)), data[1000:])

    @defer.inlineCallbacks
    def test_emptyFile(self):
        """
        An upload of no bytes makes an empty object.
        """
        yield self.upload(("empty",), b"")
        self.assertEqual(self.keys(), ["ftp/empty"])
        info = yield self.shell.stat(("empty",))
        self.assertEqual((info.kind, info.size), ("file", 0))
        self.assertEqual((yield self.download(("empty",))), b"")

    @defer.inlineCallbacks
    def test_multipartCommittedOnlyOnClose(self):
        """
        A large upload goes up in parts, and the object appears, replacing
        the old one, only when it is closed.
        """
        yield self.upload(("f",), b"old")
        data = hashlib.sha256(b"x").digest() * (20 * MiB // 32)
        opened = yield self.shell.openForWriting(("f",))
        for start in range(0, len(data), MiB):
            yield opened.writeAt(start, data[start:start + MiB])
        self.assertEqual(len(self.uploadsInProgress()), 1)
        self.assertEqual((yield self.download(("f",))), b"old")
        yield opened.close()
        self.assertEqual(self.uploadsInProgress(), [])
        info = yield self.shell.stat(("f",))
        self.assertEqual(info.size, len(data))
        self.assertEqual((yield self.download(("f",))), data)

    @defer.inlineCallbacks
    def test_abortLeavesNothing(self):
        """
        An aborted upload, large or small, leaves no object, no multipart
        upload, and an old object as it was.
        """
        yield self.upload(("old",), b"previous")
        for path in (("old",), ("new",)):
            for size in (100, 12 * MiB):
                opened = yield self.shell.openForWriting(path)
                for start in range(0, size, MiB):
                    yield opened.writeAt(start, b"n" * min(MiB, size - start))
                yield opened.abort()
        self.assertEqual(self.uploadsInProgress(), [])
        self.assertEqual(self.keys(), ["ftp/old"])
        self.assertEqual((yield self.download(("old",))), b"previous")

    @defer.inlineCallbacks
    def test_directoriesArePrefixes(self):
        """
        MKD writes a marker, so an empty directory lists; objects under a
        prefix make it a directory; the marker is not listed inside it.
        """
        yield self.shell.makeDirectory(("d",))
        self.assertEqual(self.keys(), ["ftp/d/"])
        self.fs.pipe_file(f"{self.bucket}/ftp/implied/deep/x", b"1")
        self.assertEqual((yield self.names()), [("d", "dir"), ("implied", "dir")])
        self.assertEqual((yield self.names(("d",))), [])
        self.assertEqual((yield self.names(("implied",))), [("deep", "dir")])
        info = yield self.shell.stat(("d",))
        self.assertTrue(info.isDirectory)
        yield self.assertFailure(self.shell.makeDirectory(("d",)), AlreadyExists)
        yield self.assertFailure(self.shell.makeDirectory(("no", "d")), NoSuchFile)

    @defer.inlineCallbacks
    def test_removeDirectory(self):
        """
        RMD of a directory with something in it fails; once empty it goes,
        marker and all.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.upload(("d", "f"), b"x")
        yield self.assertFailure(self.shell.removeDirectory(("d",)),
                                 DirectoryNotEmpty)
        yield self.assertFailure(self.shell.removeDirectory(("d", "f")),
                                 NotDirectory)
        yield self.assertFailure(self.shell.removeFile(("d",)), IsDirectory)
        yield self.shell.removeFile(("d", "f"))
        yield self.shell.removeDirectory(("d",))
        self.assertEqual((yield self.names()), [])
        self.assertEqual(self.keys(), [])

    @defer.inlineCallbacks
    def test_renameFile(self):
        """
        Renaming a file copies it on the server and deletes the original,
        replacing an existing target.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.upload(("a",), b"content")
        yield self.upload(("d", "b"), b"old")
        yield self.shell.rename(("a",), ("d", "b"))
        self.assertEqual((yield self.download(("d", "b"))), b"content")
        self.assertEqual((yield self.names()), [("d", "dir")])

    @defer.inlineCallbacks
    def test_renameFileThatIsAlsoPrefix(self):
        """
        An object that is also a prefix (C{x} beside C{x/y}, written by
        another client of the bucket) is renamed, not lost: fsspec's C{mv}
        took it for a directory, copied nothing, then removed it, and the
        rename succeeded.
        """
        self.fs.pipe({f"{self.bucket}/ftp/x": b"file x",
                      f"{self.bucket}/ftp/x/y": b"under x"})
        yield self.shell.rename(("x",), ("w",))
        self.assertEqual((yield self.download(("w",))), b"file x")
        self.assertEqual(self.keys(), ["ftp/w", "ftp/x/y"])

    @defer.inlineCallbacks
    def test_dotSegmentsNotListed(self):
        """
        Keys with a C{.} or C{..} segment (written by another client of
        the bucket; no FTP path names them) are not listed: C{d} listed
        a directory named C{..}, which a client walking the tree took for
        a subdirectory, leading it back to the root.
        """
        self.fs.pipe({f"{self.bucket}/ftp/d/../x": b"dots",
                      f"{self.bucket}/ftp/d/./y": b"dot",
                      f"{self.bucket}/ftp/d/z": b"z"})
        self.assertEqual((yield self.names(("d",))), [("z", "file")])
        listing = yield self.shell.openListing(("d",))
        names = []
        while True:
            batch = yield listing.nextBatch()
            if not batch:
                break
            names.extend(name for name, _ in batch)
        listing.close()
        self.assertEqual(names, ["z"])

    @defer.inlineCallbacks
    def test_renameDirectoryRefused(self):
        """
        Renaming a directory is refused, saying why, and changes nothing.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.upload(("d", "f"), b"x")
        e = yield self.assertFailure(self.shell.rename(("d",), ("e",)),
                                     PermissionDenied)
        self.assertIn("S3", e.message)
        self.assertEqual((yield self.names()), [("d", "dir")])

    @defer.inlineCallbacks
    def test_resumeAppendAndTimesRefused(self):
        """
        Resuming, appending and setting a time are refused with a 502 that
        names the storage.
        """
        yield self.upload(("f",), b"0123")
        for offset, append in ((2, False), (0, True)):
            e = yield self.assertFailure(
                self.shell.openForWriting(("f",), offset, append),
                CommandNotImplemented)
            self.assertIn("S3 storage", e.message)
        yield self.assertFailure(self.shell.setModificationTime(("f",), 1e9),
                                 CommandNotImplemented)
        self.assertEqual((yield self.download(("f",))), b"0123")

    @defer.inlineCallbacks
    def test_listingMany(self):
        """
        A listing longer than one page of the S3 API (1,000 keys) is whole
        and sorted.
        """
        names = [f"n{i:04d}" for i in range(1100)]
        self.fs.pipe({f"{self.bucket}/ftp/many/{name}": b"" for name in names})
        listed = yield self.shell.list(("many",))
        self.assertEqual([name for name, info in listed], names)

    @defer.inlineCallbacks
    def test_streamedListingPages(self):
        """
        A listing in batches pages through S3 as the batches are asked
        for: opening it makes one C{ListObjectsV2} request, and the
        batches, a page each, give what the store lists.
        """
        from ftpkit.shells.listings import BATCH_SIZE

        names = [f"n{i:04d}" for i in range(2 * BATCH_SIZE + 500)]
        self.fs.pipe({f"{self.bucket}/ftp/many/{name}": b"x" for name in names}
                     | {f"{self.bucket}/ftp/many/sub/inner": b"",
                        f"{self.bucket}/ftp/many/": b""})
        requests = []
        original = self.fs._call_s3

        async def counting(method, *args, **kwargs):
            requests.append(method)
            return await original(method, *args, **kwargs)

        self.fs._call_s3 = counting
        listing = yield self.shell.openListing(("many",))
        self.assertEqual(requests.count("list_objects_v2"), 1)
        batches = []
        while True:
            batch = yield listing.nextBatch()
            if not batch:
                break
            batches.append(batch)
        listing.close()
        self.assertEqual(requests.count("list_objects_v2"), 3)
        self.assertEqual(len(batches), 3)
        listed = sorted((name, info.kind, info.size)
                        for batch in batches for name, info in batch)
        stored = sorted(
            (detail["name"].rstrip("/").rpartition("/")[2],
             "file" if detail["type"] == "file" else "dir",
             detail["size"] if detail["type"] == "file" else 0)
            for detail in self.fs.ls(f"{self.bucket}/ftp/many", detail=True)
            if detail["name"].rstrip("/") != f"{self.bucket}/ftp/many")
        self.assertEqual(listed, stored)
        self.assertEqual(len(listed), len(names) + 1)

    @defer.inlineCallbacks
    def test_streamedListingOfBuckets(self):
        """
        A shell rooted above the buckets lists them in batches too; the
        listing closed unread gives back the entries it held (in the
        shell's threads: waited for, or they were still held in the next
        test, and given back in the middle of it).
        """
        from ftpkit.shells.fsspecheld import heldEntries
        from ftpkit.shells.fsspecshell import FsspecShell

        held = heldEntries.held
        shell = FsspecShell(self.fs, "")
        listing = yield shell.openListing(())
        batch = yield listing.nextBatch()
        listing.close()
        yield shell.whenIdle()
        self.assertIn(self.bucket, [name for name, info in batch])
        self.assertEqual(heldEntries.held, held)

    def test_missingParent(self):
        """
        A file cannot be uploaded into a directory that does not exist.
        """
        return self.assertFailure(self.shell.openForWriting(("no", "f")),
                                  NoSuchFile)

    @defer.inlineCallbacks
    def test_renamePatternCharacters(self):
        """
        Renaming an object whose name holds C{*} or C{?} moves that
        object alone: s3fs's C{mv} took the name for a pattern, moving
        every object it matched onto the target and deleting them.
        """
        for name in ("f1", "f2", "f?", "f*"):
            yield self.upload((name,), name.encode())
        yield self.shell.rename(("f?",), ("g",))
        yield self.shell.rename(("f*",), ("h",))
        self.assertEqual(self.keys(), ["ftp/f1", "ftp/f2", "ftp/g", "ftp/h"])
        self.assertEqual((yield self.download(("g",))), b"f?")
        self.assertEqual((yield self.download(("f1",))), b"f1")
