"""
Uploads written in place (C{APPE}, C{REST} and C{STOR}) on the fsspec
realm, over real loopback sockets: the disk realm's tests of them
(L{tests.integration.test_attack_uploads.InPlaceWritersTests},
L{tests.integration.test_inplacereplaced.ReplacedDuringAppendTests}) run
on C{fsspec:file://} and C{fsspec:memory://} (the second on
C{fsspec:sftp://} too).

Both went unchecked there. Two sessions appending to one file at once
were both told C{226}: on C{file://} their bytes interleaved (100,000 of
one, 100,000 of the other, then 1,000 of the first), and on
C{memory://}, whose openers share one file object, the later writer wrote
at its own offset over the other's bytes (1,000 of the second's lost).
And an C{APPE} whose file a C{STOR} or C{RNTO} replaced, or C{DELE} or a
rename took away, meanwhile was told C{226} for bytes its path no longer
held. So was one whose file another program cut or wrote to meanwhile
(L{tests.integration.test_inplacereplaced.ChangedByLocalUserTests}, on
C{file://} and C{sftp://}).

And, as on the disk (L{tests.integration.test_attack_permissions}), an
upload written in place on C{file://} by a server running as root kept
the file's set-user-ID and set-group-ID bits, which the kernel clears
for other writers: the owner's program then held the uploader's bytes.

Uploads refused for their size, by a full disk under C{file://}
(L{FsspecDiskFullTests}) or by C{--max-upload-size} and the tree's limit
under C{memory://} (L{FsspecRefusedInPlaceTests}), leave the file as it
was, at its length before (a resume's bytes before its offset, and its own
up to that length).
"""

import io
import os
import stat
import uuid

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import LocalMixin, MemoryMixin, SFTPMixin
from tests.ftpclient import ftplibLogin
from tests.integration import (
    test_attack_permissions,
    test_attack_uploads,
    test_inplacereplaced,
)
from tests.integration.test_diskfull import FLOOD, storeFailing
from tests.smallmounts import smallFilesystem

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
    from ftpkit.shells.fsspecbackends import backendFor
    from ftpkit.shells.fsspecfiles import InPlaceWriter
except ImportError:
    fsspec = None


class LocalInPlaceWritersTests(LocalMixin,
                               test_attack_uploads.InPlaceWritersTests):
    """
    Two in-place writers of one file on C{file://}.
    """


class MemoryInPlaceWritersTests(MemoryMixin,
                                test_attack_uploads.InPlaceWritersTests):
    """
    Two in-place writers of one file on C{memory://}.
    """


class LocalReplacedDuringAppendTests(
        LocalMixin, test_inplacereplaced.ReplacedDuringAppendTests):
    """
    A file on C{file://} changed by another session while an C{APPE}
    writes it.
    """


class MemoryReplacedDuringAppendTests(
        MemoryMixin, test_inplacereplaced.ReplacedDuringAppendTests):
    """
    A file on C{memory://} changed by another session while an C{APPE}
    writes it: its rename is refused while the upload runs, as on the
    disk.
    """


class SFTPReplacedDuringAppendTests(
        SFTPMixin, test_inplacereplaced.ReplacedDuringAppendTests):
    """
    A file on C{sftp://} changed by another session while an C{APPE}
    writes it. The C{APPE} whose file a C{STOR} replaced meanwhile was
    told C{226} (SFTP tells no inode, and the path was believed): now
    the file's size and modification time tell.
    """

    timeout = 120


class LocalChangedByLocalUserTests(
        LocalMixin, test_inplacereplaced.ChangedByLocalUserTests):
    """
    A file on C{file://} cut or written by another program while an
    C{APPE} writes it: C{450}, as on the disk realm (it got C{226}).
    """


class SFTPChangedByLocalUserTests(
        SFTPMixin, test_inplacereplaced.ChangedByLocalUserTests):
    """
    A file on C{sftp://} cut or written by another program (on the SFTP
    server's machine) while an C{APPE} writes it: C{450}, as on the disk
    realm (it got C{226}).
    """

    timeout = 120


class LocalPrivilegeBitsTests(LocalMixin,
                              test_attack_permissions.PrivilegeBitsTests):
    """
    Programs with their set-user-ID and set-group-ID bits on, on
    C{file://}.
    """

    @defer.inlineCallbacks
    def test_uploadsDropPrivilegeBits(self):
        """
        C{APPE} to a program and C{REST} + C{STOR} into one leave it
        without those bits, its other bits kept; the file a C{STOR} puts
        in place of one is new, made without them.
        """
        replies = yield self.inThread(self.upload)
        self.assertEqual([reply[:3] for reply in replies], ["226"] * 3)
        self.assertEqual([self.mode("appended"), self.mode("resumed")],
                         [0o755] * 2)
        self.assertFalse(self.mode("replaced") & (stat.S_ISUID | stat.S_ISGID))


class FsspecDiskFullTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:file://} on a 1 MiB file system (root only) holding C{old}.
    """

    timeout = 60

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.root = smallFilesystem(self, size="1m")
        self.old = os.path.join(self.root, "old")
        with open(self.old, "wb") as f:
            f.write(b"old bytes " * 300)
        self.server = self.startServer(
            makeFsspecRealm("file://" + self.root, {}))

    def fails(self, command, rest=None):
        """
        Send twice the disk's size with C{command} (after C{REST rest}
        unless C{None}).

        @return: a Deferred firing with the final reply and the bytes
            C{old} holds after.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            final = storeFailing(ftp, command, FLOOD, rest=rest)
            with open(self.old, "rb") as f:
                return final, f.read()

        return self.inThread(run)

    async def test_append(self):
        """
        C{APPE} leaves the file as it was before.
        """
        final, kept = await self.fails("APPE old")
        self.assertEqual(final[:4], "452 ")
        self.assertEqual(kept, b"old bytes " * 300)

    async def test_resume(self):
        """
        C{REST 1000} and C{STOR} leave the file at its length before: its
        bytes before the offset, the upload's up to that length.
        """
        final, kept = await self.fails("STOR old", rest=1000)
        self.assertEqual(final[:4], "452 ")
        self.assertEqual(kept, (b"old bytes " * 300)[:1000] + b"n" * 2000)


class FsspecRefusedInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads written in place (C{APPE}, C{REST} and C{STOR}) refused for
    their size on C{fsspec:memory://} (one store per process: a root of
    the test's own, removed afterwards), held to C{size=1M}, with
    C{--max-upload-size} 500K.
    """

    timeout = 60

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.where = "/sweep15-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(lambda: self.fs.exists(self.where)
                        and self.fs.rm(self.where, recursive=True))
        self.server = self.startServer(
            makeFsspecRealm(
                f"memory://{self.where}?size=1M&global_store=true", {}),
            ServerConfig(maxUploadSize=500000))

    def refused(self, size, rest=None):
        """
        Store C{f} (100,000 bytes), then send C{size} bytes appended to
        it, or from C{rest} on unless C{None}.

        @return: a Deferred firing with the final reply and C{f}'s size
            after.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            ftp.storbinary("STOR f", io.BytesIO(b"o" * 100000))
            command = "APPE f" if rest is None else "STOR f"
            final = storeFailing(ftp, command, size, rest=rest)
            return final, ftp.size("f")

        return self.inThread(run)

    async def test_appendOverQuota(self):
        """
        An C{APPE} past the store's size leaves the file as it was.
        """
        final, size = await self.refused(400000 * 8)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 100000)

    async def test_resumeOverQuota(self):
        """
        A resume past it leaves the file at its length before.
        """
        final, size = await self.refused(400000 * 8, rest=50000)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 100000)

    async def test_appendOverLimit(self):
        """
        An C{APPE} past C{--max-upload-size} (within the size) leaves the
        file as it was.
        """
        final, size = await self.refused(600000)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 100000)


class FullDiskCutBackTests(unittest.TestCase):
    """
    L{InPlaceWriter} on C{file://} cuts the file back to its length before
    the upload when a write finds the disk full, whatever the sizes of the
    writes: C{file://}'s file object buffers, and its truncate first wrote
    what the full disk had refused, failed again, and left the file
    holding a disk's worth of the upload (writes of 1,000, 4,096 or 65,536
    bytes; those of 5,000 or 100,000 were cut back). Over the network the
    writes are as large as what each read of the socket brought, so the
    upload was told C{452} and its file kept the bytes or not by chance.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def filled(self, size, append, end="drop"):
        """
        Write C{size} bytes at a time into C{old} on a 1 MiB file system
        until a write fails.

        @param size: the bytes of each write.
        @param append: an C{APPE} (else a resume from byte 1,000).
        @param end: the writer's method called then: C{drop}, or
            C{discard} (which keeps what is written).
        @return: what C{old} holds afterwards.
        """
        root = smallFilesystem(self, size="1m")
        path = os.path.join(root, "old")
        with open(path, "wb") as f:
            f.write(b"old bytes " * 300)
        fs = fsspec.filesystem("file")
        writer = InPlaceWriter(fs, path, 1000, append, backendFor(fs))
        written = 0
        with self.assertRaises(OSError):
            while True:
                writer.writeAt(written, b"n" * size)
                written += size
        getattr(writer, end)()
        with open(path, "rb") as f:
            return f.read()

    def test_append(self):
        """
        An append is cut back to the file as it was.
        """
        for size in (1000, 4096, 5000, 65536, 100000):
            self.assertEqual(self.filled(size, append=True),
                             b"old bytes " * 300, size)

    def test_resume(self):
        """
        A resume is cut back to the file's length before (not to its
        offset: the old bytes past those it wrote are not lost).
        """
        old = b"old bytes " * 300
        for size in (1000, 4096, 65536):
            self.assertEqual(self.filled(size, append=False),
                             old[:1000] + b"n" * (len(old) - 1000), size)

    def test_keptOnceCutBack(self):
        """
        The write that failed cut the file back already: an end that
        keeps what is written (C{discard}, as a cut upload's) finds in it
        none of what the full disk refused, which the file object held.
        """
        for size in (1000, 4096, 65536):
            self.assertEqual(self.filled(size, append=True, end="discard"),
                             b"old bytes " * 300, size)
