"""
Tests for L{ftpkit.shells.cachedopen.isCached} on file systems that cannot
tell (C{RWF_NOWAIT} refused with C{EOPNOTSUPP}: tmpfs), and the device
(C{st_dev}) a download's descriptor carries to it.
"""

import errno
import os

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.shells import cachedopen
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchRoot, writeLocal


class CannotTellTests(unittest.TestCase):
    """
    A device one of whose files refused C{RWF_NOWAIT} is not asked again;
    every other answer stays as it was.
    """

    def setUp(self):
        if cachedopen._RWF_NOWAIT is None:
            raise unittest.SkipTest("no RWF_NOWAIT here")
        self.patch(cachedopen, "_cannotTell", set())
        self.probes = []
        self.failure = None

        def preadv(fd, buffers, position, flags=0):
            self.probes.append((fd, position))
            if self.failure is not None:
                raise self.failure
            return 1
        self.patch(os, "preadv", preadv)

    def test_remembered(self):
        """
        After C{EOPNOTSUPP} the file counts as cached (as before), and the
        next file of that device is cached without a probe.
        """
        self.failure = OSError(errno.EOPNOTSUPP, "Operation not supported")
        self.assertTrue(cachedopen.isCached(5, 0, 10, 77))
        self.assertTrue(cachedopen.isCached(6, 0, 10, 77))
        self.assertEqual(self.probes, [(5, 0)])

    def test_otherDevice(self):
        """
        Another device is still asked, and may answer that its range is
        not in memory.
        """
        self.failure = OSError(errno.EOPNOTSUPP, "Operation not supported")
        cachedopen.isCached(5, 0, 10, 77)
        self.failure = BlockingIOError(errno.EAGAIN, "would block")
        self.assertFalse(cachedopen.isCached(6, 0, 10, 78))
        self.assertEqual(self.probes, [(5, 0), (6, 0)])

    def test_unknownDevice(self):
        """
        Without a device nothing is remembered: each call probes.
        """
        self.failure = OSError(errno.EOPNOTSUPP, "Operation not supported")
        self.assertTrue(cachedopen.isCached(5, 0, 10))
        self.assertTrue(cachedopen.isCached(5, 0, 10))
        self.assertEqual((len(self.probes), cachedopen._cannotTell), (2, set()))

    def test_otherFailure(self):
        """
        Another failure (C{EINVAL}) is a file's, not the device's: cached,
        as before, and the device is asked again.
        """
        self.failure = OSError(errno.EINVAL, "Invalid argument")
        self.assertTrue(cachedopen.isCached(5, 0, 10, 77))
        self.assertTrue(cachedopen.isCached(5, 0, 10, 77))
        self.assertEqual(len(self.probes), 2)


class ReaderDeviceTests(unittest.TestCase):
    """
    A file the filesystem shell opens for a download gives its device with
    its descriptor, whichever way it was opened.
    """

    def test_device(self):
        root = scratchRoot(self)
        writeLocal(os.path.join(root, b"f"), b"data")
        shell = FilesystemShell(root, runner=maybeDeferred)
        expected = os.stat(os.path.join(root, b"f")).st_dev
        cached = self.successResultOf(shell.openForReading(("f",)))
        self.addCleanup(cached.close)
        threaded = shell._openForReading(("f",), 0)
        self.addCleanup(threaded.close)
        self.assertEqual(
            [cached.descriptor().device, threaded.descriptor().device],
            [expected, expected])
