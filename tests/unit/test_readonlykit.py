"""
Tests for L{ftpkit.conformance.readonly}: the conformance kit of a shell
that cannot be written to. A plugin author with such a storage (a zip
archive, say) had no kit to run: the writable one makes every file it
reads.
"""

import os

from twisted.internet.defer import gatherResults, inlineCallbacks
from twisted.trial import unittest

from ftpkit.conformance.readonly import TREE
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ReadOnlyShell
from ftpkit.testing import IReadOnlyShellConformanceMixin, writeFile


def filledMemoryShell(testCase, files):
    """
    @param testCase: the running test.
    @param files: the files to store, as C{makeShell} is given them.
    @return: a L{MemoryShell} holding them.
    """
    shell = MemoryShell()
    directories = sorted({path[:i] for path in files
                          for i in range(1, len(path))})
    for directory in directories:
        testCase.successResultOf(shell.makeDirectory(directory))
    testCase.successResultOf(gatherResults(
        [writeFile(shell, path, data) for path, data in files.items()]))
    return shell


class ReadOnlyMemoryTests(IReadOnlyShellConformanceMixin, unittest.TestCase):
    """
    The kit passes a L{ReadOnlyShell} around a memory tree.
    """

    def makeShell(self, files):
        """
        @return: a L{ReadOnlyShell} around a L{MemoryShell} of C{files}.
        """
        return ReadOnlyShell(filledMemoryShell(self, files))


class ReadOnlyDiskTests(IReadOnlyShellConformanceMixin, unittest.TestCase):
    """
    The kit passes a L{ReadOnlyShell} around a directory on disk.
    """

    def makeShell(self, files):
        """
        @return: a L{ReadOnlyShell} around a L{FilesystemShell} of a
            directory holding C{files}.
        """
        root = os.path.abspath(self.mktemp())
        for path, data in files.items():
            os.makedirs(os.path.join(root, *path[:-1]), exist_ok=True)
            with open(os.path.join(root, *path), "wb") as f:
                f.write(data)
        return ReadOnlyShell(FilesystemShell(root))


class WritableShellTests(unittest.TestCase):
    """
    The kit fails a shell that changes what it should refuse.
    """

    @inlineCallbacks
    def test_changeNotRefused(self):
        """
        A writable L{MemoryShell} fails C{test_changesRefused}, naming the
        change it let through.
        """
        kit = ReadOnlyMemoryTests("test_changesRefused")
        kit.shell = filledMemoryShell(self, TREE)
        error = yield self.assertFailure(kit.test_changesRefused(),
                                         self.failureException)
        self.assertIn("makeDirectory(('new',),) was not refused", str(error))
