"""
A small upload of a new name opened at once (in the reactor thread, after
the mount table's check) has its bytes and commit run as calls on its
descriptors (L{ftpkit.shells.shortcalls.ShortCalls.onDescriptors}): they
do not ask again whether the mount table changed, since a file system
mounted meanwhile can be under none of them; every call by path still
asks, and a commit that would have to go by name goes to a disk thread.
"""

import os
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.data.connection import LeanConnection
from ftpkit.data.movers import Upload
from ftpkit.data.movers import _splice as splicing
from ftpkit.data.movers import _splicebatch as batches
from ftpkit.shells import shortcalls
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.shortcalls import ShortCalls
from tests.scratch import scratchDirectory
from tests.uploadbatches import connectedPair


class DescriptorCallsTests(unittest.TestCase):
    """
    Spliced uploads into a filesystem shell whose runner counts the calls
    handed to the disk threads, and whose short calls count the questions
    put to the mount table.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.root = scratchDirectory(self)
        self.jobs = []
        self.asked = 0
        self.changed = 0
        self.mounts = [(b"/", "ext4")]

        def runner(translated, function, *args):
            self.jobs.append(function)
            return defer.maybeDeferred(translated, function, *args)
        self.now = 100.0
        self.shortCalls = ShortCalls(
            os.path.realpath(os.fsencode(self.root)), clock=lambda: self.now,
            mounts=lambda: self.mounts, changes=self.changes)
        self.shell = FilesystemShell(self.root, runner=runner,
                                     shortCalls=self.shortCalls)

    def changes(self):
        self.asked += 1
        return self.changed

    def path(self, name):
        return os.path.join(self.root, name)

    def content(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def upload(self, writer, data):
        """
        Run a spliced upload of C{data}, sent whole, into C{writer}.

        @return: the Deferred of the upload.
        """
        from twisted.internet import reactor

        sender, receiver = connectedPair(self)
        sender.sendall(data)
        sender.shutdown(socket.SHUT_WR)
        connection = LeanConnection(receiver, reactor, 60.0, lambda: None)
        self.addCleanup(connection.abort)
        return defer.ensureDeferred(
            Upload(writer, True, reactor).start(connection))

    def mountBelowRoot(self):
        """
        A FUSE file system is mounted below the root: the mount table
        changed.
        """
        self.mounts = [(b"/", "ext4"),
                       (os.fsencode(os.path.realpath(self.path("mnt"))),
                        "fuse.sshfs")]
        self.changed += 1

    def test_commitAsksNothing(self):
        """
        The open asks whether the mount table changed; the bytes and the
        commit of the new file, run at once, do not ask again.
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.assertEqual(self.asked, 1)
        self.assertEqual(self.successResultOf(self.upload(writer, b"new")),
                         3)
        self.assertTrue(writer.committed)
        self.assertEqual((self.content("f"), self.asked, self.jobs),
                         (b"new", 1, []))

    def test_mountedSinceTheOpen(self):
        """
        A file system mounted below the root after the open does not hold
        the upload's descriptors: its bytes and commit still run at once;
        the next open asks, and goes to a disk thread.
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.mountBelowRoot()
        self.successResultOf(self.upload(writer, b"new"))
        self.assertEqual((self.content("f"), self.jobs), (b"new", []))
        self.successResultOf(self.shell.openForWriting(("g",)))
        self.assertEqual(self.asked, 2)
        self.assertEqual(len(self.jobs), 1)

    def test_tableReadAgainWhenOld(self):
        """
        Once the mount table's reading is older than
        L{shortcalls.MOUNTS_MAX_AGE}, the bytes and commit ask as any call
        does, and go to a disk thread where the root is no longer local.
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.mountBelowRoot()
        self.now += shortcalls.MOUNTS_MAX_AGE
        self.successResultOf(self.upload(writer, b"new"))
        self.assertEqual(self.content("f"), b"new")
        self.assertEqual(self.jobs, [batches.batchThenCommit])

    def test_openedInThreadAsks(self):
        """
        An upload opened in a disk thread (its descriptors may be on any
        file system) asks at each short call.
        """
        self.mounts = [(b"/", "nfs4")]
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.assertEqual(len(self.jobs), 1)
        self.mounts = [(b"/", "ext4")]
        self.changed += 1
        self.successResultOf(self.upload(writer, b"new"))
        self.assertEqual(self.content("f"), b"new")
        self.assertEqual((self.asked, len(self.jobs)), (2, 1))

    def test_nameTakenCommitsInThread(self):
        """
        Where a file took the target's name since the open, the commit
        would look at it and replace it by name: it goes to a disk thread,
        and the upload replaces that file.
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        with open(self.path("f"), "wb") as f:
            f.write(b"other")
        self.successResultOf(self.upload(writer, b"new"))
        self.assertEqual(self.content("f"), b"new")
        self.assertEqual(os.listdir(self.root), ["f"])
        self.assertEqual(len(self.jobs), 1)

    def test_pausedAfterSlowCalls(self):
        """
        After slow calls, the bytes and commit go to a disk thread as
        any short call does (L{shortcalls.PAUSE}).
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))

        def slow():
            self.now += shortcalls.SLOW_CALL * 2
        for _ in range(shortcalls.SLOW_IN_A_ROW):
            self.shortCalls(slow)
        self.successResultOf(self.upload(writer, b"new"))
        self.assertEqual(self.content("f"), b"new")
        self.assertEqual(self.jobs, [batches.batchThenCommit])
