"""
A scratch directory of files, served under a listings' cache of the
test's own (L{ftpkit.shells.listingcache}), patched in as the process's
for the test's loopback server.
"""

import os

from ftpkit.compat.inotify import Inotify
from ftpkit.shells import listingcache
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.listingcache import ListingCache
from tests.scratch import scratchDirectory


def cachedDirectory(testCase, files):
    """
    Make a scratch root holding a directory C{d} of files, and a
    listings' cache that the process uses until the test ends.

    @param testCase: the running test (its C{patch} and C{addCleanup}).
    @param files: C{(name, size, mtime)} of each file of C{d}.
    @return: C{(root, directory, cache)}: their paths and the
        L{ListingCache}.
    """
    root = scratchDirectory(testCase)
    directory = os.path.join(root, "d")
    os.mkdir(directory)
    for name, size, mtime in files:
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(b"x" * size)
        os.utime(path, (mtime, mtime))
    cache = ListingCache(DirectoryWatcher(Inotify()))
    testCase.addCleanup(cache.close)
    testCase.patch(listingcache, "_shared", cache)
    return root, directory, cache
