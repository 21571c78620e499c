"""
Tests for L{ftpkit.shells.mountrepeats}: whether a walk may reach a
directory twice, by the mount table.
"""

from twisted.trial import unittest

from ftpkit.shells.mountrepeats import (
    mayRepeat,
    parseMountRoots,
    readMountRoots,
)

MOUNTINFO = (
    b"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    b"27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    b"30 27 8:1 /data/homes/alice /srv/ftp/alice rw - ext4 /dev/sda1 rw\n"
    b"31 27 8:1 /data/homes/bob /srv/ftp/b\\040b rw - ext4 /dev/sda1 rw\n"
    b"32 27 8:2 / /srv/ftp/disk rw - ext4 /dev/sda2 rw\n"
    b"short line\n"
)
"""A table: the root file system, two homes bind-mounted under
C{/srv/ftp} from elsewhere on it (one name with a space), and another
disk."""


class ParseTests(unittest.SynchronousTestCase):
    """
    L{parseMountRoots} and L{readMountRoots}.
    """

    def test_triples(self):
        """
        Each line's mount point, device and root, unescaped; lines it
        cannot read left out.
        """
        self.assertEqual(parseMountRoots(MOUNTINFO), [
            (b"/proc", b"0:21", b"/"),
            (b"/", b"8:1", b"/"),
            (b"/srv/ftp/alice", b"8:1", b"/data/homes/alice"),
            (b"/srv/ftp/b b", b"8:1", b"/data/homes/bob"),
            (b"/srv/ftp/disk", b"8:2", b"/"),
        ])

    def test_noTable(self):
        """
        No table: no mounts.
        """
        self.assertEqual(readMountRoots(self.mktemp()), [])


class MayRepeatTests(unittest.SynchronousTestCase):
    """
    L{mayRepeat}.
    """

    def setUp(self):
        self.mounts = parseMountRoots(MOUNTINFO)

    def test_apart(self):
        """
        Homes mounted from elsewhere on the root's file system, another
        disk: no directory is shown twice.
        """
        self.assertFalse(mayRepeat(self.mounts, b"/srv/ftp"))
        self.assertFalse(mayRepeat(self.mounts, b"/srv"))

    def test_rootItself(self):
        """
        A directory of the tree shown below it again: it may repeat.
        """
        mounts = self.mounts + [(b"/srv/ftp/alice/copy", b"8:1",
                                 b"/srv/ftp/disk2")]
        self.assertTrue(mayRepeat(mounts, b"/srv/ftp"))

    def test_ancestor(self):
        """
        An ancestor of the tree shown below it: it may repeat.
        """
        mounts = self.mounts + [(b"/srv/ftp/loop", b"8:1", b"/srv")]
        self.assertTrue(mayRepeat(mounts, b"/srv/ftp"))

    def test_insideHome(self):
        """
        A directory of a home mounted under the tree shown again below
        it: it may repeat.
        """
        mounts = self.mounts + [(b"/srv/ftp/x", b"8:1",
                                 b"/data/homes/alice/sub")]
        self.assertTrue(mayRepeat(mounts, b"/srv/ftp"))

    def test_sameDirectoryTwice(self):
        """
        One directory mounted twice below the tree: it may repeat.
        """
        mounts = self.mounts + [(b"/srv/ftp/y", b"8:2", b"/")]
        self.assertTrue(mayRepeat(mounts, b"/srv/ftp"))

    def test_otherDevice(self):
        """
        The same path of another file system: apart.
        """
        mounts = self.mounts + [(b"/srv/ftp/z", b"8:3", b"/srv/ftp")]
        self.assertFalse(mayRepeat(mounts, b"/srv/ftp"))

    def test_rootInsideBindMount(self):
        """
        A tree inside a bind mount: what it shows is the bind mount's
        directory from the tree down.
        """
        mounts = self.mounts + [(b"/srv/ftp/alice/in", b"8:1",
                                 b"/data/homes/alice/pub")]
        self.assertTrue(mayRepeat(mounts, b"/srv/ftp/alice"))
        self.assertFalse(mayRepeat(mounts, b"/srv/ftp/alice/other"))
