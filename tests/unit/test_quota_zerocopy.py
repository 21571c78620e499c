"""
A quota keeps zero-copy uploads (L{ftpkit.shells.permissions.QuotaWriteFile}
passes the file's descriptor capability on, checking the quota at commit).
"""

import os

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.threads import deferToThread
from twisted.trial import unittest

from ftpkit.data.movers import Upload, _splice
from ftpkit.errors import QuotaExceeded
from ftpkit.interfaces import IDescriptorFile, IPrivateWriteFile
from ftpkit.shells import shortcalls
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage, diskUsage
from ftpkit.shells.permissiontable import PermissionTable
from tests.scratch import scratchDirectory


class QuotaDescriptorTests(unittest.TestCase):
    """
    Quota uploads through the file's descriptor.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"o" * 100)
        self.usage = QuotaUsage(lambda: diskUsage(self.root))
        self.shell = PermissionShell(
            FilesystemShell(self.root),
            PermissionTable(["list", "read", "write", "append"]),
            quota=1000, usage=self.usage)

    @inlineCallbacks
    def test_capabilityKept(self):
        """
        A new upload under a quota still offers its descriptor, so the
        server moves it without passing the bytes through Python.
        """
        writing = yield self.shell.openForWriting(("new",))
        self.assertTrue(IDescriptorFile.providedBy(writing))
        self.assertIsNotNone(writing.descriptor())
        if _splice.available:
            self.assertTrue(Upload(writing, True, reactor).bareSocket)
        yield writing.abort()

    @inlineCallbacks
    def test_privateKept(self):
        """
        A new upload under a quota can still be withheld from others
        before it is committed (C{--hold-anonymous-uploads}).
        """
        writing = yield self.shell.openForWriting(("new",))
        self.assertTrue(IPrivateWriteFile.providedBy(writing))
        writing.withholdFromOthers()
        self.assertEqual(os.fstat(writing.descriptor().fd).st_mode & 0o007, 0)
        yield writing.abort()

    @inlineCallbacks
    def test_inPlaceCounts(self):
        """
        A resumed upload, written in place, offers no descriptor: it must
        count its bytes on the way.
        """
        writing = yield self.shell.openForWriting(("old",), offset=50)
        self.assertIsNone(writing.descriptor())
        yield writing.abort()

    @inlineCallbacks
    def spliced(self, name, data):
        """
        Upload C{data} the way the server's splice does: written through
        the descriptor, committed through it in a thread, then closed.
        """
        writing = yield self.shell.openForWriting((name,))
        descriptor = writing.descriptor()
        os.pwrite(descriptor.fd, data, descriptor.offset)
        try:
            yield deferToThread(descriptor.commit,
                                descriptor.offset + len(data))
        except QuotaExceeded:
            yield writing.discard()  # What the server does with a 552.
            raise
        yield writing.close()

    @inlineCallbacks
    def test_withinQuota(self):
        """
        An upload that fits is committed and counted.
        """
        yield self.usage.current()
        yield self.spliced("new", b"n" * 800)
        with open(os.path.join(self.root, "new"), "rb") as f:
            self.assertEqual(f.read(), b"n" * 800)
        self.assertEqual(self.usage.used, 900)
        self.assertEqual(self.usage.inFlight, 0)

    @inlineCallbacks
    def test_overQuota(self):
        """
        An upload past the quota fails with L{QuotaExceeded} at commit and
        leaves nothing behind.
        """
        yield self.usage.current()
        yield self.assertFailure(self.spliced("new", b"n" * 901),
                                 QuotaExceeded)
        self.assertEqual(sorted(os.listdir(self.root)), ["old"])
        self.assertEqual((self.usage.used, self.usage.inFlight), (100, 0))

    @inlineCallbacks
    def test_declinedAtOnceCountedOnce(self):
        """
        A new file's commit run at once that declines there (a large file
        took its name meanwhile, which only a disk thread may free) and
        then runs in a disk thread counts the upload's bytes once.
        """
        yield self.usage.current()
        writing = yield self.shell.openForWriting(("new",))
        descriptor = writing.descriptor()
        if descriptor.runShort is None:
            raise unittest.SkipTest("no short calls here")
        os.pwrite(descriptor.fd, b"n" * 800, descriptor.offset)
        with open(os.path.join(self.root, "new"), "wb") as f:
            f.write(b"b" * (shortcalls.FREES_LITTLE + 4096))
        end = descriptor.offset + 800
        self.assertIsNone(descriptor.runShort(descriptor.commit, end))
        yield deferToThread(descriptor.commit, end)
        yield writing.close()
        with open(os.path.join(self.root, "new"), "rb") as f:
            self.assertEqual(f.read(), b"n" * 800)
        self.assertEqual((self.usage.used, self.usage.inFlight), (900, 0))
