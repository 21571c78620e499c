"""
The walk of a recursive listing (L{ftpkit.shells.treelisting.TreeListing})
over the local disk: each directory read as a plain listing of it is,
formatted where it is read (L{ftpkit.interfaces.IStatListing}) and from
the listings' cache (L{ftpkit.shells.cachedlistings}).
"""

import os
import sys
import time

from twisted.trial import unittest

from ftpkit.compat.inotify import Inotify
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingtree import TreeLimits
from ftpkit.shells import listingcache, sharedreads
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.disklistings import DiskListing
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listingcache import ListingCache
from ftpkit.shells.listings import linesReader
from ftpkit.shells.treelisting import TreeListing
from ftpkit.shells.wrappers import HideDotfilesShell

TREE = ("a/b/one", "a/b/two", "a/three", "a/.hidden", "c/four", "five",
        "c/d/six")
"""The files of the tree listed (their directories made with them)."""


def makeTree(root):
    """
    Make L{TREE} under C{root}, with a symbolic link to C{a} in C{c}.
    """
    for path in TREE:
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        open(full, "w").close()
    os.symlink("../a", os.path.join(root, "c", "toa"))


async def walk(shell, format, limits=None):
    """
    @param limits: the L{TreeLimits}, the defaults when C{None}.
    @return: the L{TreeListing} of C{shell}'s root, and its bytes.
    """
    limits = TreeLimits() if limits is None else limits
    first = await shell.openListing(())
    tree = TreeListing(first, (), ".", shell.openListing, shell.linkTargets,
                       limits)
    data = [tree.first()]
    while (step := await tree.nextFormattedBatch(format)) is not None:
        data.append(step)
    tree.close()
    return tree, b"".join(data)


async def plainListing(shell, path, format):
    """
    @return: the bytes of a plain listing of C{path}, as C{LIST} reads it.
    """
    listing = await shell.openListing(path)
    data = []
    while (step := await linesReader(listing)(format)) is not None:
        data.append(step)
    listing.close()
    return b"".join(data)


class DiskWalkTests(unittest.TestCase):
    """
    The walk reads each directory of the disk as C{LIST} of it does.
    """

    if not sys.platform.startswith("linux"):
        skip = "inotify is Linux's"

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        makeTree(self.root)
        self.cache = ListingCache(DirectoryWatcher(Inotify()))
        self.addCleanup(self.cache.close)
        self.patch(listingcache, "_shared", self.cache)
        self.patch(sharedreads, "MIN_ENTRIES", 1)
        self.now = time.time()

    async def test_linesOfPlainListings(self):
        """
        Each directory's section is what C{LIST} of it sends; a symbolic
        link to a directory is listed, not gone into.
        """
        shell = FilesystemShell(self.root)
        _, data = await walk(shell, ListFormat(self.now))
        expected = [b".:\r\n"]
        for path, text in [((), "."), (("a",), "./a"),
                           (("a", "b"), "./a/b"), (("c",), "./c"),
                           (("c", "d"), "./c/d")]:
            if path:
                expected.append(b"\r\n" + text.encode() + b":\r\n")
            expected.append(await plainListing(shell, path,
                                               ListFormat(self.now)))
        self.assertEqual(data, b"".join(expected))
        self.assertIn(b" toa\r\n", data)
        self.assertNotIn(b"./c/toa:", data)

    async def test_formattedWhereRead(self):
        """
        No directory's entries are described as C{FileInfo} values: each
        is formatted where it is read, C{LIST} and C{NLST} alike.
        """
        def described(listing):
            raise AssertionError("nextBatch asked of a disk listing")

        self.patch(DiskListing, "nextBatch", described)
        shell = FilesystemShell(self.root)
        tree, data = await walk(shell, NamesFormat())
        self.assertEqual(data.decode().split("\r\n"), [
            ".:", "a", "c", "five",
            "", "./a:", ".hidden", "b", "three",
            "", "./a/b:", "one", "two",
            "", "./c:", "d", "four", "toa",
            "", "./c/d:", "six", ""])
        self.assertFalse(tree.truncated)

    async def test_cached(self):
        """
        A directory's listing cached by C{LIST} is replayed by the walk,
        and the walk's by C{LIST}, the subdirectories still gone into;
        with dotfiles hidden too.
        """
        for shell in [FilesystemShell(self.root),
                      HideDotfilesShell(FilesystemShell(self.root))]:
            _, first = await walk(shell, ListFormat(self.now))
            hits = self.cache.hits
            _, again = await walk(shell, ListFormat(self.now))
            self.assertEqual(again, first)
            self.assertEqual(self.cache.hits - hits, 5)
            hits = self.cache.hits
            await plainListing(shell, ("a",), ListFormat(self.now))
            self.assertEqual(self.cache.hits - hits, 1)
        self.assertNotIn(b".hidden", again)

    async def test_namesCached(self):
        """
        C{NLST -R}'s names are cached too, under their own key: a second
        walk replays every directory's.
        """
        shell = FilesystemShell(self.root)
        _, first = await walk(shell, NamesFormat())
        hits = self.cache.hits
        _, again = await walk(shell, NamesFormat())
        self.assertEqual(again, first)
        self.assertEqual(self.cache.hits - hits, 5)

    async def test_entriesCut(self):
        """
        The entries limit cuts a directory's formatted lines, keeping the
        first by name.
        """
        shell = FilesystemShell(self.root)
        tree, data = await walk(shell, ListFormat(self.now),
                                TreeLimits(entries=5))
        lines = data.decode().split("\r\n")
        self.assertEqual([line.split()[-1] for line in lines if line],
                         [".:", "a", "c", "five", "./a:", ".hidden", "b"])
        self.assertTrue(tree.truncated)
