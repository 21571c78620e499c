"""
A cut upload kept on C{fsspec:file://} by another process of the server
(the other worker of C{--workers 2}, the server before a restart), whose
file another upload made since: its uploader's C{SIZE} answers that
file's size and the cut upload is dropped, as in the process that kept
it (L{ftpkit.shells.keptfresh.FreshPartialsShell._outdated}); over real
sockets (ftplib).

Before session 33 a process told nothing of a cut upload it had not
kept: alice's C{SIZE} answered her cut upload's L{HALF} bytes for bob's
complete file, and her resume from there replaced his file with one
begun before it.
"""

import io
import os

from twisted.internet import threads
from twisted.trial import unittest

from tests.cutuploads import HALF, cut, sizeOf
from tests.ftpclient import ftplibLogin
from tests.integration.test_partialsbusy import workerOf
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, ServerProcess

try:
    import fsspec
except ImportError:
    fsspec = None

BOBS = b"bob's file " * 1000
"""What bob stores as C{n} after alice's upload of it was cut."""


class OtherProcessMixin:
    """
    A server of alice (password C{secret}) and bob (C{pw}) in a process
    of its own, serving C{fsspec:file://} of a scratch root.
    """

    timeout = 180

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.root = scratchDirectory(self)

    def serve(self, *more):
        """
        @param more: more options.
        @return: the L{ServerProcess}, started.
        """
        return ServerProcess(self, [
            "--root", self.root, "--realm", f"fsspec:file://{self.root}",
            "--auth", "memory:alice:secret:bob:pw", *more])

    def login(self, server, user="alice", password="secret"):
        """
        @return: a new session of C{user}'s on C{server}, in C{TYPE I}.
        """
        return ftplibLogin(self, server.port, user, password, binary=True)

    def bobStores(self, server):
        """
        bob stores L{BOBS} as C{n} (blocking).
        """
        ftp = self.login(server, "bob", "pw")
        ftp.storbinary("STOR n", io.BytesIO(BOBS))
        ftp.quit()

    def stored(self):
        """
        @return: the names in the root, hidden ones too.
        """
        return sorted(os.listdir(self.root))


class RestartTests(OtherProcessMixin, unittest.TestCase):
    """
    alice's upload of C{n} is cut; the server is stopped and started
    again.
    """

    def cutThenRestart(self, changed):
        """
        Cut alice's upload, restart the server, let bob store C{n} when
        C{changed}, then ask alice's C{SIZE n} (blocking).

        @return: C{SIZE}'s answer.
        """
        server = self.serve()
        server.waitForGreeting()
        ftp = self.login(server)
        self.assertEqual(cut(ftp, "n"), "426")
        ftp.quit()
        server.stop()
        server = self.serve()
        server.waitForGreeting()
        if changed:
            self.bobStores(server)
        ftp = self.login(server)
        size = sizeOf(ftp, "n")
        ftp.quit()
        return size

    async def test_changedSince(self):
        """
        bob's C{n} made after the restart: alice's C{SIZE} answers its
        size, and her cut upload is gone.
        """
        self.assertEqual(await threads.deferToThread(self.cutThenRestart,
                                                     True), len(BOBS))
        self.assertEqual(self.stored(), ["n"])

    async def test_unchanged(self):
        """
        Nobody changed C{n}: the cut upload is still alice's to resume.
        """
        self.assertEqual(await threads.deferToThread(self.cutThenRestart,
                                                     False), HALF)


class WorkersTests(OtherProcessMixin, unittest.TestCase):
    """
    Under C{--workers 2}: alice's upload of C{n} is cut in one worker,
    her C{SIZE} is asked in the other.
    """

    def cutInOneWorker(self):
        """
        Cut alice's upload in one session, open a second of hers (in the
        other worker, the first still open), let bob store C{n}, then
        ask C{SIZE n} in the second (blocking).

        @return: C{(the two sessions' workers, SIZE's answer)}.
        """
        server = self.serve("--workers", "2")
        server.waitForLog(READY, 2)
        first = self.login(server)
        self.assertEqual(cut(first, "n"), "426")
        second = self.login(server)
        workers = (workerOf(server, first), workerOf(server, second))
        self.bobStores(server)
        size = sizeOf(second, "n")
        first.quit()
        second.quit()
        return workers, size

    async def test_changedSince(self):
        """
        The worker that did not keep alice's cut upload finds it outdated
        by bob's C{n}: her C{SIZE} answers his file's size, and it is
        gone.
        """
        workers, size = await threads.deferToThread(self.cutInOneWorker)
        self.assertNotIn(None, workers)
        self.assertNotEqual(workers[0], workers[1])
        self.assertEqual(size, len(BOBS))
        self.assertEqual(self.stored(), ["n"])
