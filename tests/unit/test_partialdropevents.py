"""
The C{partial-dropped} events of kept cut uploads the server finds stale
and removes: past their lifetime (C{reason} L{EXPIRED}), or whose file
another upload replaced since (L{FILE_CHANGED}). Before session 32 only
the drops for room and past a user's limit were logged: these removals
were silent, and a user whose resume found nothing left the operator no
line to find why.
"""

import os
import time

from twisted.internet.defer import maybeDeferred
from twisted.internet.task import Clock
from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.shells import partials, uploads
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.keptnames import partialName, resumingName
from ftpkit.shells.keptregistry import (
    EXPIRED,
    FILE_CHANGED,
    PAST_LIMIT,
    KeptPartials,
    logDropped,
    logDroppedFrom,
)
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.uploadnames import PARTIAL_LIFETIME
from tests.logevents import captureLogs, dropped
from tests.scratch import scratchDirectory, writeLocal


class KeptStaleTests(unittest.TestCase):
    """
    alice's cut upload of C{f} on a L{KeptUploadsShell} over a
    L{MemoryShell} (the fsspec realms share that shell).
    """

    def setUp(self):
        self.events = captureLogs(self)
        self.clock = Clock()
        self.clock.advance(1000)
        self.raw = MemoryShell({"/f": b"old file"}, clock=self.clock)
        self.shell = KeptUploadsShell(self.raw, clock=self.clock)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    def upload(self, shell, data, path=("f",), cut=False):
        """
        Upload C{data} whole, or cut after it.
        """
        opened = self.successResultOf(shell.openForWriting(path))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort() if cut else opened.close())

    def kept(self, shell, path=("f",)):
        """
        @return: what C{shell}'s C{resumableSize} tells of C{path}.
        """
        return self.successResultOf(shell.resumableSize(path))

    def test_fileChanged(self):
        """
        bob's upload replacing C{f}: alice's next C{SIZE} drops her
        partial upload, one event; a second C{SIZE} logs nothing more.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.assertIsNone(self.kept(self.alice))
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, FILE_CHANGED)])

    def test_changedWhileResumed(self):
        """
        alice's resume cut after bob replaced C{f} keeps nothing: the
        partial upload it continued, hers to resume until then, is
        dropped, one event (before session 33, none), and nothing of it
        is left to resume, as on the disk realm.
        """
        self.upload(self.alice, b"brand", cut=True)
        resume = self.successResultOf(self.alice.openForWriting(("f",), 5))
        self.successResultOf(resume.writeAt(5, b" ne"))
        self.clock.advance(1)
        self.upload(self.bob, b"bob's file")
        self.successResultOf(resume.abort())
        self.assertEqual(dropped(self.events), [
            ("/" + resumingName("f", "alice"), "alice", 8, FILE_CHANGED)])
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(
            self.successResultOf(self.raw.listNames(())), ["f"])

    def test_expired(self):
        """
        Past its lifetime, alice's C{SIZE} drops it: one event.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, EXPIRED)])

    def test_anyones(self):
        """
        A partial upload kept for nobody in particular is logged with no
        user.
        """
        self.upload(self.shell, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", None), None, 5, EXPIRED)])

    def test_swept(self):
        """
        Past its lifetime, the sweep run when a cut upload is next kept
        in its directory drops it: one event, naming its user.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.upload(self.bob, b"other", ("g",), cut=True)
        self.assertEqual(dropped(self.events), [
            ("/" + partialName("f", "alice"), "alice", 5, EXPIRED)])

    def test_resumedNotLogged(self):
        """
        A partial upload its user resumes, or removes with C{DELE}, is no
        drop.
        """
        self.upload(self.alice, b"brand", cut=True)
        self.successResultOf(self.alice.removeFile(("f",)))
        self.upload(self.alice, b"brand", ("g",), cut=True)
        opened = self.successResultOf(
            self.alice.openForWriting(("g",), 5))
        self.successResultOf(opened.writeAt(5, b"!"))
        self.successResultOf(opened.close())
        self.assertEqual(dropped(self.events), [])


class LeftTests(unittest.TestCase):
    """
    A drop L{KeptPartials} decides whose removal leaves the file (another
    worker of C{--workers} kept it anew meanwhile) is no drop.
    """

    def test_leftNotLogged(self):
        """
        Past the user's limit, a removal that left the file logs
        nothing; one that removed it logs it.
        """
        events = captureLogs(self)
        kept = KeptPartials(perUser=1)
        kept.kept(("a",), "alice", None, size=1)
        kept.kept(("b",), "alice", None, size=2)
        kept.left(("a",))
        kept.removed(("a",), 1)
        self.assertEqual(dropped(events), [])
        kept.kept(("c",), "alice", None, size=3)
        kept.removed(("b",), 2)
        self.assertEqual(dropped(events), [("/b", "alice", 2, PAST_LIMIT)])


class DiskStaleTests(unittest.TestCase):
    """
    alice's cut upload of C{f} kept by the disk realm
    (L{ftpkit.shells.partials.keepPartial}), found stale by her C{SIZE}
    or resume through a L{FilesystemShell}.
    """

    def setUp(self):
        self.events = captureLogs(self)
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        writeLocal(self.target, b"old file")
        try:
            os.setxattr(self.target, b"user.ftpkit.probe", b"-")
        except OSError:
            raise unittest.SkipTest("no user extended attributes here")
        self.alice = FilesystemShell(
            self.root, runner=maybeDeferred).forResumer("alice")
        temporary = os.path.join(self.root, uploads.temporaryName(b"f"))
        writeLocal(temporary, b"half!")
        fd = os.open(temporary, os.O_WRONLY)
        try:
            partials.keepPartial(temporary, self.target, 5, fd=fd,
                                 resumer="alice",
                                 targetWas=uploads.targetVersion(self.target))
        finally:
            os.close(fd)
        self.partial = os.fsdecode(
            os.path.basename(uploads.partialPath(self.target)))

    def replaceFile(self):
        """
        Another upload replaces C{f}.
        """
        other = os.path.join(self.root, b"other")
        writeLocal(other, b"bob's whole file")
        os.replace(other, self.target)

    def age(self):
        """
        Age the partial upload past its lifetime.
        """
        past = time.time() - PARTIAL_LIFETIME - 10
        os.utime(uploads.partialPath(self.target), (past, past))

    def test_fileChangedSize(self):
        """
        Its file replaced, alice's C{SIZE} drops it: one event; her next
        finds nothing, and logs nothing.
        """
        self.replaceFile()
        self.assertIsNone(
            self.successResultOf(self.alice.resumableSize(("f",))))
        self.assertIsNone(
            self.successResultOf(self.alice.resumableSize(("f",))))
        self.assertEqual(dropped(self.events), [
            ("/" + self.partial, "alice", 5, FILE_CHANGED)])

    def test_expiredSize(self):
        """
        Past its lifetime, alice's C{SIZE} drops it: one event.
        """
        self.age()
        self.assertIsNone(
            self.successResultOf(self.alice.resumableSize(("f",))))
        self.assertEqual(dropped(self.events), [
            ("/" + self.partial, "alice", 5, EXPIRED)])

    def test_fileChangedResume(self):
        """
        Its file replaced, alice's resume (C{REST 5}, C{STOR}) drops it
        (and writes the file in place): one event.
        """
        self.replaceFile()
        opened = self.successResultOf(self.alice.openForWriting(("f",), 5))
        self.successResultOf(opened.close())
        self.assertEqual(dropped(self.events), [
            ("/" + self.partial, "alice", 5, FILE_CHANGED)])

    def test_expiredOthersDele(self):
        """
        bob's C{DELE} of C{f} removes alice's partial upload past its
        lifetime with it: dropped, one event naming her.
        """
        self.age()
        bob = FilesystemShell(self.root, runner=maybeDeferred).forResumer(
            "bob")
        self.successResultOf(bob.removeFile(("f",)))
        self.assertFalse(os.path.exists(uploads.partialPath(self.target)))
        self.assertEqual(dropped(self.events), [
            ("/" + self.partial, "alice", 5, EXPIRED)])

    def test_ownDeleNotLogged(self):
        """
        alice's own C{DELE} removes her partial upload, stale or not: her
        act, no drop.
        """
        self.age()
        self.successResultOf(self.alice.removeFile(("f",)))
        self.assertFalse(os.path.exists(uploads.partialPath(self.target)))
        self.assertEqual(dropped(self.events), [])

    def test_freshNotLogged(self):
        """
        A partial upload still fresh is answered, and nothing logged.
        """
        self.assertEqual(
            self.successResultOf(self.alice.resumableSize(("f",))), 5)
        self.assertEqual(dropped(self.events), [])


class DiskResumeChangedTests(unittest.TestCase):
    """
    alice's resume of the cut upload of L{DiskStaleTests}, cut after
    another upload replaced C{f}: it keeps nothing, and the cut upload it
    continued, hers to resume until then, is one event (before session
    33, none).
    """

    setUp = DiskStaleTests.setUp
    replaceFile = DiskStaleTests.replaceFile

    def test_resumeCut(self):
        """
        One event, under the resume's name, naming alice and the bytes.
        """
        resume = self.successResultOf(self.alice.openForWriting(("f",), 5))
        self.replaceFile()
        self.successResultOf(maybeDeferred(resume.abort))
        resuming = os.fsdecode(os.path.basename(
            uploads.resumingPath(self.target)))
        self.assertEqual(dropped(self.events), [
            ("/" + resuming, "alice", 5, FILE_CHANGED)])
        self.assertEqual(sorted(os.listdir(self.root)), [b"f"])


class FromThreadTests(unittest.TestCase):
    """
    L{logDroppedFrom}: the disk realm finds partial uploads stale in its
    threads, and the log's observers run in the reactor's.
    """

    def test_otherThread(self):
        """
        Outside the reactor's thread, the event is handed to the reactor,
        not logged there.
        """
        events = captureLogs(self)
        handed = []

        class Reactor:
            def callFromThread(self, f, *args):
                handed.append((f, args))

        self.patch(threadable, "ioThread", object())
        logDroppedFrom(Reactor(), ("f",), "alice", 5, EXPIRED)
        self.assertEqual(dropped(events), [])
        self.assertEqual(handed, [
            (logDropped, (("f",), "alice", 5, EXPIRED))])
