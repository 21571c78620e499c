"""
The bound of C{--realm fsspec:memory://?size=} counts what the store
holds, and what uploads in progress reserve, exactly, whatever the
uploads do: cut and kept, replaced, dropped, deleted, or measured while
others run. Before session 51, a complete upload dropped its user's cut
upload of the file without telling the bound (its bytes stayed counted
until the next refusal measured the store again), and a measurement
while an upload ran counted its bytes twice, for good once it ended.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import DirectoryOverFileQuota, FileQuotaExceeded, QuotaExceeded
from ftpkit.testing import writeFile
from tests.fsspecrealms import BoundMemoryMixin


class _Bound1M(BoundMemoryMixin):
    """
    L{ftpkit.auth.fsspecrealm.FsspecRealm} on a private fsspec memory
    store bound to 1 MiB, and what its tests check and do.
    """

    @defer.inlineCallbacks
    def assertExact(self):
        """
        Assert that the bound counts what the store holds, with no upload
        in progress.
        """
        usage = self.realm._storeUsage
        yield usage.current()
        self.assertEqual((usage.used, usage.inFlight),
                         (self.measured(), 0))

    @defer.inlineCallbacks
    def cut(self, shell, path, data):
        """
        Upload C{data} to C{path}, then cut the upload: it is kept for a
        resume.
        """
        upload = yield shell.openForWriting(path)
        yield upload.writeAt(0, data)
        yield upload.abort()
        self.assertEqual((yield shell.resumableSize(path)), len(data))

    @defer.inlineCallbacks
    def test_newUploadDropsCut(self):
        """
        A complete upload of a name whose cut upload was kept drops it, and
        the bound counts what that freed: the tester's sequence (cut,
        replaced, deleted, then the store filled to the bound).
        """
        shell = yield self.shell()
        yield self.cut(shell, ("f",), b"c" * 300000)
        yield self.assertExact()
        yield writeFile(shell, ("f",), b"n" * 400000)
        yield self.assertExact()
        yield shell.removeFile(("f",))
        yield self.assertExact()
        self.assertEqual(self.measured(), 0)
        for name in ("p1", "p2", "p3", "p4"):
            yield writeFile(shell, (name,), b"p" * 250000)
        yield self.assertExact()

    @defer.inlineCallbacks
    def test_measuredWhileUploading(self):
        """
        A measurement while an upload runs (another session's refusal
        asks for one) counts its bytes once, in flight: they were counted
        in the store too, and stayed so once it was complete.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("b1",), b"o" * 1000)
        upload = yield shell.openForWriting(("b1",))
        yield upload.writeAt(0, b"x" * 5000)
        usage = self.realm._storeUsage
        usage.invalidate()
        yield usage.current()
        self.assertEqual(usage.occupied(), len("/b1") + 1000 + 5000)
        yield upload.close()
        yield self.assertExact()

    @defer.inlineCallbacks
    def test_concurrentReplacements(self):
        """
        Two uploads replace one file: the second is cut, and the store
        measured again while the first runs, which then completes; the
        bound counts what is left.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("b1",), b"o" * 9000)
        yield writeFile(shell, ("b2",), b"o" * 10000)
        first = yield shell.openForWriting(("b1",))
        second = yield (yield self.shell()).openForWriting(("b1",))
        yield first.writeAt(0, b"1" * 9000)
        yield second.writeAt(0, b"2" * 9000)
        yield second.abort()
        usage = self.realm._storeUsage
        yield usage.current()
        yield first.close()
        yield self.assertExact()
        yield shell.removeFile(("b1",))
        yield shell.removeFile(("b2",))
        yield self.assertExact()


class EntryRefusalTests(BoundMemoryMixin, unittest.TestCase):
    """
    A new entry refused by the bound of C{size=} says why: its name's
    bytes do not fit, not "too many files".
    """

    maxBytes = 64 * 1024

    @defer.inlineCallbacks
    def full(self):
        """
        @return: a Deferred firing with a session's shell on a store
            holding five entries and all but 10 bytes of the bound.
        """
        shell = yield self.shell()
        for name in ("a", "b", "c", "d"):
            yield writeFile(shell, (name,), b"x" * 1000)
        left = self.maxBytes - self.measured()
        yield writeFile(shell, ("e",), b"x" * (left - len("/e") - 10))
        return shell

    @defer.inlineCallbacks
    def test_fileName(self):
        """
        A new file whose key does not fit gets C{552} saying the bytes the
        store holds at most.
        """
        shell = yield self.full()
        failure = yield self.assertFailure(
            shell.openForWriting(("a-long-name-of-a-file",)), QuotaExceeded)
        self.assertNotIsInstance(failure, FileQuotaExceeded)
        self.assertEqual(failure.code, 552)
        self.assertEqual(failure.message,
                         "Exceeded storage allocation: at most %d bytes may"
                         " be stored" % self.maxBytes)

    @defer.inlineCallbacks
    def test_directoryName(self):
        """
        So does a new directory, with C{550} (the one refusal of C{MKD}).
        """
        shell = yield self.full()
        failure = yield self.assertFailure(
            shell.makeDirectory(("a-long-name-of-a-directory",)),
            DirectoryOverFileQuota)
        self.assertEqual(failure.code, 550)
        self.assertEqual(failure.message,
                         "Exceeded storage allocation: at most %d bytes may"
                         " be stored" % self.maxBytes)


class StaleCutTests(_Bound1M, unittest.TestCase):
    """
    A cut upload found outdated is dropped, and the bound counts what
    that freed.
    """

    @defer.inlineCallbacks
    def test_outdated(self):
        """
        Another user's complete upload of the file outdates the cut upload
        kept for nobody in particular; the next look at it drops it.
        """
        shell = yield self.shell()
        yield self.cut(shell, ("f",), b"c" * 3000)
        other = (yield self.shell()).forResumer("bob")
        yield writeFile(other, ("f",), b"n" * 4000)
        self.assertIsNone((yield shell.resumableSize(("f",))))
        yield self.assertExact()


class InPlaceTests(_Bound1M, unittest.TestCase):
    """
    Uploads written in place (a resume of a cut upload, an append) count
    exactly once complete.
    """

    @defer.inlineCallbacks
    def resume(self, shell, path, offset, data):
        """
        Continue the cut upload of C{path} at C{offset} with C{data}.
        """
        upload = yield shell.openForWriting(path, offset)
        yield upload.writeAt(0, data)
        yield upload.close()

    @defer.inlineCallbacks
    def test_resumeOverFile(self):
        """
        A resume of a cut upload that replaces a file frees the file and
        the cut upload's name: the file's bytes up to the offset stayed
        counted, as well as the cut upload's.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("g",), b"t" * 5000)
        yield self.cut(shell, ("g",), b"c" * 3000)
        yield self.resume(shell, ("g",), 3000, b"r" * 2000)
        yield self.assertExact()
        self.assertEqual(self.measured(), len("/g") + 5000)

    @defer.inlineCallbacks
    def test_resumeNewName(self):
        """
        A resume of a cut upload of a new name counts the name's key in
        place of the cut upload's.
        """
        shell = yield self.shell()
        yield self.cut(shell, ("g",), b"c" * 3000)
        yield self.resume(shell, ("g",), 3000, b"r" * 2000)
        yield self.assertExact()

    @defer.inlineCallbacks
    def test_appendMeasuredMidway(self):
        """
        A measurement while an append runs sees the bytes it wrote in
        place, also counted in flight: measured again once it ends.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("h",), b"h" * 1000)
        upload = yield shell.openForWriting(("h",), append=True)
        yield upload.writeAt(0, b"a" * 2000)
        usage = self.realm._storeUsage
        usage.invalidate()
        yield usage.current()
        yield upload.close()
        yield self.assertExact()


class SameNameTests(_Bound1M, unittest.TestCase):
    """
    Sessions uploading and deleting one name at once leave the bound
    counting what the store holds. Before session 51, each upload counted
    from what it found at the name when it opened: two new files were
    counted for one, and a replacement freed the size its opener saw, not
    that of the file it replaced.
    """

    @defer.inlineCallbacks
    def uploads(self, path, count):
        """
        @return: a Deferred firing with C{count} uploads of C{path} opened
            at once, each by a session of its own.
        """
        opened = []
        for _ in range(count):
            shell = yield self.shell()
            opened.append((yield shell.openForWriting(path)))
        return opened

    @defer.inlineCallbacks
    def test_twoNewFiles(self):
        """
        Two uploads of a new name make one file, and one key.
        """
        first, second = yield self.uploads(("s",), 2)
        yield first.writeAt(0, b"1" * 1000)
        yield second.writeAt(0, b"2" * 30000)
        yield first.close()
        yield second.close()
        yield self.assertExact()

    @defer.inlineCallbacks
    def test_replacedMeanwhile(self):
        """
        An upload replacing a file another session's upload replaced
        meanwhile frees the bytes of that one, not those it found.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("s",), b"o" * 1000)
        first, second = yield self.uploads(("s",), 2)
        yield first.writeAt(0, b"1" * 30000)
        yield first.close()
        yield second.close()
        yield self.assertExact()
        self.assertEqual(self.measured(), len("/s"))

    @defer.inlineCallbacks
    def test_deletedMeanwhile(self):
        """
        An upload whose file another session deleted meanwhile makes a new
        file, and frees nothing.
        """
        shell = yield self.shell()
        yield writeFile(shell, ("s",), b"o" * 30000)
        upload, = yield self.uploads(("s",), 1)
        yield shell.removeFile(("s",))
        yield upload.writeAt(0, b"1" * 1000)
        yield upload.close()
        yield self.assertExact()
        yield shell.removeFile(("s",))
        yield self.assertExact()
