"""
A pattern's C{LIST} (C{LIST d/*.txt}, C{LIST -t d/*}; and C{STAT}'s
listings) over a local
directory the listings' cache holds is that directory's cached listing
filtered by the pattern (L{ftpkit.control.handlers.listed}): no
L{ftpkit.fileinfo.FileInfo} made an entry, and a change to the directory,
through FTP or on the disk, seen by the next listing at once. It was
matched and described entry by entry at each listing, some 40 times the
cost of the directory's own cached C{LIST}.
"""

import os
import sys

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.disklistings import DiskListing
from ftpkit.shells.filesystem import FilesystemShell
from tests.cachedtrees import cachedDirectory
from tests.ftpclient import ftplibLogin, listingLines
from tests.integration.test_streamedlistings import Realm

NAMES = ["f%02d.dat" % number for number in range(40)] + [
    "a.txt", "b.txt", "c.txt", ".hidden.txt"]
"""The directory's files: more than the cache's least
(L{ftpkit.shells.sharedreads.MIN_ENTRIES})."""


class ListingSessions:
    """
    Sessions of a test's loopback server (its C{port}).
    """

    def session(self, *commands):
        """
        Log in and send C{commands}: listings (C{LIST}, C{NLST}), whose
        lines are read, or others (blocking, in a thread).

        @return: a Deferred firing with each listing's lines (or its
            error reply's text), and each other command's reply.
        """
        def run():
            ftp = ftplibLogin(self, self.port)
            results = []
            for command in commands:
                results.append(listingLines(ftp, command)
                               if command.startswith(("LIST", "NLST"))
                               else ftp.sendcmd(command))
            ftp.quit()
            return results
        return threads.deferToThread(run)


class PatternCacheTests(ListingSessions, LoopbackServerMixin,
                        unittest.TestCase):
    """
    C{LIST} of a pattern in C{d}, on the disk, with the listings' cache.
    """

    timeout = 120

    if not sys.platform.startswith("linux"):
        skip = "the listings' cache watches with inotify, Linux's"

    def setUp(self):
        self.root, self.directory, self.cache = cachedDirectory(self, [
            (name, number, 1600000000 + 100 * (number % 7))
            for number, name in enumerate(NAMES)])
        self.port = self.startServer(Realm(FilesystemShell(self.root)),
                                     ServerConfig(loginFailureDelay=0)).port

    def readsNothing(self, *methods):
        """
        Make the disk listing's C{methods}, which read the directory's
        entries or names, fail the test from now on.
        """
        def read(listing):
            raise AssertionError("the directory was read")

        for method in methods:
            self.patch(DiskListing, method, read)

    async def test_fromCache(self):
        """
        Once C{LIST d} is cached, C{LIST d/*.txt} comes from the cache,
        the lines of C{LIST d} that it matches (not the dotfile's), its
        entries never described as values.
        """
        [whole] = await self.session("LIST d")

        self.readsNothing("nextBatch", "nextNames")
        hits = self.cache.hits
        [matched, again] = await self.session("LIST d/*.txt",
                                               "LIST d/*.txt")
        self.assertEqual(self.cache.hits, hits + 2)
        self.assertEqual(matched, [line for line in whole if line.endswith(
            (" a.txt", " b.txt", " c.txt"))])
        self.assertEqual(again, matched)
        [dotted, none] = await self.session("LIST d/.h*", "LIST d/x*")
        self.assertEqual([line.split()[-1] for line in dotted],
                         [".hidden.txt"])
        self.assertTrue(none.startswith("550 "), none)

    async def test_patternsAlone(self):
        """
        A directory listed by patterns alone is cached by the first: the
        next, of another pattern, comes from the cache, its names never
        read from the directory.
        """
        [first] = await self.session("LIST d/*.txt")

        self.readsNothing("nextNames")
        hits = self.cache.hits
        [dat, txt] = await self.session("LIST d/f0*", "LIST d/*.txt")
        self.assertEqual(self.cache.hits, hits + 2)
        self.assertEqual(len(dat), 10)
        self.assertEqual(txt, first)

    async def test_status(self):
        """
        C{STAT} of the directory, and of a pattern in it, come from the
        cache too (as sorted records, read as C{LIST -t}'s), their lines
        those of C{LIST}, in name order or newest first.
        """
        [whole, newest] = await self.session("LIST d", "LIST -t d")

        self.readsNothing("nextBatch", "nextNames")
        hits = self.cache.hits
        replies = await self.session("STAT d", "STAT d/*.txt", "STAT -t d")
        self.assertEqual(self.cache.hits, hits + 3)
        self.assertEqual([reply.split("\n")[1:-1] for reply in replies], [
            whole, [line for line in whole if line.endswith(".txt")
                    and not line.endswith(" .hidden.txt")], newest])

    async def test_hiddenDotfiles(self):
        """
        Under C{--hide-dotfiles}, whose listing filters the disk's, a
        pattern's C{LIST} comes from the cache as well, without the
        dotfiles: a pattern naming them alone matches nothing (C{550}).
        """
        self.port = self.startServer(
            Realm(FilesystemShell(self.root)),
            ServerConfig(loginFailureDelay=0, hideDotfiles=True)).port
        [whole] = await self.session("LIST d")

        self.readsNothing("nextNames")
        hits = self.cache.hits
        [txt, dotted] = await self.session("LIST d/*.txt", "LIST d/.h*")
        self.assertGreater(self.cache.hits, hits)
        self.assertEqual(txt, [line for line in whole
                               if line.endswith(".txt")])
        self.assertTrue(dotted.startswith("550 "), dotted)

    async def test_ordered(self):
        """
        C{LIST -t} and C{-r} of a pattern, from the cache, sort its
        matches as those of the directory's listing.
        """
        await self.session("LIST d")
        for letters in ["t", "r", "tr"]:
            [whole, matched] = await self.session(f"LIST -{letters} d",
                                                  f"LIST -{letters} d/f1*")
            self.assertEqual(matched, [line for line in whole
                                       if line.split()[-1][:2] == "f1"])
            self.assertEqual(len(matched), 10)

    async def test_changesSeen(self):
        """
        A change to the directory, through FTP by another session or on
        the disk, shows in the next listing of the pattern at once.
        """
        await self.session("LIST d", "LIST d/*.txt")
        [_, _, listed] = await self.session("DELE d/a.txt", "MKD d/new.txt",
                                            "LIST d/*.txt")
        self.assertEqual([line.split()[-1] for line in listed],
                         ["b.txt", "c.txt", "new.txt"])
        os.rename(os.path.join(self.directory, "b.txt"),
                  os.path.join(self.directory, "z.dat"))
        with open(os.path.join(self.directory, "c.txt"), "ab") as f:
            f.write(b"12345")
        [listed] = await self.session("LIST d/*.txt")
        self.assertEqual([line.split()[-1] for line in listed],
                         ["c.txt", "new.txt"])
        self.assertEqual(listed[0].split()[4],
                         str(NAMES.index("c.txt") + 5))


class LiteralGoneTests(ListingSessions, LoopbackServerMixin,
                       unittest.TestCase):
    """
    A name starting with C{"-"} that exists is listed as written rather
    than read as options (L{ftpkit.control.handlers.listed}); when it is
    gone by the time it is looked at again (its pattern's matches are
    listed then), what is sent is chosen from that one decision: no
    options, so the matches in name order and in C{LIST}'s format. The
    format was chosen from the options before findListed decided, so a
    file named C{-t *.txt} removed between the two looks had the cached
    directory's matches sent as the internal records of C{LIST -t}.
    """

    timeout = 120

    if not sys.platform.startswith("linux"):
        skip = "the listings' cache watches with inotify, Linux's"

    def setUp(self):
        self.root, self.directory, self.cache = cachedDirectory(self, [
            ("-t a.txt", 1, 1600000000), ("-t b.txt", 2, 1600000100),
            ("other.dat", 3, 1600000200)])
        self.port = self.startServer(Realm(FilesystemShell(self.root)),
                                     ServerConfig(loginFailureDelay=0)).port
        self.vanishing = []

    def arm(self):
        """
        Make the file C{d/-t *.txt}, removed once its first C{stat} has
        answered (L{vanishing}): the next finds nothing there, as if
        another session had deleted it in between. (The disk shell's
        class is patched, not subclassed: a class outside ftpkit is held
        to the shell's contract, whose listings format nothing.)
        """
        path = ("d", "-t *.txt")
        with open(os.path.join(self.root, *path), "wb"):
            pass
        self.vanishing.append(path)
        stat = FilesystemShell.stat

        def vanishing(shell, asked):
            result = stat(shell, asked)
            if asked in self.vanishing:
                self.vanishing.remove(asked)
                result.addCallback(self._remove, asked)
            return result

        self.patch(FilesystemShell, "stat", vanishing)

    def _remove(self, info, path):
        os.unlink(os.path.join(self.root, *path))
        return info

    async def test_list(self):
        """
        C{LIST -t *.txt} in C{d}, its file C{-t *.txt} gone after the
        first look: the lines of C{-t a.txt} and C{-t b.txt} (the
        pattern C{-t *.txt} matches), in name order, as C{LIST} sends
        them.
        """
        [whole] = await self.session("LIST d")
        self.arm()
        [_, listed] = await self.session("CWD d", "LIST -t *.txt")
        self.assertEqual(self.vanishing, [])
        self.assertEqual(listed, whole[:2])

    async def test_nlst(self):
        """
        C{NLST -t *.txt} likewise: the names in name order, not newest
        first.
        """
        await self.session("LIST d")
        self.arm()
        [_, listed] = await self.session("CWD d", "NLST -t *.txt")
        self.assertEqual(self.vanishing, [])
        self.assertEqual(listed, ["-t a.txt", "-t b.txt"])
