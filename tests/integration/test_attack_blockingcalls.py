"""
Attacks on the reactor thread: uploads that make the disk work for long
in one call (freeing a large file's blocks when a small upload replaces
it, cutting a large file when one is written in place) must not stall
every other session; those calls run in a disk thread.
"""

import io
import os
import time

from twisted.internet import defer
from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import shortcalls, uploads
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.uploadsinprogress import uploadSizes

LARGE = shortcalls.FREES_LITTLE + (1 << 20)
"""Bytes of the large file: more than a call at once may free."""


def _fullPath(path, directory):
    """
    @param path: a path given to a call that drops or renames a name.
    @param directory: the directory descriptor it is relative to, or
        C{None}.
    @return: the path it names, C{bytes} (the uploads of new files name
        their files relative to their directory's descriptor).
    """
    path = os.fsencode(path)
    if directory is None:
        return path
    return os.path.join(os.fsencode(os.readlink("/proc/self/fd/%d" % directory)), path)


class FreeingLargeFileTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a large file, and a user who may replace
    it. Every C{os.replace} and C{os.unlink} dropping the large file's name
    is recorded with whether it ran in the reactor thread.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.big = os.path.join(self.root, "big")
        with open(self.big, "wb") as f:
            f.write(b"\1" * LARGE)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)
        self.freed = []
        self.watched = {os.fsencode(self.big),
                        uploads.partialPath(os.fsencode(self.big))}
        replace, unlink, rename = os.replace, os.unlink, os.rename

        def recordingReplace(source, target, *args, **kwargs):
            self.note(_fullPath(target, kwargs.get("dst_dir_fd")))
            return replace(source, target, *args, **kwargs)

        def recordingUnlink(path, *args, **kwargs):
            self.note(_fullPath(path, kwargs.get("dir_fd")))
            return unlink(path, *args, **kwargs)

        def following(source, target, *args, **kwargs):
            # A stale partial upload is renamed before it is removed
            # (uploadremoval.removeSeen): its new name is watched too.
            if _fullPath(source, kwargs.get("src_dir_fd")) in self.watched:
                self.watched.add(_fullPath(target, kwargs.get("dst_dir_fd")))
            return rename(source, target, *args, **kwargs)

        self.patch(os, "replace", recordingReplace)
        self.patch(os, "unlink", recordingUnlink)
        self.patch(os, "rename", following)

    def note(self, path):
        """
        Record whether C{path} (L{_fullPath}), when it is one watched, is
        dropped in the reactor thread.
        """
        if path in self.watched:
            self.freed.append(threadable.isInIOThread())

    def waitForUpload(self, size):
        """
        Wait (blocking) until an upload in progress in the root holds
        C{size} bytes.
        """
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if size in uploadSizes(self.root):
                return
            time.sleep(0.01)
        self.fail("no upload of %d bytes" % (size,))

    def session(self, mode, action):
        """
        Log in, set the transfer type and run C{action} (blocking).

        @param mode: C{"I"} or C{"A"}.
        @param action: called with the logged-in C{ftplib.FTP}.
        @return: what C{action} returns.
        """
        ftp = ftplibLogin(self, self.server.port)
        ftp.voidcmd("TYPE " + mode)
        result = action(ftp)
        ftp.close()
        return result

    def upload(self, mode, command="STOR"):
        """
        Log in and upload four bytes over C{big} (blocking).

        @param mode: C{"I"} or C{"A"}.
        @param command: C{"STOR"} or C{"APPE"}.
        @return: the final reply.
        """
        return self.session(mode, lambda ftp: ftp.storbinary(
            command + " big", io.BytesIO(b"tiny")))

    @defer.inlineCallbacks
    def test_binaryReplaceOffReactor(self):
        """
        A four-byte C{STOR} in C{TYPE I} (spliced, committed with its last
        batch) over the large file replaces it in a disk thread.
        """
        reply = yield self.inThread(self.upload, "I")
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(os.path.getsize(self.big), 4)
        self.assertEqual(self.freed, [False])

    @defer.inlineCallbacks
    def test_asciiReplaceOffReactor(self):
        """
        Likewise in C{TYPE A} (the bytes through Python, written at once).
        """
        reply = yield self.inThread(self.upload, "A")
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(os.path.getsize(self.big), 4)
        self.assertEqual(self.freed, [False])

    @defer.inlineCallbacks
    def test_stalePartialRemovedOffReactor(self):
        """
        C{APPE} to a file whose partial upload is large and older than it
        (so it is removed when the upload opens) removes it in a disk
        thread.
        """
        partial = uploads.partialPath(os.fsencode(self.big))
        os.rename(self.big, partial)
        os.utime(partial, (1, 1))
        with open(self.big, "wb") as f:
            f.write(b"small")
        reply = yield self.inThread(self.upload, "I", "APPE")
        self.assertTrue(reply.startswith("226"), reply)
        self.assertFalse(os.path.exists(partial))
        with open(self.big, "rb") as f:
            self.assertEqual(f.read(), b"smalltiny")
        self.assertEqual(self.freed, [False])

    @defer.inlineCallbacks
    def test_resumedLargePartialCutOffReactor(self):
        """
        A small resume (C{REST} + C{STOR}, spliced) of a large partial
        upload from near its start cuts it back after its last byte at the
        commit, in a disk thread: that frees the partial upload's blocks.
        """
        os.replace(self.big, uploads.partialPath(os.fsencode(self.big)))
        truncated = []
        ftruncate = os.ftruncate

        def recordingTruncate(fd, length):
            truncated.append(threadable.isInIOThread())
            return ftruncate(fd, length)
        self.patch(os, "ftruncate", recordingTruncate)

        def client(ftp):
            return ftp.storbinary("STOR big", io.BytesIO(b"tiny"), rest=10)

        reply = yield self.inThread(self.session, "I", client)
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(os.path.getsize(self.big), 14)
        self.assertEqual(truncated, [False])

    @defer.inlineCallbacks
    def arrivingMeanwhile(self, mode):
        """
        Start a four-byte C{STOR} of a file that does not exist, put the
        large file at its name once the server holds the bytes, then end
        the upload.

        @param mode: C{"I"} or C{"A"}.
        """
        aside = os.path.join(self.root, "aside")
        os.rename(self.big, aside)

        def client(ftp):
            with ftp.transfercmd("STOR big") as conn:
                conn.sendall(b"tiny")
                self.waitForUpload(4)
                os.rename(aside, self.big)
            return ftp.voidresp()

        reply = yield self.inThread(self.session, mode, client)
        self.assertTrue(reply.startswith("226"), reply)
        self.assertEqual(os.path.getsize(self.big), 4)
        self.assertEqual(self.freed, [False])

    def test_largeFileArrivingMeanwhile(self):
        """
        A small upload that opened while its target was missing commits in
        a disk thread when, by its end, another upload put a large file
        there (its link, run at once, finds the file and declines).
        """
        return self.arrivingMeanwhile("I")

    def test_largeFileArrivingMeanwhileAscii(self):
        """
        Likewise in C{TYPE A} (the bytes through Python, the commit run at
        once from C{close}).
        """
        return self.arrivingMeanwhile("A")

    @defer.inlineCallbacks
    def test_cutUploadKeptOffReactor(self):
        """
        A small upload (in C{TYPE A}, through Python) cut by C{ABOR} is
        kept as its target's partial upload, replacing a large one, in a
        disk thread.
        """
        partial = uploads.partialPath(os.fsencode(self.big))
        with open(self.big, "wb") as f:
            f.write(b"old")
        os.utime(self.big, (1, 1))
        with open(partial, "wb") as f:
            f.write(b"\1" * LARGE)

        def client(ftp):
            with ftp.transfercmd("STOR big") as conn:
                conn.sendall(b"x")
                self.waitForUpload(1)
                return ftp.abort()

        yield self.inThread(self.session, "A", client)
        self.assertEqual(os.path.getsize(partial), 1)
        self.assertEqual(self.freed, [False])


class CutInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    A large file, and a small upload written into it in place. Every
    C{os.ftruncate} is recorded with the length of the file it cuts and
    whether it ran in the reactor thread.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.big = os.path.join(self.root, "big")
        with open(self.big, "wb") as f:
            f.write(b"\1" * (shortcalls.FREES_LITTLE + (1 << 20)))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())
        self.cuts = []
        truncate = os.ftruncate

        def recording(fd, length):
            self.cuts.append((os.fstat(fd).st_size, length,
                              threadable.isInIOThread()))
            return truncate(fd, length)

        self.patch(os, "ftruncate", recording)

    async def test_cutOffReactor(self):
        """
        C{REST 10} and a one-byte C{STOR} leave 11 bytes, cut in a disk
        thread.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            return ftp.storbinary("STOR big", io.BytesIO(b"z"), rest=10)

        reply = await self.inThread(run)
        self.assertTrue(reply.startswith("226"), reply)
        with open(self.big, "rb") as f:
            self.assertEqual(f.read(), b"\1" * 10 + b"z")
        large = [inReactor for size, length, inReactor in self.cuts
                 if size > shortcalls.FREES_LITTLE and length == 11]
        self.assertEqual(large, [False])
