"""
The fixture of the tests of uploads that open their target's directory
without walking the path (L{ftpkit.shells.diskpaths.Jail.openParent}):
a scratch root holding the directory C{a/b} (L{parentRoot}), and the
count of this process's open descriptors, which shows that none was left
open (L{openDescriptors}).
"""

import gc
import os

from twisted.trial import unittest

from ftpkit.shells import cachedopen
from tests.scratch import scratchRoot

DIRECTORY = os.O_RDONLY | os.O_DIRECTORY
"""The flags a directory is opened with."""


def openDescriptors(collect=False):
    """
    @param collect: whether to collect garbage first, so that a file
        object no longer referred to has closed its descriptor.
    @return: how many descriptors this process has open.
    """
    if collect:
        gc.collect()
    return len(os.listdir("/proc/self/fd"))


def parentRoot(testCase):
    """
    Make a scratch root (L{scratchRoot}) holding the directory C{a/b}; skip
    C{testCase} where the root cannot be opened as
    L{ftpkit.shells.diskpaths.Jail.openParent} opens it (no C{openat2}).

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @return: C{(root, directory)}: the root's and C{a/b}'s absolute paths,
        C{bytes}.
    """
    root = scratchRoot(testCase)
    fd = cachedopen.openCached(root, DIRECTORY)
    if fd is None:
        raise unittest.SkipTest("no openat2 here")
    os.close(fd)
    directory = os.path.join(root, b"a", b"b")
    os.makedirs(directory)
    return root, directory
