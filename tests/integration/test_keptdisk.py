"""
Cut uploads the disk realm keeps, over real sockets (ftplib), where it
answered otherwise than C{--realm memory} and the fsspec realms:

  - while one session resumes the cut upload of a new name (no file
    there), another session of the same user resuming it (C{SIZE}, then
    C{REST} + C{STOR}, or C{APPE}) got C{554} (C{REST} past the end of
    nothing: the resume had renamed the partial upload to a temporary
    name C{SIZE} did not find), which makes lftp and curl give up or
    start over; it gets C{450}, in one process and under C{--workers 2}
    (L{ftpkit.shells.partials.claimPartial}).
  - when another user made a directory at the name (C{MKD}) while the
    owner's cut upload of it was kept, the owner's C{SIZE} or resume
    removed that cut upload (the directory was newer than it) and the
    resume got C{550}: the bytes kept were lost. It is kept: the resume
    gets C{550} saying so, and completes once the name is free again.
    C{--realm memory} and C{fsspec:memory://}, C{fsspec:file://} took
    the resume's bytes, then answered C{550}: they refuse it up front
    now, as the disk realm does.
"""

import ftplib
import io
import os

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import uploads
from tests.cutuploads import (
    HALF,
    NEW,
    DiskRealmMixin,
    MemoryRealmMixin,
    TwoUsersMixin,
    cut,
    fetch,
    resumeFromSize,
)
from tests.fsspecrealms import LocalMixin, MemoryMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration.test_partialsbusy import TwoWorkersMixin
from tests.resets import hardClose
from tests.scratch import readLocal, scratchDirectory, writeLocal


class SecondResumeMixin:
    """
    A disk realm's empty root; subclasses start the server
    (C{self.port}).
    """

    timeout = 120

    def login(self):
        """
        @return: a new session of alice's, in C{TYPE I}.
        """
        return ftplibLogin(self, self.port, binary=True)

    def cut(self):
        """
        Send half of L{NEW} as C{STOR n} and reset the data connection.

        @return: the reply to the C{STOR}.
        """
        ftp = self.login()
        reply = cut(ftp, "n")
        ftp.quit()
        return reply

    def whileResuming(self):
        """
        Cut an upload of L{NEW} to C{n}; resume it on a second session
        and, while that runs, on a third (C{SIZE}, C{REST} + C{STOR}, then
        C{APPE}); then complete the second (blocking).

        @return: C{(the cut's reply, the offset of the second, the
            third's replies (its C{SIZE} C{None} when it found nothing),
            the second's reply)}.
        """
        cut = self.cut()
        ftp = self.login()
        kept = ftp.size("n")
        connection = ftp.transfercmd("STOR n", rest=kept)
        connection.sendall(NEW[kept:kept + 1000])
        third = self.login()
        try:
            size = third.size("n")
        except ftplib.Error:
            # Nothing found (as before the fix): the client resumes from
            # where it knows its upload was cut.
            size = None
        at = kept if size is None else size
        stored = replyCode(lambda: third.storbinary(
            "STOR n", io.BytesIO(NEW[at:]), rest=at))
        appended = replyCode(lambda: third.storbinary(
            "APPE n", io.BytesIO(NEW[at:])))
        third.quit()
        connection.sendall(NEW[kept + 1000:])
        connection.close()
        done = replyCode(ftp.voidresp)
        ftp.quit()
        return cut, kept, [size, stored, appended], done

    async def test_secondResumeOfNewName(self):
        """
        While a resume of a new name's cut upload runs, another of the
        same user's gets C{450} from C{REST} + C{STOR} and C{APPE} (its
        C{SIZE} answers what the running resume holds); the first
        completes the file.
        """
        cut, kept, replies, done = await threads.deferToThread(
            self.whileResuming)
        self.assertEqual((cut, done), ("426", "226"))
        self.assertGreater(kept, 0)
        self.assertEqual(replies[1:], ["450", "450"])
        self.assertGreaterEqual(replies[0], kept)
        self.assertTrue(readLocal(os.path.join(self.root, "n")) == NEW,
                        "n is not the new file")
        self.assertEqual(
            [name for name in os.listdir(self.root) if name != "n"], [])


class SecondResumeTests(SecondResumeMixin, LoopbackServerMixin,
                        unittest.TestCase):
    """
    In one process.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.port = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0)).port


    def leftResuming(self):
        """
        Leave half of L{NEW} under C{n}'s resuming name, as a resume whose
        process died does (no resumer recorded: anyone's); then resume
        from what C{SIZE} answers (blocking).

        @return: C{(SIZE's answer, the resume's reply)}.
        """
        writeLocal(os.path.join(self.root, ".ftpkit-upload.resuming.n.tmp"),
                   NEW[:HALF])
        ftp = self.login()
        result = resumeFromSize(ftp, "n")
        ftp.quit()
        return result

    async def test_crashedResumeTakenOver(self):
        """
        What a resume whose process died left is taken over by the next
        resume, which completes the file.
        """
        size, done = await threads.deferToThread(self.leftResuming)
        self.assertEqual((size, done), (HALF, "226"))
        self.assertTrue(readLocal(os.path.join(self.root, "n")) == NEW,
                        "n is not the new file")
        self.assertEqual(os.listdir(self.root), ["n"])

    def test_sweptAsCrashed(self):
        """
        The start-up sweep makes what a resume whose process died left
        its target's partial upload.
        """
        writeLocal(os.path.join(self.root, ".ftpkit-upload.resuming.n.tmp"),
                   NEW[:HALF])
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(os.listdir(self.root), [".ftpkit-partial.n"])


class WorkersSecondResumeTests(TwoWorkersMixin, SecondResumeMixin,
                               unittest.TestCase):
    """
    Under C{--workers 2}, the two resumes in different processes.
    """

    sessions = 3


class DirectoryMadeMixin(TwoUsersMixin):
    """
    Alice's cut upload of C{n} is kept; bob makes a directory C{n}.
    Subclasses say which realm (L{makeRealm}), what the refused resume's
    reply says (C{refusedText}), and whether the bytes it sent are kept
    with the cut upload's (C{refusedBytesKept}).
    """

    def directoryMade(self):
        """
        Cut alice's upload of C{n}; bob makes C{n} a directory; alice
        asks C{SIZE} and resumes; bob removes the directory; alice asks
        C{SIZE} and resumes again (blocking).

        @return: the replies and sizes, in that order.
        """
        alice = self.login()
        cutReply = cut(alice, "n")
        bob = self.login("bob", "pw")
        made = replyCode(lambda: bob.sendcmd("MKD n"))
        try:
            size = alice.sendcmd("SIZE n")
        except ftplib.Error as e:
            size = str(e)
        try:
            alice.storbinary("STOR n", io.BytesIO(NEW[HALF:]), rest=HALF)
            refused = "226"
        except ftplib.Error as e:
            refused = str(e)
        removed = replyCode(lambda: bob.rmd("n"))
        sizeAfter, done = resumeFromSize(alice, "n")
        self.received = fetch(alice, "n")
        return cutReply, made, size, refused, removed, sizeAfter, done

    async def test_resumeRefusedKeepsUpload(self):
        """
        The owner's C{SIZE} still answers the bytes kept; the resume gets
        C{550} (L{refusedText}); once the directory is gone, the resume
        from what C{SIZE} answers then completes the file.
        """
        (cut, made, size, refused, removed, sizeAfter,
         done) = await threads.deferToThread(self.directoryMade)
        self.assertEqual((cut, made, removed), ("426", "257", "250"))
        self.assertEqual(size[:4], "213 ")
        self.assertGreater(int(size[4:]), 0)
        self.assertEqual(refused[:4], "550 ")
        self.assertIn(self.refusedText, refused)
        if self.refusedBytesKept:
            self.assertGreaterEqual(sizeAfter, int(size[4:]))
        else:
            self.assertEqual(sizeAfter, int(size[4:]))
        self.assertEqual(done, "226")
        self.assertTrue(self.received == NEW, "n is not the new file")


class DiskDirectoryMadeTests(DiskRealmMixin, DirectoryMadeMixin,
                             unittest.TestCase):
    """
    The disk realm.
    """

    refusedText = "your partial upload of this name is kept"

    refusedBytesKept = False


class MemoryDirectoryMadeTests(MemoryRealmMixin, DirectoryMadeMixin,
                               unittest.TestCase):
    """
    C{--realm memory}. It refused the resume only once its bytes were
    received (C{550 File exists}: the directory had the name it would
    take), keeping them with the cut upload's; it refuses it before it
    starts now, as the disk realm does, keeping the cut upload as it was.
    """

    refusedText = DiskDirectoryMadeTests.refusedText

    refusedBytesKept = False


class FsspecMemoryDirectoryMadeTests(MemoryMixin, MemoryDirectoryMadeTests):
    """
    C{--realm fsspec:memory://}, which took the resume's bytes and then
    answered C{550} as C{--realm memory} did.
    """


class FsspecLocalDirectoryMadeTests(LocalMixin, MemoryDirectoryMadeTests):
    """
    C{--realm fsspec:file://}, likewise.
    """


class EmptyCutTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload replacing a file, cut before any of its bytes arrived.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        writeLocal(os.path.join(self.root, "old.txt"), b"old")
        self.port = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0)).port

    def cutEmpty(self):
        """
        Open C{STOR old.txt}'s data connection and reset it unwritten
        (blocking).

        @return: the reply to the C{STOR}, then C{SIZE old.txt}'s.
        """
        ftp = ftplibLogin(self, self.port, binary=True)
        hardClose(ftp.transfercmd("STOR old.txt"))
        cut = replyCode(ftp.voidresp)
        size = ftp.sendcmd("SIZE old.txt")
        ftp.quit()
        return cut, size

    async def test_sizeNotOld(self):
        """
        C{SIZE} answers the empty cut upload kept for a resume, C{0}, not
        the old file's size: a resume from that wrote the new file's rest
        after the old file's start. The old file stays whole. (What
        test_guiclients_midtransfer's ABOR met under load in CI, made
        certain here; it held before this test.)
        """
        cut, size = await threads.deferToThread(self.cutEmpty)
        self.assertEqual((cut, size), ("426", "213 0"))
        self.assertEqual(readLocal(os.path.join(self.root, "old.txt")),
                         b"old")
