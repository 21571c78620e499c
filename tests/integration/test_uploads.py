"""
Tests for L{ftpkit.shells.uploads}: a cut upload is kept, hidden, for a
resume, the old file staying in place until the upload completes, and a
sweep at start leaves another process's running uploads alone.

Real clients resuming are tested in L{tests.integration.test_uploadresume},
the sweep itself in L{tests.integration.test_uploadsweep}.
"""

import ftplib
import os
import shutil
import signal
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.errors import DirectoryNotEmpty, FileBusy, RestPastEnd
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import directoryremoval, partials, uploads
from ftpkit.shells.filesystem import FilesystemShell
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_storage import waitUntil
from tests.resets import hardClose
from tests.scratch import readLocal, writeLocal
from tests.serverprocess import ServerProcess
from tests.uploadroot import UploadRoot, expire
from tests.uploadsinprogress import largestUpload


class PartialUploadTests(UploadRoot, unittest.TestCase):
    """
    The filesystem shell keeps a cut upload as the target's partial
    upload, which C{REST} + C{STOR} and C{APPE} continue.
    """

    def setUp(self):
        self.makeRoot()
        self.shell = FilesystemShell(self.root,
                                     runner=defer.maybeDeferred)

    @defer.inlineCallbacks
    def upload(self, name, data, offset=0, append=False, cut=False):
        """
        Upload C{data}; C{cut} aborts it after the bytes instead of
        closing it.
        """
        writer = yield self.shell.openForWriting((name,), offset, append)
        consumer = yield writer.receive()
        consumer.write(data)
        if cut:
            yield writer.abort()
        else:
            yield writer.close()
        return writer

    @defer.inlineCallbacks
    def test_cutUploadKept(self):
        """
        A cut upload is kept under a hidden name; the old file stays, and
        listings show neither.
        """
        writeLocal(self.path(b"f"), b"old")
        time.sleep(0.01)
        yield self.upload("f", b"new by", cut=True)
        self.assertEqual(readLocal(self.path(b"f")), b"old")
        self.assertEqual(readLocal(self.partial(b"f")), b"new by")
        self.assertEqual(sorted(os.listdir(self.root)),
                         [uploads.PARTIAL_PREFIX + b"f", b"f"])
        self.assertEqual([n for n, _ in (yield self.shell.list(()))], ["f"])
        self.assertEqual((yield self.shell.resumableSize(("f",))), 6)

    @defer.inlineCallbacks
    def test_removeDirectoryWithCutUpload(self):
        """
        A directory that holds nothing but cut uploads lists empty, and
        C{RMD} removes it and them: it failed with L{DirectoryNotEmpty}
        for a day.
        """
        os.mkdir(self.path(b"d"))
        yield self.upload("d/f", b"cut", cut=True)
        yield self.upload("d/g", b"cut too", cut=True)
        self.assertEqual(len(os.listdir(self.path(b"d"))), 2)
        self.assertEqual((yield self.shell.list(("d",))), [])
        yield self.shell.removeDirectory(("d",))
        self.assertEqual(os.listdir(self.root), [])

    @defer.inlineCallbacks
    def test_removeDirectoryHoldingMore(self):
        """
        A directory that holds a cut upload and anything else (a running
        upload's temporary file, a file the listing hides) is not
        removed, and its cut upload is kept.
        """
        for other in (uploads.TEMPORARY_PREFIX + b"x.f.tmp", b".hidden"):
            os.mkdir(self.path(b"d"))
            yield self.upload("d/f", b"cut", cut=True)
            writeLocal(os.path.join(self.path(b"d"), other), b"")
            yield self.assertFailure(self.shell.removeDirectory(("d",)),
                                     DirectoryNotEmpty)
            self.assertEqual(readLocal(os.path.join(
                self.path(b"d"), uploads.PARTIAL_PREFIX + b"f")), b"cut")
            shutil.rmtree(self.path(b"d"))

    @defer.inlineCallbacks
    def test_removeDirectoryRacingResume(self):
        """
        A C{RMD} that found nothing but cut uploads in the directory, and
        a resume of one of them taken in the moment before it removed
        them, leaves the directory and every cut upload in it: it removed
        the others, then failed with L{DirectoryNotEmpty}.
        """
        os.mkdir(self.path(b"d"))
        yield self.upload("d/f", b"cut", cut=True)
        yield self.upload("d/g", b"cut too", cut=True)
        onlyPartials = directoryremoval._onlyPartials
        resumed = []

        def resumedAfter(directory):
            found = onlyPartials(directory)
            resumed.append(self.shell.openForWriting(("d", "f"), 3))
            return found

        self.patch(directoryremoval, "_onlyPartials", resumedAfter)
        yield self.assertFailure(self.shell.removeDirectory(("d",)),
                                 DirectoryNotEmpty)
        self.assertEqual(readLocal(self.partial(b"d/g")), b"cut too")
        self.assertEqual(os.listdir(self.root), [b"d"])
        writer = yield resumed[0]
        consumer = yield writer.receive()
        consumer.write(b"!")
        yield writer.close()
        self.assertEqual(readLocal(self.path(b"d/f")), b"cut!")
        self.assertEqual(sorted(os.listdir(self.path(b"d"))),
                         [uploads.PARTIAL_PREFIX + b"g", b"f"])

    @defer.inlineCallbacks
    def test_resumeWithRest(self):
        """
        C{REST} + C{STOR} continues the partial upload and, complete, it
        replaces the target; nothing else is left.
        """
        writeLocal(self.path(b"f"), b"old")
        time.sleep(0.01)
        yield self.upload("f", b"new by", cut=True)
        yield self.upload("f", b"bytes", offset=4)
        self.assertEqual(readLocal(self.path(b"f")), b"new bytes")
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertIsNone((yield self.shell.resumableSize(("f",))))

    @defer.inlineCallbacks
    def test_resumePastPartialEnd(self):
        """
        A resume from past the end of the partial upload it takes (one
        replaced, since its C{REST} was checked, by a shorter cut upload)
        is refused with L{RestPastEnd}, and the partial upload stays: it
        was written from the offset, leaving a hole of zeros.
        """
        writeLocal(self.path(b"f"), b"old")
        time.sleep(0.01)
        yield self.upload("f", b"cut", cut=True)
        yield self.assertFailure(
            self.shell.openForWriting(("f",), 10, False), RestPastEnd)
        self.assertEqual(readLocal(self.partial(b"f")), b"cut")
        self.assertEqual(sorted(os.listdir(self.root)),
                         [uploads.PARTIAL_PREFIX + b"f", b"f"])
        self.assertEqual((yield self.upload("f", b"!", offset=3))
                         and readLocal(self.path(b"f")), b"cut!")

    @defer.inlineCallbacks
    def test_resumeHeldBeforeTaken(self):
        """
        A resume holds the partial upload it continues before it takes it
        (renames it to a temporary name of this process's): a sweep
        starting meanwhile in another process serving the root (which
        spares its own uploads only) found an upload's temporary file
        nobody held, took it, and the resume failed.
        """
        yield self.upload("f", b"half", cut=True)
        rename = os.rename
        swept = []

        def sweptAfter(source, *args, **kwargs):
            rename(source, *args, **kwargs)
            if source == self.partial(b"f"):
                swept.append(uploads.sweep(self.root))

        self.patch(os, "rename", sweptAfter)
        yield self.upload("f", b"!", offset=4)
        self.assertEqual(swept, [(0, 0)])
        self.assertEqual(readLocal(self.path(b"f")), b"half!")
        self.assertEqual(os.listdir(self.root), [b"f"])

    @defer.inlineCallbacks
    def test_resumeLosingPartialBusy(self):
        """
        A resume whose partial upload another command takes away between
        the resume's open of it and its rename (here the sweep, removing
        it in the hour past its lifetime that a resume still takes it)
        gets C{450} and writes nothing: it wrote the target in place from
        the offset checked against the partial upload, the target's
        bytes before it and the new ones after.
        """
        writeLocal(self.path(b"f"), b"target")
        writeLocal(self.partial(b"f"), b"partial")
        # The sweep runs as if the partial upload's lifetime had ended
        # since (the target's last change, st_ctime, cannot be set back
        # to leave a partial upload made older than it unstale).
        later = time.time() + uploads.PARTIAL_LIFETIME + 10
        rename = os.rename
        swept = []

        def sweptBefore(source, *args, **kwargs):
            if source == self.partial(b"f") and not swept:
                swept.append(None)
                swept[0] = uploads.sweep(self.root, now=later)
            return rename(source, *args, **kwargs)

        self.patch(os, "rename", sweptBefore)
        yield self.assertFailure(self.upload("f", b"!", offset=7), FileBusy)
        self.assertEqual(swept, [(0, 1)])
        self.assertEqual(readLocal(self.path(b"f")), b"target")
        self.assertEqual(os.listdir(self.root), [b"f"])

    @defer.inlineCallbacks
    def test_resumeWithAppend(self):
        """
        C{APPE} continues the partial upload at its end.
        """
        yield self.upload("g", b"first ", cut=True)
        self.assertFalse(os.path.exists(self.path(b"g")))
        yield self.upload("g", b"second", append=True)
        self.assertEqual(readLocal(self.path(b"g")), b"first second")
        self.assertEqual(os.listdir(self.root), [b"g"])

    @defer.inlineCallbacks
    def test_cutResumeKeptAgain(self):
        """
        A resume cut in turn is kept again, with what both brought.
        """
        yield self.upload("g", b"one ", cut=True)
        yield self.upload("g", b"two ", offset=4, cut=True)
        self.assertEqual((yield self.shell.resumableSize(("g",))), 8)
        yield self.upload("g", b"three", offset=8)
        self.assertEqual(readLocal(self.path(b"g")), b"one two three")

    @defer.inlineCallbacks
    def test_cutAfterDirectoryRemoved(self):
        """
        An upload into a temporary file (replacing a file, or resuming a
        partial upload) cut after a local user removed its directory with
        everything in it ends quietly, keeping nothing: keeping it as the
        partial upload failed with L{NoSuchFile}, which became the
        client's reply instead of the cut's C{426}.
        """
        for offset in (0, 3):
            os.mkdir(self.path(b"d"))
            writeLocal(self.path(b"d/f"), b"old")
            time.sleep(0.01)
            if offset:
                yield self.upload("d/f", b"cut", cut=True)
            writer = yield self.shell.openForWriting(("d", "f"), offset)
            (yield writer.receive()).write(b"new")
            shutil.rmtree(self.path(b"d"))
            yield writer.abort()
            self.assertEqual(os.listdir(self.root), [])

    @defer.inlineCallbacks
    def test_cutAfterDirectoryMoved(self):
        """
        An upload into a temporary file cut after its directory was
        renamed leaves its bytes there, which the next sweep keeps as the
        target's partial upload (as one completed then does,
        L{tests.unit.test_shell_newfiles.RenamedTemporaryFileTests}).
        """
        os.mkdir(self.path(b"d"))
        writeLocal(self.path(b"d/f"), b"old")
        writer = yield self.shell.openForWriting(("d", "f"))
        (yield writer.receive()).write(b"new")
        os.rename(self.path(b"d"), self.path(b"moved"))
        yield writer.abort()
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(readLocal(self.partial(b"moved/f")), b"new")

    @defer.inlineCallbacks
    def test_emptyCutLeavesNothing(self):
        """
        A cut upload that received nothing leaves nothing.
        """
        yield self.upload("f", b"", cut=True)
        self.assertEqual(os.listdir(self.root), [])

    @defer.inlineCallbacks
    def test_discardKeepsNothing(self):
        """
        A discarded upload leaves nothing; one written in place is cut
        back to its length before.
        """
        writer = yield self.shell.openForWriting(("f",))
        (yield writer.receive()).write(b"too large")
        yield writer.discard()
        self.assertEqual(os.listdir(self.root), [])
        writeLocal(self.path(b"g"), b"keep")
        writer = yield self.shell.openForWriting(("g",), append=True)
        (yield writer.receive()).write(b" and more")
        yield writer.discard()
        self.assertEqual(readLocal(self.path(b"g")), b"keep")

    @defer.inlineCallbacks
    def test_olderThanTargetIgnored(self):
        """
        A partial upload older than its target (a later upload completed)
        is not resumed: it is removed.
        """
        yield self.upload("f", b"cut", cut=True)
        time.sleep(0.01)
        writeLocal(self.path(b"f"), b"complete")
        self.assertIsNone((yield self.shell.resumableSize(("f",))))
        self.assertEqual(os.listdir(self.root), [b"f"])

    @defer.inlineCallbacks
    def test_expiredIgnored(self):
        """
        A partial upload past its lifetime is not resumed: it is removed.
        """
        yield self.upload("f", b"cut", cut=True)
        expire(self.partial(b"f"))
        self.assertIsNone((yield self.shell.resumableSize(("f",))))
        self.assertEqual(os.listdir(self.root), [])


class _Clock:
    """
    A stand-in for the C{time} module whose C{time()} is this machine's
    clock plus C{ahead} seconds.
    """

    def __init__(self, ahead):
        self.ahead = ahead

    def time(self):
        return time.time() + self.ahead


class PartialAgeTests(UploadRoot, unittest.TestCase):
    """
    A partial upload's age is measured by this machine's clock, at both
    ends, whatever clock stamped its writes.
    """

    setUp = PartialUploadTests.setUp
    upload = PartialUploadTests.upload

    @defer.inlineCallbacks
    def test_fileServerBehind(self):
        """
        On a file system whose clock is two days behind this machine's (a
        file server stamps the writes it receives), a cut upload is
        resumable: it looked expired at once, and was removed.
        """
        self.patch(partials, "time", _Clock(2 * 24 * 3600))
        yield self.upload("f", b"cut", cut=True)
        self.assertEqual((yield self.shell.resumableSize(("f",))), 3)

    @defer.inlineCallbacks
    def test_timesNotSet(self):
        """
        On a file system that refuses to set a file's times, a cut upload
        is kept all the same, aged by the file system's time: it was
        left as a temporary file, and its abort failed.
        """
        def refuse(*args, **kwargs):
            raise PermissionError("times are the file system's")

        self.patch(os, "utime", refuse)
        yield self.upload("f", b"cut", cut=True)
        self.assertEqual((yield self.shell.resumableSize(("f",))), 3)
        self.assertEqual(os.listdir(self.root),
                         [uploads.PARTIAL_PREFIX + b"f"])

    @defer.inlineCallbacks
    def test_fileServerAhead(self):
        """
        On one two days ahead, a cut upload expires after its lifetime:
        it was kept two days longer.
        """
        clock = _Clock(-2 * 24 * 3600)
        self.patch(partials, "time", clock)
        yield self.upload("f", b"cut", cut=True)
        clock.ahead += uploads.PARTIAL_LIFETIME + 10
        self.assertIsNone((yield self.shell.resumableSize(("f",))))
        self.assertEqual(os.listdir(self.root), [])


class SharedRootTests(UploadRoot, unittest.TestCase):
    """
    A server starting on a root another process serves (a scale-out node
    restarting on the shared directory) leaves that process's running
    uploads alone: its sweep made their temporary files partial uploads,
    and each such upload, once complete, failed with C{550}.
    """

    setUp = PartialUploadTests.setUp
    upload = PartialUploadTests.upload

    @defer.inlineCallbacks
    def uploadAcrossSweep(self, name, offset=0, append=False):
        """
        Upload C{name} in two halves with a start-up sweep of the root
        between them, as another server starting meanwhile makes.

        @return: the file's content once the upload is closed.
        """
        from ftpkit.deploy.sweepservice import SweepUploads

        writer = yield self.shell.openForWriting((name,), offset, append)
        consumer = yield writer.receive()
        consumer.write(b"new ")
        SweepUploads(self.root).startService()
        consumer.write(b"bytes")
        yield writer.close()
        return readLocal(self.path(name.encode()))

    @defer.inlineCallbacks
    def test_replacingUpload(self):
        """
        An upload replacing a file (written to a temporary file) completes.
        """
        writeLocal(self.path(b"f"), b"old")
        self.assertEqual((yield self.uploadAcrossSweep("f")), b"new bytes")
        self.assertEqual(os.listdir(self.root), [b"f"])

    @defer.inlineCallbacks
    def test_resumedUpload(self):
        """
        A resumed upload (its partial upload renamed to a temporary name
        and written in place) completes.
        """
        writeLocal(self.path(b"f"), b"old")
        time.sleep(0.01)
        yield self.upload("f", b"cut", cut=True)
        self.assertEqual((yield self.uploadAcrossSweep("f", append=True)),
                         b"cutnew bytes")
        self.assertEqual(os.listdir(self.root), [b"f"])


class CutIntoRemovedDirectoryTests(LoopbackServerMixin, UploadRoot,
                                   unittest.TestCase):
    """
    A client cuts an upload (drops its data connection) whose directory a
    local user removed meanwhile.
    """

    def test_cutGets426(self):
        """
        The cut is what the client is told, C{426}: the removal is
        secondary, and the upload replacing a file got C{550}, from the
        failure to keep its bytes as a partial upload in the directory
        that was gone.
        """
        self.makeRoot()
        os.mkdir(self.path(b"d"))
        writeLocal(self.path(b"d/f"), b"old")
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0))

        def cut():
            ftp = ftplibLogin(self, server.port, binary=True)
            data = ftp.transfercmd("STOR d/f")
            data.sendall(b"x" * 4096)
            waitUntil(lambda: largestUpload(self.root) == 4096)
            shutil.rmtree(self.path(b"d"))
            hardClose(data)
            try:
                return ftp.voidresp()
            except ftplib.Error as e:
                return str(e)

        return self.inThread(cut).addCallback(
            lambda final: self.assertEqual(final[:4], "426 "))


class StopMidUploadTests(UploadRoot, unittest.TestCase):
    """
    C{SIGTERM} during an upload leaves no temporary file: the cut upload
    is kept as the target's partial upload, per the rule.
    """

    def test_sigterm(self):
        self.makeRoot()
        server = ServerProcess(self, [
            "--root", os.fsdecode(self.root), "--auth", "memory:alice:secret",
            "--shutdown-grace", "0"])
        server.waitForGreeting()
        ftp = server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        data_socket = ftp.transfercmd("STOR up.bin")
        data_socket.sendall(b"x" * (1 << 20))
        server.waitFor(
            lambda: (largestUpload(self.root, server.process.pid) or 0)
            >= (1 << 20), "the upload's bytes on disk")
        server.signal(signal.SIGTERM)
        server.process.wait(60)
        data_socket.close()
        ftp.sock.close()
        self.assertEqual(os.listdir(self.root),
                         [uploads.PARTIAL_PREFIX + b"up.bin"])
        self.assertEqual(os.path.getsize(self.partial(b"up.bin")), 1 << 20)
