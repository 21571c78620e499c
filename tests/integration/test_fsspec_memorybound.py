"""
C{--realm fsspec:memory://} holds its tree, in the server's memory, to a
size (C{size=}, 256M unless given), as C{--realm memory} does: an upload
past it gets C{552} and leaves nothing. It had no bound: a client could
fill the server's memory.
"""

import ftplib
import io
import uuid

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm


class MemoryBoundTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads to C{fsspec:memory://...?size=64K}, with ftplib.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        # fsspec's memory store is one per process: a root of our own.
        self.where = "/bound-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def _stores(self, argument, uploads):
        """
        Serve C{fsspec:ARGUMENT} and upload each C{(name, size)}.

        @return: a Deferred with each upload's final reply.
        """
        realm = makeFsspecRealm(argument, {})
        server = self.startServer(realm, ServerConfig(loginFailureDelay=0))

        def client():
            replies = []
            with ftplibLogin(self, server.port, timeout=20) as ftp:
                for name, size in uploads:
                    try:
                        replies.append(ftp.storbinary(
                            "STOR " + name, io.BytesIO(b"x" * size)))
                    except ftplib.error_perm as e:
                        replies.append(str(e))
            return replies

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_pastTheSize(self):
        """
        Uploads fit until the tree holds C{size=} bytes; the one going
        past it gets C{552} and is not kept, and those that still fit go
        on being stored.
        """
        replies = yield self._stores(
            f"memory://{self.where}?size=64K&global_store=true",
            [("a", 40000), ("b", 40000), ("c", 20000)])
        self.assertTrue(replies[0].startswith("226"), replies)
        self.assertTrue(replies[1].startswith("552 "), replies)
        self.assertTrue(replies[2].startswith("226"), replies)
        self.assertEqual(sorted(self.fs.ls(self.where, detail=False)),
                         [self.where + "/a", self.where + "/c"])

    @defer.inlineCallbacks
    def test_alloJudged(self):
        """
        C{ALLO} and C{AVBL} know the room C{size=} leaves, as on C{--realm
        memory} and the disk: a size past it gets C{552}, as its upload
        would, and one within it C{200}; C{FEAT} lists C{AVBL}. They
        answered C{202} and C{550} (the store cannot tell its room), and
        the upload after the C{202} got C{552}.
        """
        realm = makeFsspecRealm(f"memory://{self.where}?size=64K", {})
        server = self.startServer(realm, ServerConfig(loginFailureDelay=0))

        def client():
            with ftplibLogin(self, server.port, timeout=20) as ftp:
                ftp.storbinary("STOR a", io.BytesIO(b"x" * 40000))
                replies = [ftp.sendcmd("FEAT")]
                for command in ("AVBL", "ALLO 20000", "ALLO 30000"):
                    try:
                        replies.append(ftp.sendcmd(command))
                    except ftplib.error_perm as e:
                        replies.append(str(e))
                try:
                    ftp.storbinary("STOR b", io.BytesIO(b"x" * 30000))
                except ftplib.error_perm as e:
                    replies.append(str(e))
            return replies

        feat, avbl, fits, tooLarge, stored = yield self.inThread(client)
        self.assertIn("\n AVBL\n", feat)
        room = int(avbl.split()[1])
        self.assertTrue(20000 < room < 65536 - 40000, avbl)
        self.assertEqual(fits, "200 ALLO command successful: 20000 bytes fit")
        self.assertEqual(tooLarge, "552 Exceeded storage allocation: 30000 "
                                   "bytes do not fit, %d may be stored here"
                                   % room)
        self.assertTrue(stored.startswith("552 "), stored)

    def test_defaultSize(self):
        """
        Without C{size=}, the tree holds 256M, as C{--realm memory} does;
        other stores have no such bound.
        """
        from ftpkit.auth.realms import MEMORY_REALM_BYTES

        realm = makeFsspecRealm(f"memory://{self.where}", {})
        self.assertEqual(realm.maxBytes, MEMORY_REALM_BYTES)
        self.assertIsNone(makeFsspecRealm("file:///tmp", {}).maxBytes)
