"""
C{--realm fsspec:memory://?size=} counts, through a real server, what
the store holds and what uploads in progress reserve, after cut uploads
replaced and deleted, and after uploads replacing one file at once. It
refused uploads it had room for: a cut upload dropped by its file's
complete upload, and the bytes of an upload running while the store was
measured, stayed counted.
"""

import ftplib
import functools
import io
import threading
import uuid

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.cutuploads import cut
from tests.ftpclient import ftplibLogin
from tests.polling import waitUntil
from tests.tcptable import readByPeer

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm


def store(ftp, name, size):
    """
    Upload C{size} bytes as C{name} (blocking).

    @return: the final reply.
    """
    try:
        return ftp.storbinary("STOR " + name, io.BytesIO(b"x" * size))
    except ftplib.error_perm as e:
        return str(e)


class RoomCountTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads to C{fsspec:memory://...?size=}, with ftplib.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    timeout = 120

    def setUp(self):
        # fsspec's memory store is one per process: a root of our own.
        self.where = "/room-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def serve(self, size):
        """
        @param size: the store's C{size=}.
        @return: the server.
        """
        realm = makeFsspecRealm(f"memory://{self.where}?size={size}", {})
        return self.startServer(realm, ServerConfig(loginFailureDelay=0))

    async def test_cutReplacedDeleted(self):
        """
        The tester's sequence, a tenth of its size: a cut upload of C{f}
        kept, C{f} uploaded whole (which drops it), deleted; then four
        uploads fill the store to the bound. The fourth got C{552}.
        """
        server = self.serve("400K")

        def client():
            with ftplibLogin(self, server.port, binary=True) as ftp:
                replies = [cut(ftp, "f", 100000, untilRead=True),
                           ftp.size("f"), store(ftp, "f", 200000),
                           ftp.delete("f")]
                for name in ("p1", "p2", "p3", "p4"):
                    replies.append(store(ftp, name, 100000)[:3])
            return replies

        replies = await self.inThread(client)
        self.assertEqual(replies, ["426", 100000, "226 Transfer complete",
                                   "250 File removed"] + ["226"] * 4)

    async def test_concurrentReplacements(self):
        """
        The tester's second sequence, half its size: two sessions replace
        C{b1} at once, the first holding its 400,000 bytes sent, the
        second refused past the bound after some of its own (which has
        the store measured again), while a third session uploads; once the
        first ended and C{b1} and C{b2} are deleted, two files of 500,000
        bytes fit. Only one did: the measurement counted the first
        upload's bytes in the store as well as in flight, and so they
        stayed.
        """
        server = self.serve("1M")

        def replace(data):
            try:
                data.sendall(b"r" * 400000)
            except OSError:
                # Refused past the bound, its connection cut.
                return
            waitUntil(functools.partial(readByPeer, data), 30)

        def ended(session, data):
            data.close()
            try:
                return session.voidresp()[:3]
            except ftplib.Error as e:
                return str(e)[:3]

        def client():
            with ftplibLogin(self, server.port, binary=True) as ftp:
                stored = [store(ftp, "b1", 400000), store(ftp, "b2", 450000)]
                first = ftplibLogin(self, server.port, binary=True)
                firstData = first.transfercmd("STOR b1")
                replace(firstData)
                second = ftplibLogin(self, server.port, binary=True)
                secondData = second.transfercmd("STOR b1")
                replace(secondData)
                replies = [ended(second, secondData)]
                store(ftp, "new", 10000)
                replies.append(ended(first, firstData))
                ftp.delete("b1")
                ftp.delete("b2")
                fits = [store(ftp, "x1", 500000), store(ftp, "x2", 500000)]
            return stored, replies, fits

        stored, replies, fits = await self.inThread(client)
        self.assertEqual(stored, ["226 Transfer complete"] * 2)
        self.assertEqual(replies, ["552", "226"])
        self.assertEqual(fits, ["226 Transfer complete"] * 2)

    async def test_sameNameSessions(self):
        """
        The tester's third sequence, a third of its size: three sessions
        at once each store one name twenty times (empty, 1000 or 30,000
        bytes), or store and delete it; once it is deleted, C{AVBL}
        tells the whole bound. The count drifted, either way: each upload
        counted from what its session found at the name when it opened,
        and each deletion freed the size it found before another
        session's upload replaced the file.
        """
        server = self.serve("1M")
        errors = []

        def session(size, delete):
            try:
                with ftplibLogin(self, server.port, binary=True) as ftp:
                    for _ in range(20):
                        store(ftp, "same", size)
                        if delete:
                            try:
                                ftp.delete("same")
                            except ftplib.error_perm:
                                pass
            except Exception as e:
                errors.append(e)

        def client():
            for delete in (False, True):
                sessions = [threading.Thread(target=session,
                                             args=(size, delete))
                            for size in (0, 1000, 30000)]
                for thread in sessions:
                    thread.start()
                for thread in sessions:
                    thread.join()
            with ftplibLogin(self, server.port, binary=True) as ftp:
                try:
                    ftp.delete("same")
                except ftplib.error_perm:
                    pass
                return ftp.nlst(), ftp.sendcmd("AVBL")

        names, available = await self.inThread(client)
        self.assertEqual((errors, names, available),
                         ([], [], "213 1048576"))
