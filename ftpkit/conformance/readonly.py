"""
L{IReadOnlyShellConformanceMixin}: the behaviour of a shell that serves
files it cannot change (an archive, a snapshot, a read-only mount), as
trial tests (also importable from L{ftpkit.testing})::

    from twisted.trial import unittest
    from ftpkit.testing import IReadOnlyShellConformanceMixin

    class MyArchiveTests(IReadOnlyShellConformanceMixin, unittest.TestCase):
        def makeShell(self, files):
            return MyArchiveShell(archiveHolding(files))

L{ftpkit.conformance.IFTPShellConformanceMixin} needs a shell it can
write to: it makes every file it reads. This one is given the tree
instead, reads it back through the contract, and checks that every
change is refused with L{PermissionDenied} and changes nothing.
"""

import hashlib

from twisted.internet.defer import Deferred, gatherResults, inlineCallbacks
from twisted.trial.unittest import SkipTest
from zope.interface.verify import verifyObject

from ftpkit.conformance.helpers import pausingConsumer, readFile
from ftpkit.conformance.kit import ShellKit
from ftpkit.errors import IsDirectory, NoSuchFile, NotDirectory, PermissionDenied
from ftpkit.fileinfo import DIRECTORY, FILE
from ftpkit.interfaces import (
    IFTPShellHash,
    IFTPShellNames,
    IRandomReadFile,
    IReadFile,
)
from ftpkit.shells.answers import entriesProblem, infoProblem

BIG = bytes(range(256)) * 3000 + b"end"
"""A file of several reads (L{ftpkit.shells.adapters.READ_SIZE} each)."""

TREE = {
    ("big.bin",): BIG,
    ("dir", "inner.txt"): b"inside\n",
    ("dir", "sub", "deep.txt"): b"deep",
    ("empty.txt",): b"",
    ("small.txt",): b"hello\n",
}
"""The files L{IReadOnlyShellConformanceMixin.makeShell} is given; the
directories C{dir} and C{dir/sub} hold files, so a store keeping no
directories of their own has them too."""

CHANGES = [
    ("makeDirectory", (("new",),)),
    ("makeDirectory", (("dir", "new"),)),
    ("removeDirectory", (("dir", "sub"),)),
    ("removeFile", (("small.txt",),)),
    ("rename", (("small.txt",), ("moved.txt",))),
    ("rename", (("dir",), ("moved",))),
    ("setModificationTime", (("small.txt",), 0.0)),
    ("openForWriting", (("small.txt",),)),
    ("openForWriting", (("new.txt",),)),
    ("openForWriting", (("small.txt",), 0, True)),
]
"""Each change a read-only shell refuses, as C{(method, arguments)}."""


class IReadOnlyShellConformanceMixin(ShellKit):
    """
    The behaviour a read-only L{IFTPShell} must have, as trial tests.

    Mix into a L{twisted.trial.unittest.TestCase} that defines
    C{makeShell(self, files)}: given L{TREE} (a C{dict} from paths, tuples
    of segments, to the files' bytes; a directory is there when a file is
    below it), return a new shell serving exactly those files. A shell
    working in threads of its own may override C{settle}, as for
    L{ftpkit.conformance.IFTPShellConformanceMixin}.
    """

    def setUp(self):
        """
        Make the shell under test with the test case's C{makeShell}.
        """
        self.shell = self.makeShell(dict(TREE))

    @inlineCallbacks
    def tree(self, path=()):
        """
        @param path: a directory.
        @return: a L{Deferred} firing with every entry below it, each as
            C{(path, kind, size of a file or None)}, depth first.
        """
        found = []
        for name, info in (yield self.shell.list(path)):
            found.append((path + (name,), info.kind,
                          info.size if info.isFile else None))
            if info.isDirectory:
                found.extend((yield self.tree(path + (name,))))
        return found

    @inlineCallbacks
    def test_givesDeferreds(self):
        """
        Each method gives a L{Deferred}, a refusal too: a plain value or
        an exception raised the server refuses (C{451}, and a log line).
        """
        calls = [("stat", ((),)), ("list", ((),)),
                 ("openForReading", (("missing",),))] + CHANGES
        for name, args in calls:
            try:
                given = getattr(self.shell, name)(*args)
            except Exception as e:
                self.fail(f"{name} raised {e!r}, not a failing Deferred")
            self.assertIsInstance(given, Deferred,
                                  f"{name} gave {given!r}, not a Deferred")
            yield given.addErrback(lambda failure: None)

    @inlineCallbacks
    def test_tree(self):
        """
        The shell lists the files it was given, sorted, with their sizes,
        in the directories above them; the root is a directory.
        """
        self.assertTrue((yield self.shell.stat(())).isDirectory)
        self.assertEqual((yield self.tree()), [
            (("big.bin",), FILE, len(BIG)),
            (("dir",), DIRECTORY, None),
            (("dir", "inner.txt"), FILE, 7),
            (("dir", "sub"), DIRECTORY, None),
            (("dir", "sub", "deep.txt"), FILE, 4),
            (("empty.txt",), FILE, 0),
            (("small.txt",), FILE, 6)])

    @inlineCallbacks
    def test_answersHaveTheirTypes(self):
        """
        C{stat} and C{list} give L{ftpkit.fileinfo.FileInfo} values whose
        fields have their types, in C{(name, FileInfo)} pairs.
        """
        for path in ((), ("dir",), ("small.txt",)):
            problem = infoProblem((yield self.shell.stat(path)))
            self.assertIsNone(problem, f"stat({path!r}) gave {problem}")
        for path in ((), ("dir",)):
            _, problem = entriesProblem((yield self.shell.list(path)))
            self.assertIsNone(problem, f"list({path!r}) gave {problem}")

    @inlineCallbacks
    def test_missingPaths(self):
        """
        A missing path, or one below a missing directory, is
        L{NoSuchFile}; listing a file is L{NotDirectory}.
        """
        for path in (("missing",), ("missing", "f"), ("dir", "missing")):
            yield self.assertFailure(self.shell.stat(path), NoSuchFile)
            yield self.assertFailure(self.shell.list(path), NoSuchFile)
        yield self.assertFailure(self.shell.list(("small.txt",)),
                                 NotDirectory)

    @inlineCallbacks
    def test_read(self):
        """
        Each file reads back whole, and from an offset (past the end: no
        bytes).
        """
        for path, data in sorted(TREE.items()):
            self.assertEqual((yield readFile(self.shell, path)), data, path)
        for offset in (1, 256 * 1024 + 3, len(BIG), len(BIG) + 5):
            self.assertEqual(
                (yield readFile(self.shell, ("big.bin",), offset)),
                BIG[offset:], offset)

    @inlineCallbacks
    def test_openFiles(self):
        """
        An open file provides L{IRandomReadFile} or L{IReadFile}, and its
        C{size} (when known) counts from the offset it was opened at.
        """
        opened = yield self.shell.openForReading(("small.txt",), 2)
        try:
            self.assertTrue(verifyObject(
                IRandomReadFile if IRandomReadFile.providedBy(opened)
                else IReadFile, opened))
            self.assertIn(opened.size, (None, 4))
        finally:
            yield opened.close()

    @inlineCallbacks
    def test_openForReadingErrors(self):
        """
        Reading the root or a directory is L{IsDirectory}, a missing file
        L{NoSuchFile}.
        """
        yield self.assertFailure(self.shell.openForReading(()), IsDirectory)
        yield self.assertFailure(self.shell.openForReading(("dir",)),
                                 IsDirectory)
        yield self.assertFailure(self.shell.openForReading(("missing",)),
                                 NoSuchFile)

    @inlineCallbacks
    def test_changesRefused(self):
        """
        Every change is refused with L{PermissionDenied} (C{550}), and the
        tree stays as it was.
        """
        before = yield self.tree()
        for name, args in CHANGES:
            try:
                result = yield getattr(self.shell, name)(*args)
            except PermissionDenied:
                continue
            except Exception as e:
                self.fail(f"{name}{args!r} failed with {e!r}, not "
                          "PermissionDenied")
            if name == "openForWriting":
                yield result.abort()
            self.fail(f"{name}{args!r} was not refused")
        self.assertEqual((yield self.tree()), before)

    @inlineCallbacks
    def test_pausedDownload(self):
        """
        A download writes nothing while its consumer has paused it, and
        goes on when resumed.
        """
        consumer, resumed = pausingConsumer(self.settle)
        yield readFile(self.shell, ("big.bin",), consumer=consumer)
        yield gatherResults(resumed)
        self.assertEqual(consumer.writesWhilePaused, 0)
        self.assertEqual(consumer.value(), BIG)

    @inlineCallbacks
    def test_stoppedDownload(self):
        """
        After C{stopProducing}, a download writes nothing more and its
        L{Deferred} fires or fails.
        """
        yield self.checkStoppedDownload(("big.bin",))

    @inlineCallbacks
    def test_listNames(self):
        """
        A shell that provides L{IFTPShellNames} names what C{list} lists.
        """
        if not IFTPShellNames.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellNames")
        for path in ((), ("dir",)):
            listed = [name for name, info in (yield self.shell.list(path))]
            self.assertEqual((yield self.shell.listNames(path)), listed)

    @inlineCallbacks
    def test_hash(self):
        """
        A shell that provides L{IFTPShellHash} gives a file's SHA-256.
        """
        if not IFTPShellHash.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellHash")
        digest = yield self.shell.hash(("big.bin",), "sha256")
        self.assertEqual(digest.lower(), hashlib.sha256(BIG).hexdigest())
