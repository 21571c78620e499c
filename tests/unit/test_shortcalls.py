"""
Tests for L{ftpkit.shells.shortcalls}: which file systems answer short
calls at once, and when a L{ShortCalls} runs them in the calling thread.
"""

from twisted.trial import unittest

from ftpkit.errors import NoSuchFile
from ftpkit.shells import shortcalls
from ftpkit.shells.shortcalls import ShortCalls, isLocal, parseMounts
from tests.scratch import scratchDirectory

MOUNTINFO = (
    b"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    b"23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw\n"
    b"24 22 0:5 / /dev/shm rw shared:3 - tmpfs tmpfs rw\n"
    b"25 22 0:40 / /srv/my\\040files rw - nfs4 host:/export rw\n"
    b"garbage\n"
    b"26 22 0:41 / /srv/ftp/scratch rw master:4 - tmpfs tmpfs rw\n"
)


class ParseMountsTests(unittest.TestCase):
    """
    L{parseMounts} reads C{/proc/self/mountinfo}.
    """

    def test_pointsAndTypes(self):
        """
        Each line gives its mount point (escapes undone) and its type,
        whatever optional fields come before the separator; lines it cannot
        read are left out.
        """
        self.assertEqual(parseMounts(MOUNTINFO), [
            (b"/", "ext4"), (b"/proc", "proc"), (b"/dev/shm", "tmpfs"),
            (b"/srv/my files", "nfs4"), (b"/srv/ftp/scratch", "tmpfs")])

    def test_readMountsMissing(self):
        """
        Without a mount table (not Linux), no mounts: nothing is local.
        """
        self.assertEqual(shortcalls.readMounts(self.mktemp()), [])
        self.assertFalse(isLocal([], b"/srv"))


class IsLocalTests(unittest.TestCase):
    """
    L{isLocal}: the file system holding a directory, and those below it.
    """

    def setUp(self):
        self.mounts = parseMounts(MOUNTINFO)

    def test_localDisk(self):
        """
        A directory on a local disk, or on a memory file system, is local,
        and so is one with a local file system mounted below it.
        """
        self.assertTrue(isLocal(self.mounts, b"/home/ftp"))
        self.assertTrue(isLocal(self.mounts, b"/dev/shm/x"))
        self.assertTrue(isLocal(self.mounts, b"/srv/ftp"))

    def test_network(self):
        """
        A directory on a network file system is not local, nor is one with
        a network file system mounted below it; one beside it is.
        """
        self.assertFalse(isLocal(self.mounts, b"/srv/my files/a"))
        self.assertFalse(isLocal(self.mounts, b"/srv"))
        self.assertTrue(isLocal(self.mounts, b"/srv/my"))

    def test_topmostMountCounts(self):
        """
        Of two mounts on one point, the later (on top) counts.
        """
        mounts = [(b"/data", "ext4"), (b"/data", "fuse.sshfs")]
        self.assertFalse(isLocal(mounts, b"/data/x"))
        self.assertTrue(isLocal(list(reversed(mounts)), b"/data/x"))

    def test_wholeTree(self):
        """
        Serving C{/} takes in C{/proc} and the like: not local.
        """
        self.assertFalse(isLocal(self.mounts, b"/"))


class ShortCallsTests(unittest.TestCase):
    """
    L{ShortCalls} runs a call at once where the file system is local and
    its calls have been quick.
    """

    def setUp(self):
        self.now = 100.0
        self.mountReads = 0
        self.mounts = [(b"/", "ext4")]
        self.mountChanges = 0
        self.asked = 0
        self.calls = ShortCalls(b"/srv/ftp", clock=lambda: self.now,
                                mounts=self.readMounts, changes=self.changes)

    def changes(self):
        self.asked += 1
        return self.mountChanges

    def readMounts(self):
        self.mountReads += 1
        return self.mounts

    def test_atOnce(self):
        """
        On a local file system the call runs at once: the Deferred has its
        result, or its failure.
        """
        self.assertEqual(
            self.successResultOf(self.calls(lambda a, b: a + b, 1, 2)), 3)

        def fails():
            raise NoSuchFile()
        self.failureResultOf(self.calls(fails), NoSuchFile)

    def test_notLocal(self):
        """
        On a network file system the call does not run: C{None}.
        """
        self.mounts = [(b"/", "ext4"), (b"/srv", "nfs")]
        ran = []
        self.assertIsNone(self.calls(ran.append, 1))
        self.assertEqual(ran, [])

    def test_declined(self):
        """
        A call raising L{shortcalls.Declined} did not run, as far as the
        caller knows: C{None}, for it to run the call in a disk thread.
        """
        def declines():
            raise shortcalls.Declined()
        self.assertIsNone(self.calls(declines))

    def slow(self):
        self.now += shortcalls.SLOW_CALL * 2
        return "done"

    def test_slowCallsPause(self):
        """
        After L{shortcalls.SLOW_IN_A_ROW} calls each slower than
        L{shortcalls.SLOW_CALL}, calls do not run at once for
        L{shortcalls.PAUSE} seconds; then they do again.
        """
        for _ in range(shortcalls.SLOW_IN_A_ROW):
            self.assertEqual(self.successResultOf(self.calls(self.slow)),
                             "done")
        self.assertIsNone(self.calls(lambda: None))
        self.now += shortcalls.PAUSE - 1
        self.assertIsNone(self.calls(lambda: None))
        self.now += 1
        self.assertIsNotNone(self.calls(lambda: None))

    def test_slowCallsBetweenQuickOnes(self):
        """
        Slow calls with quick ones between them (the reactor thread
        switched out now and then on a busy machine) do not pause; nor do
        calls that are just not slow.
        """
        def quick():
            self.now += shortcalls.SLOW_CALL / 2
        for _ in range(10):
            for _ in range(shortcalls.SLOW_IN_A_ROW - 1):
                self.calls(self.slow)
            self.calls(quick)
        self.assertIsNotNone(self.calls(lambda: None))

    def test_failingSlowCallsCount(self):
        """
        A slow call that fails counts as slow too.
        """
        def slowFailure():
            self.slow()
            raise NoSuchFile()
        for _ in range(shortcalls.SLOW_IN_A_ROW):
            self.failureResultOf(self.calls(slowFailure), NoSuchFile)
        self.assertIsNone(self.calls(lambda: None))

    def test_mountsReadAgain(self):
        """
        The mount table is read once per L{shortcalls.MOUNTS_MAX_AGE}
        seconds: a network file system mounted later is seen then.
        """
        self.calls(lambda: None)
        self.calls(lambda: None)
        self.assertEqual(self.mountReads, 1)
        self.mounts = [(b"/", "ext4"), (b"/srv/ftp/remote", "cifs")]
        self.now += shortcalls.MOUNTS_MAX_AGE
        self.assertIsNone(self.calls(lambda: None))
        self.assertEqual(self.mountReads, 2)


    def test_mountsReadOnChange(self):
        """
        The mount table is read again as soon as it changed: a FUSE file
        system mounted below the root a moment after the last read is
        seen at the next call.
        """
        self.calls(lambda: None)
        self.mounts = [(b"/", "ext4"), (b"/srv/ftp/mnt", "fuse")]
        self.mountChanges += 1
        self.assertIsNone(self.calls(lambda: None))
        self.assertEqual(self.mountReads, 2)
        self.assertIsNone(self.calls(lambda: None))
        self.assertEqual(self.mountReads, 2)

    def test_onDescriptorsTakesFreshReading(self):
        """
        L{ShortCalls.onDescriptors} takes the mount table's last reading
        while it is fresh, without asking whether the table changed (a
        mount since holds no descriptor opened before); the next call by
        path asks, and sees the mount.
        """
        self.calls(lambda: None)
        self.mounts = [(b"/", "ext4"), (b"/srv/ftp/mnt", "fuse")]
        self.mountChanges += 1
        self.assertEqual(
            self.successResultOf(self.calls.onDescriptors(lambda a: a, 7)), 7)
        self.assertEqual((self.asked, self.mountReads), (1, 1))
        self.assertIsNone(self.calls(lambda: None))
        self.assertEqual((self.asked, self.mountReads), (2, 2))

    def test_onDescriptorsOldReading(self):
        """
        With no reading yet, or one older than L{shortcalls.MOUNTS_MAX_AGE},
        L{ShortCalls.onDescriptors} reads the table as a call by path does.
        """
        self.assertIsNotNone(self.calls.onDescriptors(lambda: None))
        self.assertEqual(self.mountReads, 1)
        self.mounts = [(b"/", "nfs")]
        self.now += shortcalls.MOUNTS_MAX_AGE
        self.assertIsNone(self.calls.onDescriptors(lambda: None))
        self.assertEqual(self.mountReads, 2)

    def test_onDescriptorsNotLocalOrPaused(self):
        """
        L{ShortCalls.onDescriptors} runs nothing where the last reading was
        not local, nor during a pause after slow calls; a call that
        declines, or is slow, counts as with L{ShortCalls.__call__}.
        """
        self.mounts = [(b"/", "nfs")]
        self.calls(lambda: None)
        self.assertIsNone(self.calls.onDescriptors(lambda: 1 / 0))
        self.mounts = [(b"/", "ext4")]
        self.now += shortcalls.MOUNTS_MAX_AGE
        for _ in range(shortcalls.SLOW_IN_A_ROW):
            self.successResultOf(self.calls.onDescriptors(self.slow))
        self.assertIsNone(self.calls.onDescriptors(lambda: 1 / 0))

        def declines():
            raise shortcalls.Declined()
        self.now += shortcalls.PAUSE
        self.assertIsNone(self.calls.onDescriptors(declines))
        self.failureResultOf(self.calls.onDescriptors(lambda: 1 / 0),
                             ZeroDivisionError)


class MountChangesTests(unittest.TestCase):
    """
    L{shortcalls.MountChanges} counts the changes of the mount table.
    """

    def test_unchanged(self):
        """
        Asked twice with no mount between, the count is the same; a table
        that cannot be opened counts nothing.
        """
        changes = shortcalls.MountChanges()
        self.assertEqual(changes.count(), changes.count())
        self.assertEqual(shortcalls.MountChanges(self.mktemp()).count(), 0)

    def test_mounted(self):
        """
        A file system mounted since the last question changes the count.
        """
        from tests.smallmounts import smallFilesystem
        changes = shortcalls.MountChanges()
        before = changes.count()
        smallFilesystem(self)
        self.assertNotEqual(changes.count(), before)


class FreesMuchTests(unittest.TestCase):
    """
    L{shortcalls.freesMuch} tells a file whose blocks take long to free.
    """

    def test_sizes(self):
        """
        A missing path, C{None}, a small file and a large sparse one free
        little; a file holding more than L{shortcalls.FREES_LITTLE} bytes
        on disk frees much.
        """
        directory = scratchDirectory(self).encode()
        small, sparse, large = (directory + name
                                for name in (b"/small", b"/sparse", b"/large"))
        with open(small, "wb") as f:
            f.write(b"x" * 4096)
        with open(sparse, "wb") as f:
            f.truncate(shortcalls.FREES_LITTLE * 4)
        with open(large, "wb") as f:
            f.write(b"x" * (shortcalls.FREES_LITTLE + 65536))
        self.assertEqual(
            [shortcalls.freesMuch(path) for path in
             (None, directory + b"/missing", small, sparse, large)],
            [False, False, False, False, True])
