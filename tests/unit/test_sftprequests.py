"""
The SFTP requests the fsspec shell sends per command on C{sftp://}
(L{ftpkit.shells.fsspecsftp}): counted on a fake SFTP client serving a
scratch directory, as OpenSSH's server would.
"""

import os
from collections import Counter

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.compat.fsspecnames import decodedPublicly
from ftpkit.errors import PermissionDenied
from ftpkit.shells.fsspecposix import SFTPBackend
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.testing import readFile


class CountingClient:
    """
    The paramiko C{SFTPClient} calls the SFTP backend makes, on the local
    disk, each counted: C{normalize} (C{REALPATH}, which fails for a path
    leading nowhere or in a loop, as OpenSSH's), C{lstat}, C{readlink},
    C{remove}, C{posix_rename}.

    @ivar counts: a L{Counter} of the calls, by name.
    """

    def __init__(self):
        self.counts = Counter()

    def normalize(self, path):
        self.counts["normalize"] += 1
        return os.path.realpath(path, strict=True)

    def lstat(self, path):
        self.counts["lstat"] += 1
        return os.lstat(path)

    def readlink(self, path):
        self.counts["readlink"] += 1
        return os.readlink(path)

    def remove(self, path):
        self.counts["remove"] += 1
        os.remove(path)

    def posix_rename(self, source, target):
        self.counts["posix_rename"] += 1
        os.rename(source, target)


class CountingFilesystem:
    """
    What the fsspec shell calls of fsspec's SFTP filesystem, over a
    L{CountingClient} (C{ls} is one C{READDIR} of the directory, C{open}
    one C{OPEN}).

    @ivar ftp: the L{CountingClient}.
    """

    protocol = ("sftp", "ssh")
    root_marker = ""

    def __init__(self):
        self.ftp = CountingClient()

    def ls(self, path, detail=True):
        self.ftp.counts["readdir"] += 1
        return [dict(decodedPublicly(os.lstat(entry.path)), name=entry.path)
                for entry in os.scandir(path)]

    def open(self, path, mode="rb", **options):
        self.ftp.counts["open"] += 1
        return open(path, mode)

    def mv(self, source, target):
        self.ftp.posix_rename(source, target)


class RequestsTests(unittest.TestCase):
    """
    Each command resolves each path it names once (C{REALPATH}) and looks
    at each entry once (C{LSTAT}): the shell resolved a path again for
    each lookup and the act (C{RNTO}: five C{REALPATH}s and four
    C{LSTAT}s before the rename), and checked with C{LSTAT} that a path
    the server's C{REALPATH} gave was no link, which it cannot be.
    """

    def setUp(self):
        self.root = os.path.realpath(self.mktemp())
        os.makedirs(os.path.join(self.root, "d"))
        for name in ("f", "d/g"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(b"bytes")
        os.symlink("/", os.path.join(self.root, "out"))
        self.fs = CountingFilesystem()
        self.shell = FsspecShell(self.fs, self.root,
                                 backend=SFTPBackend("SFTP"))
        self.counts = self.fs.ftp.counts
        return self.shell.stat(())

    @defer.inlineCallbacks
    def counted(self, call, *args):
        """
        @return: a Deferred firing with C{(result, counts)}: what C{call}
            gave, and the calls of the SFTP client it made.
        """
        self.counts.clear()
        result = yield call(*args)
        yield self.shell.whenIdle()
        return result, dict(self.counts)

    @defer.inlineCallbacks
    def test_stat(self):
        """
        C{CWD} and C{SIZE}: a C{REALPATH} and an C{LSTAT}.
        """
        info, counts = yield self.counted(self.shell.stat, ("d",))
        self.assertTrue(info.isDirectory)
        self.assertEqual(counts, {"normalize": 1, "lstat": 1})
        info, counts = yield self.counted(self.shell.stat, ("d", "g"))
        self.assertEqual(info.size, 5)
        self.assertEqual(counts, {"normalize": 1, "lstat": 1})

    @defer.inlineCallbacks
    def test_read(self):
        """
        C{RETR}: a C{REALPATH}, an C{LSTAT} and the C{OPEN}.
        """
        data, counts = yield self.counted(readFile, self.shell, ("f",))
        self.assertEqual(data, b"bytes")
        self.assertEqual(counts, {"normalize": 1, "lstat": 1, "open": 1})

    @defer.inlineCallbacks
    def test_list(self):
        """
        C{LIST}: a C{REALPATH} and the directory's C{READDIR}.
        """
        listed, counts = yield self.counted(self.shell.list, ("d",))
        self.assertEqual([name for name, _ in listed], ["g"])
        self.assertEqual(counts, {"normalize": 1, "readdir": 1})

    @defer.inlineCallbacks
    def test_remove(self):
        """
        C{DELE}: its directory's C{REALPATH}, the entry's C{LSTAT}, the
        C{REMOVE}.
        """
        _, counts = yield self.counted(self.shell.removeFile, ("d", "g"))
        self.assertEqual(counts, {"normalize": 1, "lstat": 1, "remove": 1})
        self.assertFalse(os.path.exists(os.path.join(self.root, "d", "g")))

    @defer.inlineCallbacks
    def test_rename(self):
        """
        C{RNTO}: each directory's C{REALPATH}, the source's, the target
        directory's and the target's C{LSTAT}, the rename.
        """
        _, counts = yield self.counted(self.shell.rename, ("f",),
                                       ("d", "h"))
        self.assertEqual(counts, {"normalize": 2, "lstat": 3,
                                  "posix_rename": 1})
        self.assertTrue(os.path.exists(os.path.join(self.root, "d", "h")))

    @defer.inlineCallbacks
    def test_linksStillChecked(self):
        """
        A link out of the root is still refused, and one in a loop still
        found to lead nowhere, which takes the C{LSTAT} of the path
        resolved link by link.
        """
        os.symlink("loop", os.path.join(self.root, "loop"))
        yield self.assertFailure(self.shell.stat(("out", "etc")),
                                 PermissionDenied)
        _, counts = yield self.counted(
            lambda path: self.assertFailure(self.shell.stat(path),
                                            PermissionDenied), ("loop",))
        self.assertEqual(counts["lstat"], 1)

    @defer.inlineCallbacks
    def test_rootOnce(self):
        """
        The first command of a session on its root (C{CWD /} after the
        login) asks the root's C{REALPATH} once, not once for the root of
        the check and once for the path checked.
        """
        shell = FsspecShell(self.fs, self.root, backend=SFTPBackend("SFTP"))
        for _ in range(2):
            self.counts.clear()
            self.assertTrue((yield shell.stat(())).isDirectory)
            self.assertEqual(dict(self.counts), {"normalize": 1, "lstat": 1})

    @defer.inlineCallbacks
    def test_resolve(self):
        """
        Where a path leads (C{resolve}, which C{STOR} asks): its
        C{REALPATH}, the root's not asked again.
        """
        segments, counts = yield self.counted(self.shell.resolve, ("d", "g"))
        self.assertEqual(segments, ("d", "g"))
        self.assertEqual(counts, {"normalize": 1})


class ClosedClient:
    """
    A paramiko C{SFTPClient} whose connection is gone: every request
    fails with C{OSError("Socket is closed")}, as paramiko's does.
    """

    def normalize(self, path):
        raise OSError("Socket is closed")

    readlink = lstat = normalize


class ClosedConnectionTests(unittest.TestCase):
    """
    The SFTP backend on a connection that is gone.
    """

    def test_realpathFailsOnce(self):
        """
        L{ftpkit.shells.fsspecsftp.LinkAwareSFTPFileSystem.realpath} of a
        path raises the connection's error. It asked the server for each
        parent in turn, then for C{/} again and again, until Python's
        recursion limit: the shell's call failed with a C{RecursionError}
        (its log line saying nothing of the connection) after a thousand
        requests.
        """
        fs = CountingFilesystem()
        fs.ftp = ClosedClient()
        bound = SFTPBackend("SFTP").bind(fs, "/srv/root")
        error = self.assertRaises(OSError, bound.realpath, "/srv/root/a")
        self.assertEqual(str(error), "Socket is closed")
