"""
Tests for what a quota counts when an upload that tells what it left
(L{ftpkit.interfaces.IAccountedWriteFile}) is aborted or discarded
(L{ftpkit.shells.quotauploads}), and for the helpers of
L{ftpkit.shells.nestedchanges}.
"""

from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo, StorageChange
from ftpkit.interfaces import IAccountedWriteFile
from ftpkit.shells.fsspecfiles import FsspecWriteFile, InPlaceWriter
from ftpkit.shells.nestedchanges import added, fileChange
from ftpkit.shells.quotas import QuotaUsage
from ftpkit.shells.quotauploads import QuotaRandomWriteFile


@implementer(IAccountedWriteFile)
class _Accounted:
    """
    An upload whose end leaves C{left}, seen by the usage at its end.
    """

    def __init__(self, left):
        self.left = left
        self.ended = None
        self.usage = None
        self.inFlightAtEnd = None

    def writeAt(self, offset, data):
        return defer.succeed(None)

    def _end(self, how):
        self.ended = how
        self.inFlightAtEnd = self.usage.inFlight
        return defer.succeed(None)

    def abort(self):
        return self._end("abort")

    def leftBehind(self):
        return self.left


def _measured():
    """
    @return: a L{QuotaUsage} measured at 1000 bytes in 10 files.
    """
    usage = QuotaUsage(lambda: 0)
    usage.used, usage.files, usage.stale = 1000, 10, False
    return usage


class AccountedAbortTests(unittest.TestCase):
    """
    An aborted upload that tells what it left is counted by that.
    """

    def upload(self, left, newFile=False, inPlace=False):
        """
        Open an upload of 300 bytes over a file of 100, abort it.

        @return: C{(usage, wrapped upload)}.
        """
        usage = _measured()
        inner = _Accounted(left)
        inner.usage = usage
        if newFile:
            usage.reserveFile(None)
        upload = QuotaRandomWriteFile(inner, usage, 5000, 100, 100, inPlace,
                                      newFile)
        upload.writeAt(100, b"x" * 300)
        self.successResultOf(upload.abort())
        return usage, inner

    def test_counted(self):
        """
        What it left is added, not measured again; its bytes in flight
        stay counted until then, and go.
        """
        usage, inner = self.upload(StorageChange(300, 1))
        self.assertFalse(usage.stale)
        self.assertEqual((usage.used, usage.files), (1300, 11))
        self.assertEqual((inner.inFlightAtEnd, usage.inFlight), (300, 0))
        self.assertTrue(IAccountedWriteFile.providedBy(
            QuotaRandomWriteFile(inner, usage, None, 0, 0, False)))

    def test_notKnown(self):
        """
        When it cannot tell, the home is measured again.
        """
        usage, inner = self.upload(None)
        self.assertTrue(usage.stale)
        self.assertEqual(usage.inFlight, 0)

    def test_newFileInPlace(self):
        """
        A new file written in place stays: its reserved entry is made.
        """
        usage, inner = self.upload(StorageChange(300, 0), newFile=True,
                                   inPlace=True)
        self.assertEqual((usage.used, usage.files, usage.filesInFlight),
                         (1300, 11, 0))

    def test_newFileKeptAside(self):
        """
        A new file not written in place is not made: what it kept (a cut
        upload) is in what it left.
        """
        usage, inner = self.upload(StorageChange(300, 1), newFile=True)
        self.assertEqual((usage.used, usage.files, usage.filesInFlight),
                         (1300, 11, 0))


class NestedChangeHelpersTests(unittest.TestCase):
    """
    L{fileChange} and L{added}.
    """

    def test_fileChange(self):
        """
        A file's bytes and entry, appearing or going; a directory's entry
        alone; nothing for nothing.
        """
        info = FileInfo(kind=FILE, size=30)
        self.assertEqual(fileChange(info), StorageChange(30, 1))
        self.assertEqual(fileChange(info, -1), StorageChange(-30, -1))
        self.assertEqual(fileChange(FileInfo(kind=DIRECTORY,
                                                 size=4096)),
                         StorageChange(0, 1))
        self.assertEqual(fileChange(None), StorageChange(0, 0))

    def test_added(self):
        """
        Changes add up; one not known makes the sum not known.
        """
        self.assertEqual(added(StorageChange(3, 1), StorageChange(-1, -1)),
                         StorageChange(2, 0))
        self.assertIsNone(added(StorageChange(3, 1), None))


class _Writer:
    """
    A stand-in for an fsspec upload's writer.
    """

    discarded = False

    def discard(self):
        self.discarded = True


class FsspecLeftTests(unittest.TestCase):
    """
    L{FsspecWriteFile.leftBehind}.
    """

    def aborted(self, writer):
        """
        @return: what the upload through C{writer} left once aborted.
        """
        upload = FsspecWriteFile(
            lambda function, *args: defer.maybeDeferred(function, *args),
            writer)
        self.assertIsNone(upload.leftBehind())
        self.successResultOf(upload.abort())
        self.assertTrue(writer.discarded)
        return upload.leftBehind()

    def test_discarded(self):
        """
        An upload not written in place leaves nothing once aborted.
        """
        self.assertEqual(self.aborted(_Writer()), StorageChange(0, 0))

    def test_inPlace(self):
        """
        What one written in place left is not known.
        """
        writer = InPlaceWriter.__new__(InPlaceWriter)
        writer.discarded = False
        writer.discard = lambda: setattr(writer, "discarded", True)
        self.assertIsNone(self.aborted(writer))
