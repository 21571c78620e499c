"""
The fifth attack sweep, over real loopback sockets: downloads that the
client never reads cannot hold old versions of a file in the memory
realm's memory, nor in C{fsspec:memory://}'s, past their limits.

A download of the memory realm reads a snapshot of the file (its bytes
as they were when it was opened). The tree's limit (C{--realm
memory:SIZE}) counted only the files in the tree, so a client that
opened a download of a large file without reading it, then appended a
byte to the file, left the old version held by the download and
uncounted: with one stalled download per session, eight sessions and
eight one-byte C{APPE}s took a server with a 256 MiB tree from 158 MiB
to 978 MiB of memory, the tree still reporting room to spare (C{AVBL}).
A replaced or removed file now stays counted until its last download is
closed, as a removed file still open takes its room on disk.

C{fsspec:memory://} had the same hole, its downloads holding the stored
file object: six stalled downloads and six C{STOR}s of a 100 MiB file
took its server from 195 MiB to 779 MiB. Its bound is a quota
(L{ftpkit.shells.permissions.PermissionShell}), which now counts the
files downloads hold (L{ftpkit.shells.quotareads}), and so do the quotas
of the users file on disk, where an unlinked file open for a download
keeps its blocks.

At the end, two more: a download of a file that shrank while it was sent
(truncated, or rewritten in place by another session's C{REST} + C{STOR})
ended early with C{226 Transfer complete}, 3.9 of 50 MB sent, so that the
client took the part for the whole file; it now gets C{451}. And C{CCC}:
a client that drops the connection after it, sending no close_notify,
had its session log a critical error with a traceback.
"""

import ftplib
import io
import os
import socket
import uuid

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.quotas import diskUsage
from tests.floods import uploadUntilCut
from tests.ftpclient import ftplibLogin
from tests.integration.test_users import startUsersServer

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm


SIZE = 8 << 20
"""The file's bytes: more than the loopback connection's buffers hold,
so that a download left unread stays open."""


LIMIT = 12 << 20
"""The tree's limit: room for the file and an upload, not two files."""


class StalledDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A memory realm holding at most L{LIMIT} bytes, with a file of
    L{SIZE} bytes.
    """

    timeout = 60

    def setUp(self):
        self.realm = MemoryRealm(maxBytes=LIMIT)
        self.server = self.startServer(
            self.realm, ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _replace(self, ftp):
        """
        Append one byte to C{f}, making a new version of it.

        @return: the final reply, or the text of a permanent error.
        """
        return self._append(ftp)

    def _held(self):
        """
        @return: the bytes the tree holds.
        """
        return self.realm.shell.bytesHeld

    def _session(self):
        return ftplibLogin(self, self.server.port, binary=True)

    def _stalledDownload(self, ftp):
        """
        Start a download of C{f} on C{ftp} and read none of it.

        @return: the data connection.
        """
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(("127.0.0.1", port))
        reply = ftp.sendcmd("RETR f")
        if not reply.startswith("150"):
            raise AssertionError(reply)
        return data

    def _append(self, ftp):
        """
        Append one byte to C{f}.

        @return: the final reply, or the text of a permanent error.
        """
        try:
            return ftp.storbinary("APPE f", io.BytesIO(b"x"))
        except ftplib.error_perm as e:
            return str(e)

    @defer.inlineCallbacks
    def test_oldVersionCounted(self):
        """
        While a download of C{f} is open and unread, appending to C{f}
        needs room for both versions and gets C{552}; once the download
        ends, the append is stored and only the file is held.
        """
        def client():
            uploader = self._session()
            reader = self._session()
            try:
                uploader.storbinary("STOR f", io.BytesIO(b"o" * SIZE))
                data = self._stalledDownload(reader)
                refused = self._replace(uploader)
                data.close()
                try:
                    reader.voidresp()
                except ftplib.error_temp:
                    pass
                reader.voidcmd("NOOP")
                return refused, self._replace(uploader)
            finally:
                uploader.close()
                reader.close()

        refused, stored = yield self.inThread(client)
        self.assertEqual(refused[:3], "552")
        self.assertEqual(stored[:3], "226")
        self.assertEqual(self._held(), SIZE + 1)


class FsspecStalledDownloadTests(StalledDownloadTests):
    """
    The same over C{fsspec:memory://} holding at most L{LIMIT} bytes, the
    file replaced by a C{STOR} of as many bytes plus one.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        # fsspec's memory store is one per process: a root of our own.
        self.where = "/sweep5-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)
        self.server = self.startServer(
            makeFsspecRealm(f"memory://{self.where}?size={LIMIT}", {}),
            ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def _replace(self, ftp):
        """
        Replace C{f} with a file of L{SIZE} bytes plus one.

        @return: the final reply, or the text of a permanent error.
        """
        return uploadUntilCut(ftp, "STOR f", SIZE + 1, SIZE + 1)[1]

    def _held(self):
        """
        @return: the bytes stored under the realm's root.
        """
        return self.fs.du(self.where)


class DiskQuotaStalledDownloadTests(FsspecStalledDownloadTests):
    """
    The same on the disk, for a user of a users file held to a quota of
    L{LIMIT} bytes: a replaced file open for a download keeps its blocks.
    """

    skip = None

    def setUp(self):
        root = os.path.abspath(self.mktemp())
        self.home = os.path.join(root, "alice")
        os.makedirs(self.home)
        self.server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "read",'
            f' "write", "append"]\nquota = {LIMIT}\n', {"alice": "secret"})

    def _held(self):
        """
        @return: the bytes of the user's files.
        """
        return diskUsage(self.home)


SPARSE = 64 << 20
"""The size of the (sparse) file truncated while it is sent: far more
than the loopback connection's buffers hold."""


class ShrunkDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A download of a file on the disk truncated while it is sent.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "big.bin")
        with open(self.path, "wb") as f:
            f.truncate(SPARSE)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    @defer.inlineCallbacks
    def test_shrunkIsNotComplete(self):
        """
        The client gets C{451}, not C{226}, after the bytes the file still
        had.
        """
        def client():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            port = int(ftp.sendcmd("EPSV").split("|")[3])
            data = socket.socket()
            data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            data.connect(("127.0.0.1", port))
            ftp.sendcmd("RETR big.bin")
            received = len(data.recv(4096))
            os.truncate(self.path, 1 << 20)
            while True:
                chunk = data.recv(1 << 20)
                if not chunk:
                    break
                received += len(chunk)
            data.close()
            try:
                reply = ftp.voidresp()
            except ftplib.Error as e:
                reply = str(e)
            ftp.close()
            return received, reply

        received, reply = yield self.inThread(client)
        self.assertLess(received, SPARSE)
        self.assertEqual(reply[:4], "451 ")
        self.assertIn(f"{received} of {SPARSE} bytes", reply)
