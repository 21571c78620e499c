"""
A resume from below a file's end (C{REST} then C{STOR}) dropped whole
(L{ftpkit.interfaces.IPartialWriteFile.discard}, as the server drops one
over C{--max-upload-size} or a quota), or whose write failed, leaves the
file at its length before the upload, in every realm: the old bytes
past those the upload wrote stay. It was cut back to where the upload
started, losing bytes no client sent over (session 55).
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.fileinfo import StorageChange
from ftpkit.shells import uploads
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import readFile
from tests.scratch import scratchDirectory

try:
    import fsspec

    from ftpkit.shells.fsspecinplacewriter import InPlaceWriter
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    fsspec = None

OLD = bytes(range(100))
"""The file's bytes before the upload."""

OFFSET = 10
"""Where the upload starts."""

SHORT = b"n" * 20
"""An upload that ends before the file's end."""

LONG = b"n" * 200
"""An upload that goes past the file's end."""


class DiskTests(unittest.TestCase):
    """
    The disk realm's L{ftpkit.shells.diskwriter.FileWriter}.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)

    def path(self, name):
        """
        @param name: a file's name, C{bytes}.
        @return: its path.
        """
        return os.path.join(self.root, name)

    def content(self, name=b"f"):
        """
        @param name: a file's name, C{bytes}.
        @return: its bytes.
        """
        with open(self.path(name), "rb") as f:
            return f.read()

    @inlineCallbacks
    def dropped(self, data):
        """
        Write L{OLD} into C{f}, then resume it from L{OFFSET} with
        C{data}, and drop that upload.

        @return: a Deferred firing with the upload's C{leftBehind()}.
        """
        with open(self.path(b"f"), "wb") as f:
            f.write(OLD)
        opened = yield self.shell.openForWriting(("f",), OFFSET)
        consumer = yield opened.receive()
        consumer.write(data)
        yield consumer.drain()
        yield opened.discard()
        return opened.leftBehind()

    @inlineCallbacks
    def test_shortKeepsTail(self):
        """
        An upload that ended before the file's end leaves the bytes past
        it, the file its length before; nothing left to count.
        """
        left = yield self.dropped(SHORT)
        self.assertEqual(self.content(),
                         OLD[:OFFSET] + SHORT + OLD[OFFSET + len(SHORT):])
        self.assertEqual(left, StorageChange(0, 0))

    @inlineCallbacks
    def test_longCutToLength(self):
        """
        An upload that went past the file's end is cut back to the file's
        length before it.
        """
        left = yield self.dropped(LONG)
        self.assertEqual(self.content(),
                         OLD[:OFFSET] + LONG[:len(OLD) - OFFSET])
        self.assertEqual(left, StorageChange(0, 0))

    @inlineCallbacks
    def test_partialKeepsTail(self):
        """
        A resume of a partial upload (the client's earlier, cut upload)
        from below its end leaves it at its length before too.
        """
        opened = yield self.shell.openForWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(OLD)
        yield consumer.drain()
        yield opened.abort()
        partial = uploads.PARTIAL_PREFIX + b"f"
        self.assertEqual(self.content(partial), OLD)
        opened = yield self.shell.openForWriting(("f",), OFFSET)
        consumer = yield opened.receive()
        consumer.write(SHORT)
        yield consumer.drain()
        yield opened.discard()
        self.assertEqual(self.content(partial),
                         OLD[:OFFSET] + SHORT + OLD[OFFSET + len(SHORT):])


class MemoryTests(unittest.TestCase):
    """
    L{ftpkit.shells.memoryfiles.MemoryInPlaceWriteFile}, which changes
    the file only when stored: dropped, it leaves the file whole.
    """

    def test_dropped(self):
        """
        A resume from below the end, short or long, dropped whole leaves
        the file as it was.
        """
        for data in (SHORT, LONG):
            shell = MemoryShell({"/f": OLD}, maxBytes=1000)
            upload = self.successResultOf(
                shell.openForWriting(("f",), OFFSET))
            self.successResultOf(upload.writeAt(0, data))
            self.successResultOf(upload.discard())
            self.assertEqual(self.successResultOf(readFile(shell, ("f",))),
                             OLD)
            self.assertEqual(shell.bytesHeld, len(OLD))


class FsspecTests(unittest.TestCase):
    """
    The fsspec realms' L{InPlaceWriter}, on C{memory://} (whose file
    objects every opener shares) and C{file://}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def shells(self):
        """
        @return: L{FsspecShell}s, on C{memory://} and C{file://}, L{OLD}
            written into their C{f}.
        """
        shells = [
            FsspecShell(fsspec.filesystem("memory", global_store=False,
                                          skip_instance_cache=True), ""),
            FsspecShell(fsspec.filesystem("file", skip_instance_cache=True),
                        scratchDirectory(self))]
        for shell in shells:
            with shell.fs.open(shell.fsPath(("f",)), "wb") as f:
                f.write(OLD)
        return shells

    def dropped(self, data, end="drop"):
        """
        Resume C{f} of each of L{shells} from L{OFFSET} with C{data},
        then end the upload.

        @param end: the writer's method ending it.
        @return: a list of C{(bytes after, what it left)} pairs.
        """
        results = []
        for shell in self.shells():
            path = shell.fsPath(("f",))
            writer = InPlaceWriter(shell.fs, path, OFFSET, False,
                                   shell.backend)
            writer.writeAt(0, data)
            getattr(writer, end)()
            with shell.fs.open(path, "rb") as f:
                results.append((f.read(), writer.left))
        return results

    def test_shortKeepsTail(self):
        """
        An upload that ended before the file's end leaves the bytes past
        it, the file its length before; nothing left to count.
        """
        expected = OLD[:OFFSET] + SHORT + OLD[OFFSET + len(SHORT):]
        self.assertEqual(self.dropped(SHORT),
                         [(expected, StorageChange(0, 0))] * 2)

    def test_longCutToLength(self):
        """
        An upload that went past the file's end is cut back to the file's
        length before it.
        """
        expected = OLD[:OFFSET] + LONG[:len(OLD) - OFFSET]
        self.assertEqual(self.dropped(LONG),
                         [(expected, StorageChange(0, 0))] * 2)

    def test_cutKeepsAll(self):
        """
        A cut upload (C{discard}: C{ABOR}, the connection lost) keeps all
        it wrote, and the bytes past it.
        """
        expected = OLD[:OFFSET] + SHORT + OLD[OFFSET + len(SHORT):]
        self.assertEqual(self.dropped(SHORT, end="discard"),
                         [(expected, StorageChange(0, 0))] * 2)

    def test_shortenedMeanwhile(self):
        """
        On C{file://}, a file another program cut while the upload ran is
        cut back no further than its length then: not extended to its
        length before with zeros (it was, before session 56).
        """
        [_, shell] = self.shells()
        path = shell.fsPath(("f",))
        writer = InPlaceWriter(shell.fs, path, OFFSET, False, shell.backend)
        writer.writeAt(0, SHORT)
        os.truncate(path, 50)
        writer.drop()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), OLD[:OFFSET] + SHORT + OLD[
                OFFSET + len(SHORT):50])
        self.assertEqual(writer.left, StorageChange(-50, 0))
