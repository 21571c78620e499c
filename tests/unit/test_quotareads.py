"""
Tests for L{ftpkit.shells.quotareads}: a quota counts a file replaced,
removed or renamed while a download reads it until that download is
closed, as the storage still holds it (an unlinked file open on disk, the
object a download of fsspec's C{memory://} keeps).
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import QuotaExceeded
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.quotareads import OpenReads
from ftpkit.testing import readFile, writeFile
from tests.syncrun import syncRun


class OpenReadsTests(unittest.TestCase):
    """
    L{OpenReads} on its own.
    """

    def test_heldOnceUntilLastClose(self):
        """
        Downloads of one file hold its bytes once when it leaves, until the
        last of them ends; its current size is the one held.
        """
        reads = OpenReads()
        first = reads.opened(("f",), 4)
        second = reads.opened(("f",), 4)
        reads.resized(("f",), 9)
        self.assertEqual(reads.held, 0)
        reads.left(("f",))
        self.assertEqual(reads.held, 9)
        third = reads.opened(("f",), 2)
        first()
        first()
        self.assertEqual(reads.held, 9)
        second()
        self.assertEqual(reads.held, 0)
        third()
        self.assertEqual(reads.held, 0)

    def test_below(self):
        """
        A directory leaving takes the files read below it along, not
        those beside it.
        """
        reads = OpenReads()
        reads.opened(("d", "f"), 3)
        reads.opened(("d", "g"), 4)
        reads.opened(("dd",), 5)
        reads.left(("d",))
        self.assertEqual(reads.held, 7)


class PermissionShellReadsTests(unittest.TestCase):
    """
    A L{PermissionShell} with a 10-byte quota over a L{MemoryShell}.
    """

    def setUp(self):
        self.usage = QuotaUsage(lambda: 0, syncRun)
        self.shell = PermissionShell(
            MemoryShell(), PermissionTable(PERMISSIONS), 10, self.usage)

    def write(self, name, data, append=False):
        """
        Upload C{data} to C{/name}.

        @return: the Deferred of the upload.
        """
        return writeFile(self.shell, (name,), data, append=append)

    def test_replaced(self):
        """
        A file replaced while a download reads it still counts until the
        download is closed.
        """
        self.successResultOf(self.write("f", b"o" * 6))
        reading = self.successResultOf(self.shell.openForReading(("f",)))
        self.successResultOf(self.write("f", b"n" * 4))
        self.failureResultOf(self.write("g", b"x"), QuotaExceeded)
        reading.close()
        self.successResultOf(self.write("g", b"x"))

    def test_grownThenRemoved(self):
        """
        A file appended to while a download reads it, then removed,
        counts at the size it had when removed.
        """
        self.successResultOf(self.write("f", b"o"))
        reading = self.successResultOf(self.shell.openForReading(("f",)))
        self.successResultOf(self.write("f", b"a" * 8, append=True))
        self.successResultOf(self.shell.removeFile(("f",)))
        self.failureResultOf(self.write("g", b"xx"), QuotaExceeded)
        reading.close()
        self.successResultOf(self.write("g", b"xx"))

    def test_renamed(self):
        """
        A file renamed while a download reads it counts twice until the
        download ends (a storage that renames by copying, as fsspec's
        C{memory://} does, holds both).
        """
        self.successResultOf(self.write("f", b"o" * 5))
        reading = self.successResultOf(self.shell.openForReading(("f",)))
        self.successResultOf(self.shell.rename(("f",), ("h",)))
        self.failureResultOf(self.write("g", b"x"), QuotaExceeded)
        reading.close()
        self.successResultOf(self.write("g", b"x"))

    def test_hashedThenRemoved(self):
        """
        A file removed while a checksum still reads it (a disk's, in a
        thread, holds it open) counts until the checksum ends, as one a
        download reads does.
        """
        self.successResultOf(self.write("f", b"o" * 6))
        checksum = defer.Deferred()
        self.patch(self.shell._shell, "hash", lambda *args: checksum)
        hashing = self.shell.hash(("f",), "sha256")
        self.successResultOf(self.shell.removeFile(("f",)))
        self.failureResultOf(self.write("g", b"x" * 5), QuotaExceeded)
        checksum.callback("digest")
        self.assertEqual(self.successResultOf(hashing), "digest")
        self.successResultOf(self.write("g", b"x" * 5))

    def test_readToTheEnd(self):
        """
        A download read to its end and closed holds nothing: the file can
        then be replaced up to the quota.
        """
        self.successResultOf(self.write("f", b"o" * 6))
        self.assertEqual(self.successResultOf(readFile(self.shell, ("f",))),
                         b"o" * 6)
        self.successResultOf(self.write("f", b"n" * 10))
