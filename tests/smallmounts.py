"""
Small file systems for the tests of storage failures: a C{tmpfs} of a
few blocks or inodes, mounted under the test's own temporary directory
(root only; a test skips where mounting is not permitted) and unmounted
when the test ends; and bind mounts of the test's directories
(L{bindMount}).
"""

import os
import subprocess

from twisted.trial.unittest import SkipTest


def smallFilesystem(testCase, size="1m", inodes=None, point=None):
    """
    Mount a new C{tmpfs} for C{testCase}, unmounted (lazily, so that a
    server's descriptor still open cannot keep it) when the test ends.

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @param size: the file system's size, as C{mount -o size=} takes it.
    @param inodes: the most files and directories it holds (its root
        counts as one), or C{None} for C{tmpfs}'s default.
    @param point: an empty directory to mount it on (left when the test
        ends), or C{None} for a new one of the test's.
    @return: the mount point's absolute path, L{str}.
    @raise SkipTest: when this process may not mount one.
    """
    if os.geteuid() != 0:
        raise SkipTest("mounting a tmpfs needs root")
    made = point is None
    if made:
        point = os.path.abspath(testCase.mktemp())
        os.makedirs(point)
    options = f"size={size}"
    if inodes is not None:
        options += f",nr_inodes={inodes}"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                           point], capture_output=True)
    if done.returncode != 0:
        if made:
            os.rmdir(point)
        raise SkipTest(f"cannot mount a tmpfs: {done.stderr!r}")
    testCase.addCleanup(_unmount, point, made)
    return point


def remount(point, options):
    """
    Change the options of a file system L{smallFilesystem} mounted.

    @param point: its mount point.
    @param options: the options, as C{mount -o remount,} takes them
        (C{"ro"}, C{"rw"}, C{"size=2m"}).
    """
    subprocess.run(["mount", "-o", "remount," + options, point], check=True,
                   capture_output=True)


def _unmount(point, made=True):
    """
    Unmount C{point} and remove the directory it leaves, where
    L{smallFilesystem} C{made} it.
    """
    subprocess.run(["umount", "-l", point], check=True, capture_output=True)
    if made:
        os.rmdir(point)


def bindMount(testCase, source, point):
    """
    Show the directory C{source} at C{point} too (C{mount --bind}) for
    C{testCase}, unmounted (lazily, with whatever the mount propagated
    below it) when the test ends.

    @param testCase: the running test.
    @param source: the directory shown, L{str} or C{bytes}.
    @param point: an existing directory to show it on, L{str} or
        C{bytes}.
    @raise SkipTest: when this process may not mount.
    """
    if os.geteuid() != 0:
        raise SkipTest("a bind mount needs root")
    done = subprocess.run(["mount", "--bind", os.fsdecode(source),
                           os.fsdecode(point)], capture_output=True)
    if done.returncode != 0:
        raise SkipTest(f"cannot bind-mount: {done.stderr!r}")
    testCase.addCleanup(_unmount, os.fsdecode(point), False)
