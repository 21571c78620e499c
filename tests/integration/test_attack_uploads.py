"""
Uploads racing each other for one name over real loopback sockets: an
upload that must not replace a file (C{STOU}, which names a file nobody
has; an anonymous upload, which may only create) never does, even when
another upload of that name completes while it runs. Both used to check
the name when they started and rename over it when they ended, so the
later one replaced the earlier, and both clients got C{226}.

A file appended to by one session while another writes it in place keeps
both writers' bytes (L{InPlaceWritersTests}), and a cut upload of a long
name is kept for its resumer (L{LongNameResumeTests}).
"""

import ftplib
import io
import os
import signal
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import uploads
from ftpkit.shells.uploadreservations import reservationName
from tests.appending import APPENDED, ORIGINAL, AppendingTestsMixin
from tests.ftpclient import ftplibLogin
from tests.rawclient import RawClient
from tests.resets import hardClose
from tests.scratch import readLocal, scratchDirectory, writeLocal
from tests.serverprocess import READY, ServerProcess, childrenOf
from tests.uploadroot import UploadRoot

try:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    makeFsspecRealm = None


def overlappingUploads(port, first, second, user, password):
    """
    Two sessions start uploads, C{first} then C{second}, before either
    sends a byte; the first completes, then the second (blocking).

    @param first: the first session's upload command.
    @param second: the second's.
    @return: for each, C{(its 150 reply, its final reply)}.
    """
    clients = [RawClient(port), RawClient(port)]
    try:
        sockets, openings = [], []
        for client, command in zip(clients, (first, second)):
            client.login(user, password)
            client.command("TYPE I")
            port = client.epsvPort()
            sockets.append(socket.create_connection(("127.0.0.1", port),
                                                    timeout=20))
            openings.append(client.command(command))
        results = []
        for client, sock, opening, data in zip(
                clients, sockets, openings, (b"first" * 1000, b"second")):
            if opening.startswith(b"150"):
                sock.sendall(data)
                sock.close()
                results.append((opening, client.reply()))
            else:
                sock.close()
                results.append((opening, None))
        return results
    finally:
        for client in clients:
            client.close()


class RacingUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    Two sessions uploading to one name at once.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)

    def contents(self):
        """
        @return: every file in the root and its bytes.
        """
        result = {}
        for name in os.listdir(self.root):
            if not name.startswith("."):
                with open(os.path.join(self.root, name), "rb") as f:
                    result[name] = f.read()
        return result

    @defer.inlineCallbacks
    def test_stouNeverReplaces(self):
        """
        Two C{STOU} uploads overlapping in time each end up in a file of
        their own, or the later one fails: neither replaces the other.
        """
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0))
        results = yield self.inThread(
            overlappingUploads, server.port, "STOU f", "STOU f", "alice",
            "secret")
        stored = self.contents()
        self.assertEqual(results[0][1], b"226 Transfer complete")
        first = results[0][0].split(b"FILE: ")[1].decode()
        self.assertEqual(stored[first], b"first" * 1000)
        opening, final = results[1]
        if final is not None and final.startswith(b"226"):
            second = opening.split(b"FILE: ")[1].decode()
            self.assertNotEqual(second, first)
            self.assertEqual(stored[second], b"second")
        else:
            self.assertEqual(len(stored), 1, stored)

    @defer.inlineCallbacks
    def test_stouNamesDiffer(self):
        """
        Two C{STOU} uploads overlapping in time are told two names at
        their C{150} (the first reserves its name until it ends), and
        both are stored; no reservation is left.
        """
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0))
        results = yield self.inThread(
            overlappingUploads, server.port, "STOU f", "STOU f", "alice",
            "secret")
        self.assertStoredApart(results)

    def assertStoredApart(self, results):
        """
        Both uploads of L{overlappingUploads} were told names of their
        own and stored there, and nothing else is in the root.

        @param results: what L{overlappingUploads} returned.
        """
        names = [opening.split(b"FILE: ")[1].decode()
                 for opening, _ in results]
        self.assertEqual(names, ["f", "f.1"], results)
        self.assertEqual([final for _, final in results],
                         [b"226 Transfer complete"] * 2)
        self.assertEqual(self.contents(),
                         {"f": b"first" * 1000, "f.1": b"second"})
        self.assertEqual(sorted(os.listdir(self.root)), ["f", "f.1"])

    @defer.inlineCallbacks
    def test_anonymousNeverReplaces(self):
        """
        Two anonymous uploads of one new name overlapping in time: the
        first is stored, the second fails (C{550}) and does not replace it.
        """
        server = self.startServer(
            FilesystemRealm(self.root, anonymousWrite=True),
            ServerConfig(loginFailureDelay=0, anonymousWrite=True))
        results = yield self.inThread(
            overlappingUploads, server.port, "STOR new.txt", "STOR new.txt",
            "anonymous", "x")
        self.assertEqual(results[0][1], b"226 Transfer complete", results)
        opening, final = results[1]
        self.assertTrue((final or opening).startswith(b"550"), results)
        self.assertEqual(self.contents(), {"new.txt": b"first" * 1000})


class RacingUniqueNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    Two C{STOU}s at once on the other realms: each is told a name of its
    own at its C{150}.
    """

    timeout = 60

    def race(self, realm):
        """
        @param realm: the server's realm.
        @return: a Deferred firing with the two names told, once both
            uploads were stored.
        """
        server = self.startServer(realm, ServerConfig(loginFailureDelay=0))
        racing = self.inThread(overlappingUploads, server.port, "STOU f",
                               "STOU f", "alice", "secret")

        def told(results):
            self.assertEqual([final for _, final in results],
                             [b"226 Transfer complete"] * 2, results)
            return [opening.split(b"FILE: ")[1] for opening, _ in results]

        return racing.addCallback(told)

    @defer.inlineCallbacks
    def test_memory(self):
        """
        The memory realm.
        """
        realm = MemoryRealm()
        names = yield self.race(realm)
        self.assertEqual(names, [b"f", b"f.1"])
        listed = yield realm.shell.list(())
        self.assertEqual([(name, info.size) for name, info in listed],
                         [("f", 5000), ("f.1", 6)])

    @defer.inlineCallbacks
    def test_fsspec(self):
        """
        The fsspec realm of a local directory.
        """
        if makeFsspecRealm is None:
            raise unittest.SkipTest("fsspec is not installed")
        root = scratchDirectory(self)
        names = yield self.race(makeFsspecRealm("file://" + root, {}))
        self.assertEqual(names, [b"f", b"f.1"])
        self.assertEqual(sorted(os.listdir(root)), ["f", "f.1"])


class WorkersUniqueNamesTests(unittest.TestCase):
    """
    Two C{STOU}s at once on a C{--workers 2} server: the reservation is a
    file, which every worker (and any other server on the directory)
    sees.
    """

    timeout = 120

    def test_stouNamesDiffer(self):
        """
        Each is told a name of its own, and both are stored.
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret",
            "--workers", "2"])
        server.waitForLog(READY, 2)
        results = overlappingUploads(server.port, "STOU f", "STOU f",
                                     "alice", "secret")
        self.assertEqual(
            [(opening[:13], final) for opening, final in results],
            [(b"150 FILE: f", b"226 Transfer complete"),
             (b"150 FILE: f.1", b"226 Transfer complete")])
        self.assertEqual(sorted(os.listdir(root)), ["f", "f.1"])


def holderOf(pids, name):
    """
    @param pids: process ids.
    @param name: a file name, C{bytes}.
    @return: the first of C{pids} with a file of that name open, or
        C{None}.
    """
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in descriptors:
            try:
                opened = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if os.fsencode(opened).endswith(b"/" + name):
                return pid
    return None


class DeadWorkerReservationTests(unittest.TestCase):
    """
    A worker of C{--workers 2} killed (C{SIGKILL}) while a C{STOU} of
    C{d/f} ran left C{f}'s reservation, held by nobody: nothing released
    it until the server restarted, so the next C{STOU d/f} was told
    C{f.1}, an anonymous upload of C{f} was refused, and C{RMD d} of the
    directory that looked empty failed.
    """

    timeout = 180

    def setUp(self):
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root, "d"))
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2"])
        self.server.waitForLog(READY, 2)

    def killUploadingWorker(self):
        """
        Start C{STOU d/f} and kill the worker serving it mid-upload;
        wait for the worker started in its place.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        client.login()
        client.command("TYPE I")
        data = socket.create_connection(
            ("127.0.0.1", client.epsvPort()), timeout=20)
        self.addCleanup(data.close)
        self.assertEqual(client.command("STOU d/f")[:13], b"150 FILE: f")
        data.sendall(b"partial")
        name = reservationName(b"f")
        worker = self.server.waitFor(
            lambda: holderOf(childrenOf(self.server.process.pid), name),
            "the worker holding the reservation")
        os.kill(worker, signal.SIGKILL)
        self.server.waitForLog(READY, 3)

    def test_swept(self):
        """
        The acceptor's sweep of the dead worker's uploads removes the
        reservation: the directory is empty again, and C{RMD} removes it.
        """
        self.killUploadingWorker()
        directory = os.path.join(self.root, "d")
        self.server.waitFor(lambda: not os.listdir(directory),
                            "the reservation removed")
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        client.login()
        self.assertEqual(client.command("RMD d")[:3], b"250")

    def test_nameFree(self):
        """
        The next C{STOU d/f}, in another worker, is told C{f}.
        """
        self.killUploadingWorker()
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        client.login()
        client.command("TYPE I")
        opening, _, final = client.transfer("STOU d/f", b"whole")
        self.assertEqual((opening.split(b"FILE: ")[-1], final[:3]),
                         (b"f", b"226"))
        self.assertEqual(os.listdir(os.path.join(self.root, "d")), ["f"])


class InPlaceWritersTests(AppendingTestsMixin, unittest.TestCase):
    """
    A file on the disk appended to by one session while another writes
    it in place.
    """

    @defer.inlineCallbacks
    def test_secondAppendBusy(self):
        """
        A second C{APPE} while the first runs gets C{450}; the first's
        bytes are all that is added.
        """
        replies, final = yield self.inThread(self.duringAppend, "APPE f")
        self.assertEqual(replies[0][:4], "450 ")
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)

    @defer.inlineCallbacks
    def test_resumeInPlaceBusy(self):
        """
        C{REST} and C{STOR} writing the file in place while an C{APPE}
        runs gets C{450}.
        """
        replies, final = yield self.inThread(
            self.duringAppend, "REST 5", "STOR f")
        self.assertEqual(replies[1][:4], "450 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)

    @defer.inlineCallbacks
    def test_freeAfterward(self):
        """
        Once the first upload ended, the file may be appended to again.
        """
        def appendLater():
            self.duringAppend()
            ftp = ftplibLogin(self, self.server.port, binary=True)
            return ftp.storbinary("APPE f", io.BytesIO(b"B"))

        reply = yield self.inThread(appendLater)
        self.assertEqual(reply[:4], "226 ")
        self.assertEqual(self.read()[-1:], b"B")


LONG = "名" * 80
"""A name of 240 bytes in UTF-8: one past the longest that
C{.ftpkit-partial.NAME} can follow."""


OLD = b"old bytes " * 300
"""What the file the uploads replace held before."""


class LongNameResumeTests(UploadRoot, LoopbackServerMixin, unittest.TestCase):
    """
    A cut upload of a long name is kept for its resumer, whose resume
    then makes the new file whole.
    """

    def setUp(self):
        self.makeRoot()
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))
        self.target = self.path(LONG.encode())
        writeLocal(self.target, OLD)

    def cutThenResume(self, new):
        """
        Send half of C{new} over the long-named file and cut the upload
        (a reset), then resume it as curl's C{-C - -T} and lftp do: ask
        C{SIZE}, and send the rest from there (blocking).

        @return: C{(cut reply, SIZE answer)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        connection = ftp.transfercmd("STOR " + LONG)
        connection.sendall(new[:len(new) // 2])
        hardClose(connection)
        try:
            cut = ftp.voidresp()
        except ftplib.Error as e:
            cut = str(e)
        kept = ftp.size(LONG)
        ftp.storbinary("STOR " + LONG, io.BytesIO(new[kept:]),
                       rest=kept or None)
        ftp.quit()
        return cut[:3], kept

    async def test_cutKept(self):
        """
        C{SIZE} answers what the cut upload kept, not the old file's size,
        and the resumed file is the new one; no hidden file is left.
        """
        new = os.urandom(200000)
        cut, kept = await self.inThread(self.cutThenResume, new)
        self.assertEqual(cut, "426")
        self.assertLessEqual(kept, len(new) // 2)
        self.assertEqual(readLocal(self.target), new)
        self.assertEqual(os.listdir(self.root), [LONG.encode()])

    def test_crashSwept(self):
        """
        A crashed upload's temporary file of a long name becomes its
        partial upload at the next start's sweep, which its resume then
        continues.
        """
        crashed = self.path(uploads.temporaryName(LONG.encode()))
        writeLocal(crashed, b"half")
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(readLocal(uploads.partialPath(self.target)), b"half")
        self.assertEqual(uploads.resumableSize(self.target), 4)

    def test_labels(self):
        """
        A long name's label fits in a hidden file's name, is what its
        temporary files name, is its own label (the sweep finds the
        partial upload from the temporary file's), is hidden, and differs
        for two names; a name of 200 bytes is its own.
        """
        for name in (LONG.encode(), b"x" * 201, b"x" * 255):
            label = uploads.targetLabel(name)
            self.assertNotEqual(label, name)
            self.assertLessEqual(len(uploads.partialPath(label)), 255)
            temporary = uploads.temporaryName(name)
            self.assertLessEqual(len(temporary), 255)
            self.assertEqual(uploads.targetOfTemporary(temporary), label)
            self.assertEqual(uploads.targetLabel(label), label)
            self.assertTrue(uploads.isHidden(label))
            self.assertNotEqual(uploads.targetLabel(name + b"x"), label)
        short = b"x" * 200
        self.assertEqual(uploads.targetLabel(short), short)
        self.assertEqual(uploads.targetOfTemporary(
            uploads.temporaryName(short)), short)
