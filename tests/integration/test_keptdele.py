"""
C{DELE} of a cut upload, and the room cut uploads take, over real
loopback sockets, on every realm that keeps a cut upload: the disk realm
(L{ftpkit.shells.partials.dropPartial}), C{--realm memory},
C{fsspec:memory://}, C{fsspec:file://} and C{fsspec:sftp://}
(L{ftpkit.shells.keptuploads.KeptUploadsShell.removeFile}).

A cut upload of a new name could not be removed by its user: C{DELE} of
the name answered C{550} while C{SIZE} still answered the bytes kept,
for the 24 hours the cut upload is kept; and C{DELE} of a file whose cut
upload was kept left that upload, which C{SIZE} then answered. On
C{--realm memory:1M}, five cut uploads of 200 KB made every user's next
upload C{552} for those 24 hours (L{MemoryBudgetTests}).
"""

import io
import os
import subprocess
import time

from twisted.trial import unittest

from ftpkit.auth.fsspecrealm import makeFsspecRealm
from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import keptnames
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER
from tests.clientprograms import LFTP
from tests.cutuploads import HALF, NEW, cut, loginAndCut
from tests.fsspecrealms import LocalMixin, MemoryMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration import test_keptuploads as kept


class KeptSetUpMixin(LoopbackServerMixin):
    """
    The set-up and file access of L{kept.CutResumeMixin}, not its tests.
    """

    timeout = 120
    setUp = kept.CutResumeMixin.setUp
    write = kept.CutResumeMixin.write
    read = kept.CutResumeMixin.read
    names = kept.CutResumeMixin.names


class DeleteKeptMixin(KeptSetUpMixin):
    """
    C{DELE} of a name whose cut upload is kept, on the realm a subclass
    makes (see L{kept.CutResumeMixin}).
    """

    def deleteNewSession(self):
        """
        alice cuts an upload of the new name C{n}, then removes it
        (blocking).

        @return: C{(the cut's reply, SIZE, DELE, SIZE, DELE again)}.
        """
        cut, ftp = loginAndCut(self, self.server.port, "n")
        kept = replyCode(ftp.sendcmd, "SIZE n")
        deleted = replyCode(ftp.delete, "n")
        after = replyCode(ftp.sendcmd, "SIZE n")
        again = replyCode(ftp.delete, "n")
        ftp.quit()
        return cut, kept, deleted, after, again

    async def test_deleteNewName(self):
        """
        C{DELE} of a new name whose cut upload was all there was removes
        it: C{250}, then C{SIZE} C{550}, and nothing is left.
        """
        cut, kept, deleted, after, again = await self.inThread(
            self.deleteNewSession)
        self.assertEqual(cut, "426")
        self.assertNotEqual(kept, "550")
        self.assertEqual((deleted, after, again), ("250", "550", "550"))
        self.assertEqual(self.names(), ["f"])

    def deleteBothSession(self):
        """
        alice cuts an upload over C{f}, then removes C{f} (blocking).

        @return: C{(SIZE before, DELE, SIZE after)}.
        """
        cut, ftp = loginAndCut(self, self.server.port)
        kept = replyCode(ftp.sendcmd, "SIZE f")
        deleted = replyCode(ftp.delete, "f")
        after = replyCode(ftp.sendcmd, "SIZE f")
        ftp.quit()
        return kept, deleted, after

    async def test_deleteFileAndKept(self):
        """
        C{DELE} of a file whose cut upload alice keeps removes both: her
        C{SIZE} then answers C{550}, not the bytes kept.
        """
        kept, deleted, after = await self.inThread(self.deleteBothSession)
        self.assertEqual(kept, "213")
        self.assertEqual((deleted, after), ("250", "550"))
        self.assertEqual(self.names(), [])

    def othersSession(self):
        """
        alice cuts an upload of C{n}; bob tries C{DELE}, C{RNFR} and
        C{SIZE} of it; alice then resumes it (blocking).

        @return: C{(bob's DELE, RNFR, SIZE, alice's RNFR, SIZE, the
            resume's reply)}.
        """
        cut, alice = loginAndCut(self, self.server.port, "n")
        bob = ftplibLogin(self, self.server.port, "bob", "pw", binary=True)
        replies = [replyCode(bob.delete, "n"), replyCode(bob.sendcmd, "RNFR n"),
                   replyCode(bob.sendcmd, "SIZE n")]
        bob.quit()
        replies.append(replyCode(alice.sendcmd, "RNFR n"))
        kept = alice.size("n")
        replies.append(kept)
        replies.append(replyCode(alice.storbinary, "STOR n",
                             io.BytesIO(NEW[kept:]), 8192, None, kept))
        alice.quit()
        return replies

    async def test_othersUntouched(self):
        """
        Another user's C{DELE} of the name gets C{550} and leaves the cut
        upload, which its user resumes whole; C{RNFR} of a name whose cut
        upload is all there is gets C{550} (a cut upload is not a file:
        it is resumed or removed).
        """
        *replies, kept, done = await self.inThread(self.othersSession)
        self.assertEqual(replies, ["550", "550", "550", "550"])
        self.assertEqual(kept, HALF)
        self.assertEqual(done, "226")
        self.assertTrue(self.read("n") == NEW, "the resumed file is not NEW")


    async def test_lftpRemoves(self):
        """
        lftp's C{rm} of a cut upload of a new name succeeds (it failed,
        C{550}), and nothing is left.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        cut, ftp = await self.inThread(loginAndCut, self, self.server.port, "n")
        ftp.close()
        self.assertEqual(cut, "426")
        done = await self.inThread(
            subprocess.run,
            [LFTP, "-c", "set net:max-retries 1; set cmd:fail-exit yes; "
             "open ftp://alice:secret@127.0.0.1:%d; rm n" % self.server.port],
            capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.names(), ["f"])


class DiskTests(DeleteKeptMixin, unittest.TestCase):
    """
    On the disk realm.
    """

    def makeRealm(self):
        """
        @return: the disk realm of C{self.root}.
        """
        return FilesystemRealm(self.root)


class MemoryTests(DeleteKeptMixin, unittest.TestCase):
    """
    On C{--realm memory}.
    """

    makeRealm = kept.MemoryRealmTests.makeRealm
    write = kept.MemoryRealmTests.write
    read = kept.MemoryRealmTests.read

    def names(self):
        """
        @return: every name in the root, hidden ones too.
        """
        return sorted(self.successResultOf(
            self.realm.shell.listNames(())))


class FsspecMemoryDeleteTests(MemoryMixin, DeleteKeptMixin,
                              unittest.TestCase):
    """
    On C{fsspec:memory://}.
    """

    def names(self):
        """
        @return: every name in the root, hidden ones too (none once the
            store holds no file under it).
        """
        try:
            return kept.FsspecMemoryTests.names(self)
        except FileNotFoundError:
            return []


class FsspecLocalDeleteTests(LocalMixin, DeleteKeptMixin, unittest.TestCase):
    """
    On C{fsspec:file://}.
    """


class FsspecSFTPDeleteTests(DeleteKeptMixin, unittest.TestCase):
    """
    On C{fsspec:sftp://}.
    """

    timeout = 180
    makeRealm = kept.FsspecSFTPTests.makeRealm


class MemoryBudgetTests(MemoryTests):
    """
    Cut uploads kept on a bounded C{--realm memory} give way to other
    uploads, and one user keeps at most
    L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}.
    """

    def makeRealm(self):
        """
        @return: a memory realm of 1 MB.
        """
        return MemoryRealm(maxBytes=1000000)

    def fillSession(self):
        """
        alice cuts five uploads of 190 KB of new names; bob then uploads
        150 KB and makes a directory (blocking).

        @return: C{(the cuts' replies, the bytes they hold,
            bob's STOR, MKD, alice's SIZE of the newest cut upload)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        shell = self.realm.shell
        before = shell.bytesHeld
        cuts = [cut(ftp, "n%d" % each, 190000,
                    lambda each=each: shell.bytesHeld
                    >= before + 190000 * (each + 1))
                for each in range(5)]
        full = shell.bytesHeld - before
        bob = ftplibLogin(self, self.server.port, "bob", "pw", binary=True)
        stored = replyCode(bob.storbinary, "STOR b",
                       io.BytesIO(b"b" * 150000))
        made = replyCode(bob.sendcmd, "MKD d")
        bob.quit()
        newest = replyCode(ftp.sendcmd, "SIZE n4")
        ftp.quit()
        return cuts, full, stored, made, newest

    async def test_keptGiveWay(self):
        """
        Five cut uploads of 190 KB fill the realm; bob's upload of 150 KB
        drops the oldest, and is not refused (C{552} before), and the
        newest stays for its resume.
        """
        cuts, full, stored, made, newest = await self.inThread(
            self.fillSession)
        self.assertEqual((cuts, full), (["426"] * 5, 950000))
        self.assertEqual((stored, made, newest), ("226", "257", "213"))
        self.assertLessEqual(self.realm.shell.bytesHeld, 1000000)

    def manySession(self, count):
        """
        alice cuts C{count} small uploads of new names (blocking).

        @return: her C{SIZE} of each.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        for each in range(count):
            cut(ftp, "m%d" % each, 1000)
        sizes = [replyCode(ftp.sendcmd, "SIZE m%d" % each)
                 for each in range(count)]
        ftp.quit()
        return sizes

    async def test_perUserCap(self):
        """
        Past L{MAX_KEPT_PER_USER} cut uploads of one user, the oldest
        are dropped.
        """
        count = MAX_KEPT_PER_USER + 2
        sizes = await self.inThread(self.manySession, count)
        self.assertEqual(sizes, ["550"] * 2 + ["213"] * MAX_KEPT_PER_USER)
        self.assertEqual(len(self.names()), 1 + MAX_KEPT_PER_USER)


class FsspecBoundedTests(MemoryMixin, KeptSetUpMixin, unittest.TestCase):
    """
    On C{fsspec:memory://?size=}, whose quota drops the oldest cut
    uploads for room before it refuses
    (L{ftpkit.shells.keptregistry.KeptPartials}).
    """

    def makeRealm(self):
        """
        @return: the fsspec realm of the test's C{memory://} root, of
            1 MB.
        """
        return makeFsspecRealm(f"memory://{self.where}?size=1000000", {})

    def fillSession(self):
        """
        alice cuts five uploads of 190 KB of new names; bob then uploads
        190 KB (blocking).

        @return: C{(the cuts' replies, bob's STOR, alice's SIZE of the
            oldest and of the newest cut upload)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        cuts = [cut(ftp, "n%d" % each, 190000, untilRead=True)
                for each in range(5)]
        bob = ftplibLogin(self, self.server.port, "bob", "pw", binary=True)
        stored = replyCode(bob.storbinary, "STOR b",
                       io.BytesIO(NEW[:190000]))
        bob.quit()
        sizes = [replyCode(ftp.sendcmd, "SIZE n0"), replyCode(ftp.sendcmd, "SIZE n4")]
        ftp.quit()
        return cuts, stored, sizes

    async def test_droppedForRoom(self):
        """
        Five cut uploads of 190 KB fill most of the 1 MB store; bob's
        upload of 190 KB fits (C{552} before) once the oldest is dropped,
        and the newest stays.
        """
        cuts, stored, sizes = await self.inThread(self.fillSession)
        self.assertEqual(cuts, ["426"] * 5)
        self.assertEqual((stored, sizes), ("226", ["550", "213"]))


class LeftByCrashTests(LocalMixin, KeptSetUpMixin, unittest.TestCase):
    """
    On C{fsspec:file://}, the hidden files a server that died
    mid-upload left are dealt with once the realm's store is first used
    (L{ftpkit.shells.keptsweep.sweepTree}): a new upload's file not
    written for an hour goes, a resume's is a partial upload again. They
    stayed: the first holding its bytes for 25 hours, or until a cut
    upload was kept beside it.
    """

    def setUp(self):
        kept.CutResumeMixin.setUp(self)
        old = time.time() - 2 * 3600
        self.placing = os.path.join(self.root, ".ftpkit-placing.0123abcd")
        self.resuming = os.path.join(
            self.root, keptnames.resumingName("f", "alice"))
        for path, data in [(self.placing, b"p" * 700),
                           (self.resuming, NEW[:HALF])]:
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (old, old))
        # f is older than the resume's file, as the file the resume was
        # to replace: one newer makes it stale (session 33).
        target = os.path.join(self.root, "f")
        os.utime(target, (old - 60, old - 60))

    def sizeSession(self):
        """
        alice logs in, waits for the sweep, and asks C{SIZE} of C{f}
        (blocking).

        @return: her C{SIZE} answer.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        deadline = time.monotonic() + 30
        while (os.path.exists(self.placing)
               and time.monotonic() < deadline):
            time.sleep(0.05)
        size = ftp.size("f")
        ftp.quit()
        return size

    async def test_swept(self):
        """
        The new upload's file is gone, the resume's is alice's partial
        upload of C{f} again, whose size her C{SIZE} answers.
        """
        size = await self.inThread(self.sizeSession)
        self.assertEqual(size, HALF)
        self.assertEqual(self.names(),
                         sorted(["f", keptnames.partialName("f", "alice")]))
