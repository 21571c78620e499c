"""
Recursive listings (C{LIST -R}, C{NLST -R}, C{LIST -lR}, C{LIST -aR})
through a real server on loopback: ftplib over the disk, memory and
fsspec shells and over FTPS, lftp's C{ls -R}, ncftpls's C{-R} (which
sends C{LIST -R}) and curl's C{-X "LIST -R"}; and the attacks: a symbolic
link loop, a tree ten thousand directories deep, a directory the user may
not list, a tree larger than the entries allowed.
"""

import ftplib
import os
import shutil

from fsspec.implementations.local import LocalFileSystem
from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.compat.inotify import Inotify
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.listingtree import TreeLimits
from ftpkit.shells import listingcache, sharedreads
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.shells.listingcache import ListingCache
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from tests.clienttrees import writeTree
from tests.ftpclient import ftplibLogin
from tests.integration.test_classic_transfers import ClassicClientsMixin
from tests.integration.test_streamedlistings import Realm
from tests.scratch import scratchDirectory
from tests.tlssupport import Certificates, clientContext, makeContextFactory

LFTP = shutil.which("lftp")
NCFTPLS = shutil.which("ncftpls")
CURL = shutil.which("curl")

TREE = {"a/b/c/deep.txt": b"deep\n", "a/f1.txt": b"one\n",
        "d/e/f2.txt": b"two\n", "top.txt": b"top\n"}

NAMES = [".:", "a", "d", "top.txt",
         "", "./a:", "b", "f1.txt",
         "", "./a/b:", "c",
         "", "./a/b/c:", "deep.txt",
         "", "./d:", "e",
         "", "./d/e:", "f2.txt"]
"""What C{NLST -R} of L{TREE} gives."""


def listLines(testCase, port, command, client=None, protect=False):
    """
    Log in as alice and send a listing command (blocking).

    @return: the final reply and the lines of the listing.
    """
    ftp = ftplibLogin(testCase, port, client=client, protect=protect)
    lines = []
    reply = ftp.retrlines(command, lines.append)
    ftp.quit()
    return reply, lines


def headsAndNames(lines):
    """
    @return: the lines of a C{LIST -R}, each entry's line cut to its name.
    """
    return [line.split()[-1] if len(line.split()) > 2 else line
            for line in lines]


def memoryShell(tree):
    """
    @return: a L{MemoryShell} holding C{tree} (relative paths to bytes).
    """
    return MemoryShell({"/" + name: data for name, data in tree.items()})


class RecursiveListingTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{LIST -R} and C{NLST -R} print as C{ls -R} does, over every shell.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        writeTree(self.root, TREE)

    def serve(self, shell, **settings):
        """
        Serve C{shell} to every user.

        @return: the server's port.
        """
        settings.setdefault("loginFailureDelay", 0)
        return self.startServer(Realm(shell), ServerConfig(**settings)).port

    async def assertTree(self, shell):
        """
        C{NLST -R} and C{LIST -lR} of L{TREE} on C{shell}, of C{/} and of
        a subdirectory; C{LIST} without C{-R} is as it was.
        """
        port = self.serve(shell)
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertEqual(reply, "226 Transfer complete")
        self.assertEqual(lines, NAMES)
        for command in ["LIST -lR", "LIST -R", "LIST -aR", "LIST -Rla"]:
            reply, lines = await threads.deferToThread(
                listLines, self, port, command)
            self.assertEqual(headsAndNames(lines), NAMES, command)
            self.assertTrue(lines[1].startswith("drwx"), lines)
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R /a/")
        self.assertEqual(lines, ["/a/:", "b", "f1.txt", "", "/a/b:", "c",
                                 "", "/a/b/c:", "deep.txt"])
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R ./a//b")
        self.assertEqual(lines, ["./a//b:", "c", "", "./a//b/c:",
                                 "deep.txt"])
        reply, lines = await threads.deferToThread(
            listLines, self, port, "LIST -l")
        self.assertEqual([line.split()[-1] for line in lines],
                         ["a", "d", "top.txt"])
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R a/*")
        self.assertEqual(lines, ["a/b", "a/f1.txt"])

    async def test_stat(self):
        """
        C{STAT -R} of a directory on the disk: its tree on the control
        connection, C{LIST -R}'s lines; of a pattern, its matches alone.
        """
        port = self.serve(FilesystemShell(self.root))

        def stat(argument):
            ftp = ftplibLogin(self, port)
            try:
                return ftp.sendcmd("STAT " + argument).split("\n")
            finally:
                ftp.quit()

        lines = await threads.deferToThread(stat, "-R")
        self.assertEqual(lines[0], "212-Status of /:")
        self.assertEqual(headsAndNames(lines[1:-1]), NAMES)
        self.assertEqual(lines[-1], "212 End of status")
        lines = await threads.deferToThread(stat, "-R a/*")
        self.assertEqual(headsAndNames(lines[1:-1]), ["b", "f1.txt"])

    def test_disk(self):
        """
        On the local disk.
        """
        return self.assertTree(FilesystemShell(self.root))

    def test_memory(self):
        """
        In memory.
        """
        return self.assertTree(memoryShell(TREE))

    def test_fsspec(self):
        """
        Through fsspec.
        """
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            self.root)
        self.addCleanup(shell.whenIdle)
        return self.assertTree(shell)

    async def test_off(self):
        """
        A depth of C{0} turns C{-R} off: the directory alone.
        """
        port = self.serve(FilesystemShell(self.root),
                          listingTreeLimits=TreeLimits(depth=0))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertEqual(lines, ["a", "d", "top.txt"])

    async def test_dashName(self):
        """
        Where a directory named C{-R} exists, C{NLST -R} lists it, as
        that name, not recursively.
        """
        writeTree(self.root, {"-R/x.txt": b"x", "-R/sub/y.txt": b"y"})
        port = self.serve(FilesystemShell(self.root))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertEqual(lines, ["-R/sub", "-R/x.txt"])


class RecursiveAttackTests(LoopbackServerMixin, unittest.TestCase):
    """
    A recursive listing stays bounded, inside the root, out of loops, and
    goes past what it may not read.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)

    def serve(self, shell, **settings):
        settings.setdefault("loginFailureDelay", 0)
        return self.startServer(Realm(shell), ServerConfig(**settings)).port

    def makeLoops(self):
        """
        Links to the root, to their own directory and out of the root.
        """
        writeTree(self.root, {"a/f.txt": b"f", "a/b/g.txt": b"g"})
        os.symlink("..", os.path.join(self.root, "a", "up"))
        os.symlink(".", os.path.join(self.root, "a", "b", "self"))
        os.symlink("/", os.path.join(self.root, "a", "slash"))

    async def assertLoopsListed(self, shell):
        port = self.serve(shell)
        reply, lines = await threads.deferToThread(
            listLines, self, port, "LIST -lR")
        self.assertEqual(reply, "226 Transfer complete")
        self.assertEqual(
            [line for line in lines if line.endswith(":")],
            [".:", "./a:", "./a/b:"])
        names = headsAndNames(lines)
        for name in ["up", "self", "slash"]:
            self.assertIn(name, names)

    def test_linkLoopDisk(self):
        """
        On disk, links are listed and never gone into: the listing ends,
        complete, having left the root nowhere.
        """
        self.makeLoops()
        return self.assertLoopsListed(FilesystemShell(self.root))

    def test_linkLoopFsspec(self):
        """
        Likewise through fsspec's local file system.
        """
        self.makeLoops()
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            self.root)
        self.addCleanup(shell.whenIdle)
        return self.assertLoopsListed(shell)

    async def test_deepTree(self):
        """
        A tree ten thousand directories deep is listed to the depth
        allowed, no deeper, and the reply says it was cut.
        """
        deep = "/".join(["d"] * 10000)
        port = self.serve(MemoryShell({"/" + deep + "/bottom.txt": b"x"}))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertTrue(reply.startswith("226 "), reply)
        self.assertIn("truncated", reply)
        headers = [line for line in lines if line.endswith(":")]
        self.assertEqual(len(headers), TreeLimits().depth + 1)
        self.assertEqual(headers[-1], "." + "/d" * TreeLimits().depth + ":")
        self.assertNotIn("bottom.txt", lines)

    async def test_deepDiskTree(self):
        """
        On disk, a tree deeper than the limit is cut at it.
        """
        directory = os.open(self.root, os.O_RDONLY)
        for _ in range(60):
            os.mkdir("d", dir_fd=directory)
            below = os.open("d", os.O_RDONLY, dir_fd=directory)
            os.close(directory)
            directory = below
        os.close(directory)
        port = self.serve(FilesystemShell(self.root),
                          listingTreeLimits=TreeLimits(depth=40))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertIn("truncated", reply)
        self.assertEqual(len([line for line in lines if line.endswith(":")]),
                         41)

    async def test_entries(self):
        """
        A tree of more entries than allowed stops at the limit, the reply
        saying so.
        """
        tree = {"%02d/%04d.txt" % (d, f): b"" for d in range(10)
                for f in range(300)}
        port = self.serve(memoryShell(tree),
                          listingTreeLimits=TreeLimits(entries=2000))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "LIST -R")
        self.assertIn("truncated", reply)
        entries = [line for line in lines if line and not line.endswith(":")]
        self.assertEqual(len(entries), 2000)

    async def test_unreadable(self):
        """
        A directory the user may not list shows its header alone; the
        walk goes on past it.
        """
        writeTree(self.root, {"open/a.txt": b"a", "secret/s.txt": b"s",
                              "secret/in/t.txt": b"t", "z/z.txt": b"z"})
        table = PermissionTable(PERMISSIONS, {("secret",): []})
        port = self.serve(PermissionShell(FilesystemShell(self.root), table))
        reply, lines = await threads.deferToThread(
            listLines, self, port, "NLST -R")
        self.assertEqual(reply, "226 Transfer complete")
        self.assertEqual(lines, [".:", "open", "secret", "z",
                                 "", "./open:", "a.txt",
                                 "", "./secret:",
                                 "", "./z:", "z.txt"])


class RecursiveTLSTests(Certificates, LoopbackServerMixin, unittest.TestCase):
    """
    Over FTPS (C{PROT P}), as in clear.
    """

    timeout = 60

    async def test_ftplib(self):
        """
        ftplib's C{LIST -R} on a protected data connection.
        """
        self.makeCertificates()
        root = scratchDirectory(self)
        writeTree(root, TREE)
        server = self.startServer(FilesystemRealm(root), ServerConfig(
            loginFailureDelay=0,
            tlsContextFactory=makeContextFactory(self.both)))
        reply, lines = await threads.deferToThread(
            listLines, self, server.port, "LIST -R",
            ftplib.FTP_TLS(context=clientContext()), True)
        self.assertEqual(reply, "226 Transfer complete")
        self.assertEqual(headsAndNames(lines), NAMES)


class RecursiveClientTests(ClassicClientsMixin, unittest.TestCase):
    """
    Real clients' recursive listings.
    """

    def setUp(self):
        ClassicClientsMixin.setUp(self)
        writeTree(self.root, TREE)

    def assertListed(self, output):
        lines = output.replace("\r\n", "\n").splitlines()
        self.assertEqual(headsAndNames(lines), NAMES, output)

    async def test_lftp(self):
        """
        lftp's C{ls -R} (it sends C{LIST -R}) prints the tree.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        done = await self.runClient([LFTP, "-c", (
            "set ftp:ssl-allow no; set net:max-retries 1; "
            "open -u alice,secret ftp://127.0.0.1:%d; ls -R"
            % self.server.port)], "")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertListed(done.stdout)

    async def test_ncftpls(self):
        """
        ncftpls's C{-R} (C{LIST -R}).
        """
        if NCFTPLS is None:
            raise unittest.SkipTest("ncftpls is not installed")
        done = await self.runClient([NCFTPLS, "-u", "alice", "-p", "secret",
                                     "-P", str(self.server.port), "-R",
                                     "ftp://127.0.0.1/"], "")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertListed(done.stdout)

    async def test_curl(self):
        """
        curl's C{-X "LIST -R"}.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        done = await self.runClient([CURL, "-sS", "--max-time", "50", "-u",
                                     "alice:secret", "-X", "LIST -R",
                                     "ftp://127.0.0.1:%d/"
                                     % self.server.port], "")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertListed(done.stdout)


class CachedRecursiveTests(RecursiveClientTests):
    """
    C{LIST -R} of the disk reads each directory as C{LIST} of it does,
    through the listings' cache (L{ftpkit.shells.listingcache}).
    """

    def setUp(self):
        cache = ListingCache(DirectoryWatcher(Inotify()))
        self.addCleanup(cache.close)
        self.patch(listingcache, "_shared", cache)
        self.patch(sharedreads, "MIN_ENTRIES", 1)
        self.cache = cache
        RecursiveClientTests.setUp(self)

    def lftp(self, commands):
        """
        Run lftp's C{commands}, its own cache off, logged in as alice.

        @return: a Deferred firing with its output.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")

        async def run():
            done = await self.runClient([LFTP, "-c", (
                "set ftp:ssl-allow no; set net:max-retries 1; "
                "set cache:enable no; "
                "open -u alice,secret ftp://127.0.0.1:%d; %s"
                % (self.server.port, commands))], "")
            self.assertEqual(done.returncode, 0, done.stderr)
            return done.stdout.replace("\r\n", "\n")
        return run()

    async def test_lftpCached(self):
        """
        lftp's C{ls -R} again replays every directory's listing from the
        cache, the same lines, the subdirectories still gone into; they
        are what C{ls} of each directory prints.
        """
        first = await self.lftp("ls -R")
        self.assertListed(first)
        hits = self.cache.hits
        again = await self.lftp("ls -R")
        self.assertEqual(again, first)
        self.assertEqual(self.cache.hits - hits, 6)
        sections = await self.lftp(
            "ls; echo; echo a:; ls a; echo; echo a/b:; ls a/b; echo;"
            " echo a/b/c:; ls a/b/c; echo; echo d:; ls d; echo; echo d/e:;"
            " ls d/e")
        self.assertEqual(again.replace("./", ""), ".:\n" + sections)
