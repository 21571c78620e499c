"""
L{FilesystemShell.hash} checksums a big file in steps
(L{ftpkit.shells.diskhash}).
"""

import hashlib
import os

from twisted.internet.defer import CancelledError, Deferred
from twisted.trial import unittest

from ftpkit.errors import LocalError
from ftpkit.shells import diskhash
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchDirectory


class HashStepTests(unittest.TestCase):
    """
    L{FilesystemShell.hash} checksums a big file in steps, each a call of
    its own to the runner, so that a first-come, first-served lane
    alternates between checksums.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.calls = []
        self.queued = []

    def runner(self, function, *args):
        """
        Queue a blocking call, run by L{drain} in the order they came.
        """
        done = Deferred()
        self.queued.append((done, function, args))
        return done

    def drain(self):
        while self.queued:
            done, function, args = self.queued.pop(0)
            self.calls.append(args[-2] if args[0] is diskhash.hashStep
                              else None)
            try:
                result = function(*args)
            except Exception:
                done.errback()
            else:
                done.callback(result)

    def bigFile(self, name, size):
        data = (name.encode("ascii") * size)[:size]
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)
        return hashlib.sha256(data).hexdigest()

    def test_steps(self):
        """
        A file of two and a half steps is read in three, and checksummed
        whole.
        """
        size = diskhash.HASH_STEP_SIZE * 5 // 2
        expected = self.bigFile("a", size)
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = shell.hash(("a",), "sha256")
        self.drain()
        self.assertEqual(self.successResultOf(hashing), expected)
        step = diskhash.HASH_STEP_SIZE
        self.assertEqual(self.calls, [None, 0, step, 2 * step])

    def test_alternate(self):
        """
        Two checksums at once take their steps in turn.
        """
        size = diskhash.HASH_STEP_SIZE * 2
        expected = [self.bigFile("a", size), self.bigFile("b", size)]
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = [shell.hash((name,), "sha256") for name in ("a", "b")]
        self.drain()
        self.assertEqual([self.successResultOf(each) for each in hashing],
                         expected)
        step = diskhash.HASH_STEP_SIZE
        self.assertEqual(self.calls, [None, None, 0, 0, step, step])

    def test_cancel(self):
        """
        A checksum cancelled during a step fails at once with
        C{CancelledError}, takes no further step once that one ends, and
        closes its file then, not under the step still reading it.
        """
        self.bigFile("a", diskhash.HASH_STEP_SIZE * 3)
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = shell.hash(("a",), "sha256")
        done, function, args = self.queued.pop(0)
        digest, fd, stop = function(*args)
        done.callback((digest, fd, stop))
        self.assertEqual(len(self.queued), 1)
        hashing.cancel()
        self.failureResultOf(hashing, CancelledError)
        os.fstat(fd)
        self.drain()
        self.assertEqual(self.calls, [0])
        self.assertRaises(OSError, os.fstat, fd)

    def test_shrank(self):
        """
        A file that ends before the range's end (truncated since it was
        opened, or whose size lied) fails with C{451}, not the digest of
        the bytes there were, and is closed.
        """
        self.bigFile("a", diskhash.HASH_STEP_SIZE * 2)
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = shell.hash(("a",), "sha256")
        done, function, args = self.queued.pop(0)
        digest, fd, stop = function(*args)
        done.callback((digest, fd, stop))
        os.truncate(os.path.join(self.root, "a"), 10)
        self.drain()
        failure = self.failureResultOf(hashing, LocalError)
        self.assertEqual(failure.value.message,
                         "File shrank during the checksum: read to byte 10"
                         " of %d" % (stop,))
        self.assertRaises(OSError, os.fstat, fd)
