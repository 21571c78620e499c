"""
C{LIST -t}, C{-tr} and C{-r} (and C{NLST}'s) over real loopback
sockets: newest first,
entries of one time by name, as C{ls} sorts, whether the directory's
listing is read from the disk (the listings' cache off, or cold) or
replayed from the cache (warm), and after a change the cache must see:
a file's time set (an event on the directory), a subdirectory's time
changed by what is made in it (no event on the directory listed); on the
disk and on fsspec's C{memory://}.

A local directory's sorted listing is read as C{LIST} reads it, its
lines formatted where its entries are read (no
L{ftpkit.fileinfo.FileInfo} an entry: L{ftpkit.protocol.orderedlines}),
and cached as C{LIST}'s lines are.
"""

import io
import os
import sys
import time
import uuid

from fsspec.implementations.memory import MemoryFileSystem
from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import listingcache
from ftpkit.shells.disklistings import DiskListing
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.fsspecshell import FsspecShell
from tests.cachedtrees import cachedDirectory
from tests.ftpclient import ftplibLogin
from tests.integration.test_streamedlistings import Realm

FILES = 40
"""Files in the listed directory: more than the cache's least
(L{ftpkit.shells.sharedreads.MIN_ENTRIES})."""

BASE = 1600000000
"""The time the files' times start from."""

NEWEST = BASE + 10 ** 7
"""A time after every file's, before the tests run."""


def fileTime(number):
    """
    @param number: a file's number.
    @return: its modification time: three files a time, so that times
        tie and entries of one time sort by name.
    """
    return BASE + (number // 3) * 100


def listLines(testCase, port, command):
    """
    Log in, send a listing command and read its lines (blocking).

    @return: the final reply and the lines.
    """
    ftp = ftplibLogin(testCase, port)
    lines = []
    reply = ftp.retrlines(command, lines.append)
    ftp.quit()
    return reply, lines


def ordered(times, letters):
    """
    @param times: C{{name: modification time}}.
    @param letters: the options: C{t} newest first (one time by name),
        else by name; C{r} reversed.
    @return: the names in that order.
    """
    if "t" in letters:
        names = sorted(times, key=lambda name: (-times[name], name))
    else:
        names = sorted(times)
    return names[::-1] if "r" in letters else names


class SortedListingMixin(LoopbackServerMixin):
    """
    A directory C{d} of L{FILES} files on a shell the test case makes
    (C{makeShell}), listed sorted; C{setTime(name, when)} sets a file's
    time, and C{times()} gives every entry's.
    """

    timeout = 120

    def serve(self):
        """
        Serve C{makeShell}'s shell to every user.
        """
        self.port = self.startServer(
            Realm(self.makeShell()), ServerConfig(loginFailureDelay=0)).port

    async def lines(self, command):
        """
        @return: the lines of a listing, having checked that it ended
            with C{226}.
        """
        reply, lines = await threads.deferToThread(
            listLines, self, self.port, command)
        self.assertEqual(reply[:3], "226", reply)
        return lines

    async def names(self, command):
        """
        @return: the names of a listing's lines, in order.
        """
        return [line.split()[-1] for line in await self.lines(command)]

    async def assertOrders(self):
        """
        C{LIST -t}, C{-ltr}, C{-r} and C{-lt} of C{d} list its entries in
        the order of their times now, each twice (from the cache the
        second time, where there is one); their lines are those of a
        plain C{LIST}.
        """
        times = self.times()
        for letters in ["t", "ltr", "r", "lt"]:
            for _ in range(2):
                self.assertEqual(await self.names(f"LIST -{letters} d"),
                                 ordered(times, letters), letters)
        self.assertEqual(sorted(await self.lines("LIST -t d")),
                         sorted(await self.lines("LIST d")))

    async def test_order(self):
        """
        Newest first, one time by name; reversed.
        """
        await self.assertOrders()

    async def test_names(self):
        """
        C{NLST -t}, C{-tr} and C{-r} send the names in the order of
        C{LIST}'s (they were sent by name), each twice (from the cache the
        second time, where there is one), of the directory and of a
        pattern's matches.
        """
        times = self.times()
        for letters in ["t", "tr", "r"]:
            names = ["d/" + name for name in ordered(times, letters)]
            for _ in range(2):
                self.assertEqual(await self.lines(f"NLST -{letters} d"),
                                 names, letters)
                self.assertEqual(
                    await self.lines(f"NLST -{letters} d/f1*"),
                    [name for name in names if name.startswith("d/f1")],
                    letters)

    async def test_fileTimeChanged(self):
        """
        A file whose time is set after a sorted listing moves in the next
        one: the order listed before is not used again.
        """
        await self.assertOrders()
        await self.setTime("f07", NEWEST)
        await self.assertOrders()
        self.assertEqual((await self.names("LIST -t d"))[0], "f07")


class DiskSortedListingTests(SortedListingMixin, unittest.TestCase):
    """
    On the disk, with the listings' cache; a subdirectory C{sub} among
    the files.
    """

    if not sys.platform.startswith("linux"):
        skip = "the listings' cache watches with inotify, Linux's"

    def setUp(self):
        self.root, self.directory, self.cache = cachedDirectory(self, [
            (f"f{number:02d}", number, fileTime(number))
            for number in range(FILES)])
        os.mkdir(os.path.join(self.directory, "sub"))
        os.utime(os.path.join(self.directory, "sub"),
                 (fileTime(20), fileTime(20)))
        self.serve()

    def makeShell(self):
        return FilesystemShell(self.root)

    async def setTime(self, name, when):
        os.utime(os.path.join(self.directory, name), (when, when))

    def times(self):
        return {name: os.lstat(os.path.join(self.directory, name)).st_mtime
                for name in os.listdir(self.directory)}

    async def test_cached(self):
        """
        The sorted listing is cached: listed again, it is replayed.
        """
        await self.names("LIST -t d")
        hits = self.cache.hits
        await self.names("LIST -t d")
        self.assertGreater(self.cache.hits, hits)

    async def test_oneCopy(self):
        """
        Listed in every order (C{-t}, C{-r}, C{-ltr}, C{NLST -t}), the
        directory is cached once as sorted records: it was cached again
        for C{-r}, a second copy of every line.
        """
        for letters in ["LIST -t", "LIST -r", "LIST -ltr", "NLST -t"]:
            await self.lines(letters + " d")
        self.assertEqual(self.cache.entries, 1)

    async def test_subdirectoryChanged(self):
        """
        A subdirectory whose time changes as a file is made in it (no
        event on the directory listed) moves in the next sorted listing,
        cached or not.
        """
        await self.assertOrders()
        with open(os.path.join(self.directory, "sub", "new"), "wb"):
            pass
        self.assertGreater(self.times()["sub"], time.time() - 3600)
        await self.assertOrders()
        self.assertEqual((await self.names("LIST -t d"))[0], "sub")

    async def test_noFileInfo(self):
        """
        No entry is described as a L{ftpkit.fileinfo.FileInfo} value (what
        made a sorted listing cost some hundred times a plain one): the
        lines are formatted where the entries are read, with the cache
        and without.
        """
        def described(listing):
            raise AssertionError("nextBatch asked of a disk listing")

        self.patch(DiskListing, "nextBatch", described)
        await self.assertOrders()
        self.patch(listingcache, "_shared", None)
        await self.assertOrders()


class MemorySortedListingTests(SortedListingMixin, unittest.TestCase):
    """
    On fsspec's C{memory://}, its times set with C{MFMT}.
    """

    def setUp(self):
        self.fs = MemoryFileSystem(skip_instance_cache=True)
        self.root = "/sorted-" + uuid.uuid4().hex
        self.fs.mkdir(self.root + "/d")
        self.addCleanup(self.fs.rm, self.root, recursive=True)
        self.serve()
        self.fileTimes = {}
        return threads.deferToThread(self.fill)

    def fill(self):
        """
        Make the files through FTP and set their times (blocking).
        """
        ftp = ftplibLogin(self, self.port)
        for number in range(FILES):
            name = f"f{number:02d}"
            ftp.storbinary(f"STOR d/{name}", io.BytesIO(b"x" * number))
            self.mfmt(ftp, name, fileTime(number))
        ftp.quit()

    def mfmt(self, ftp, name, when):
        """
        Set a file's time with C{MFMT} (blocking).
        """
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(when))
        self.assertEqual(ftp.sendcmd(f"MFMT {stamp} d/{name}")[:3], "213")
        self.fileTimes[name] = when

    def makeShell(self):
        return FsspecShell(self.fs, self.root)

    async def setTime(self, name, when):
        def mfmt():
            ftp = ftplibLogin(self, self.port)
            self.mfmt(ftp, name, when)
            ftp.quit()
        await threads.deferToThread(mfmt)

    def times(self):
        return dict(self.fileTimes)
