"""
C{APPE} of a new name on the fsspec realm (C{fsspec:file://},
C{fsspec:memory://} and C{fsspec:sftp://}) cut by C{ABOR} before any
byte arrived, on a real server: as on the disk
(L{tests.integration.test_appendabort}), it leaves no file; it left an
empty one, made by the open of the upload written in place
(L{ftpkit.shells.fsspecinplacewriter}). An C{APPE} of an existing
file cut so leaves it as it was.

And the other ends of such an C{APPE} on the shell in process
(L{FsspecAppendEndsMixin}): dropped whole, it leaves no file either (it
left its bytes' file empty); cut after bytes, or complete with none, it
keeps the file; and each says what it left (it said "not known" for
any upload written in place, and a quota measured its home again). On
C{fsspec:sftp://} the file an C{APPE} makes is made by an exclusive
open (L{SFTPAppendMadeTests}).
"""

import ftplib
import io
import os
import socket
import uuid

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.fileinfo import StorageChange
from tests.ftpclient import ftplibLogin
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.serverprocess import startServing

try:
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    from ftpkit.shells.fsspecshell import FsspecShell
    from tests.fsspecrealms import memoryFilesystem, sftpURL
except ImportError:
    fsspec = None


def sizeOf(ftp, name):
    """
    @param ftp: a logged-in ftplib client in C{TYPE I}.
    @param name: a file's name.
    @return: its size, or C{None} when C{SIZE} says C{550}.
    """
    try:
        return ftp.size(name)
    except ftplib.error_perm as e:
        if str(e).startswith("550"):
            return None
        raise


class FsspecAppendAbortMixin:
    """
    C{APPE} cut by C{ABOR} once waiting, on the realm of L{url}.
    """

    timeout = 120

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.server = startServing(self, [
            "--realm", "fsspec:" + self.url(), "--auth",
            "memory:alice:secret"])
        self.ftp = ftplibLogin(self, self.server.port, binary=True)
        self.ftp.storbinary("STOR old.txt", io.BytesIO(b"hello\n"))

    def url(self):
        """
        @return: the fsspec URL the server serves.
        """
        raise NotImplementedError()

    def abort(self, name, connect):
        """
        C{APPE name}, then C{ABOR} once it waits: on its data connection
        (C{150} read) where C{connect}, for it otherwise (the file seen
        made by a second session, where C{name} is new).

        @param name: the file appended to.
        @param connect: whether the data connection is made.
        @return: the replies to the C{APPE} and the C{ABOR}.
        """
        ftp = self.ftp
        host, port = ftplib.parse227(ftp.sendcmd("PASV"))
        sockets = []
        if connect:
            sockets.append(socket.create_connection((host, port), timeout=30))
        ftp.sock.sendall(b"APPE " + name.encode("ascii") + b"\r\n")
        if connect:
            self.assertEqual(ftp.getmultiline()[:3], "150")
        else:
            other = ftplibLogin(self, self.server.port, binary=True)
            self.assertTrue(waitUntil(
                lambda: sizeOf(other, name) is not None))
            other.quit()
        ftp.sock.sendall(b"ABOR\r\n")
        codes = [ftp.getmultiline()[:3] for _ in range(2)]
        for sock in sockets:
            sock.close()
        return codes

    def test_newConnected(self):
        """
        A new name, its data connection made: no file is left.
        """
        self.assertEqual(self.abort("new.txt", True), ["426", "226"])
        self.assertIsNone(sizeOf(self.ftp, "new.txt"))
        self.assertEqual(self.ftp.nlst(), ["old.txt"])

    def test_newWaiting(self):
        """
        A new name, its data connection awaited: no file is left.
        """
        self.assertEqual(self.abort("new.txt", False), ["425", "226"])
        self.assertIsNone(sizeOf(self.ftp, "new.txt"))

    def test_existing(self):
        """
        An existing file is left as it was.
        """
        self.assertEqual(self.abort("old.txt", True), ["426", "226"])
        self.assertEqual(sizeOf(self.ftp, "old.txt"), 6)


class LocalAppendAbortTests(FsspecAppendAbortMixin, unittest.TestCase):
    """
    On C{fsspec:file://}.
    """

    def url(self):
        return "file://" + scratchDirectory(self)


class MemoryAppendAbortTests(FsspecAppendAbortMixin, unittest.TestCase):
    """
    On C{fsspec:memory://}, a root of the test's own in the server's
    store.
    """

    def url(self):
        return "memory:///appendabort-" + uuid.uuid4().hex


class FsspecAppendEndsMixin:
    """
    The ends of an C{APPE} (C{openForWriting(..., append=True)}) on the
    shell of the realm of L{url}, in process: as the disk realm's
    (L{tests.unit.test_appendnew}).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.shell = self.makeShell()
        self.addCleanup(self.shell.whenIdle)

    def makeShell(self):
        """
        @return: the L{FsspecShell} of an empty root.
        """
        raise NotImplementedError()

    @defer.inlineCallbacks
    def appended(self, data, end):
        """
        Append C{data} to C{new}, then end the upload.

        @param data: the bytes to append.
        @param end: C{"abort"}, C{"discard"} or C{"close"}.
        @return: a Deferred firing with C{new}'s size, C{None} when gone;
            what the upload said it left is kept as C{self.left}.
        """
        opened = yield self.shell.openForWriting(("new",), append=True)
        if data:
            yield opened.writeAt(0, data)
        yield getattr(opened, end)()
        self.left = opened.leftBehind()
        names = [name for name, _ in (yield self.shell.list(()))]
        if "new" not in names:
            return None
        return (yield self.shell.stat(("new",))).size

    @defer.inlineCallbacks
    def test_discarded(self):
        """
        Dropped whole (refused for its size), its bytes and the file its
        open made go, and it says so (a file less: a quota settled the file
        it reserved as made, as the disk realm's upload says; it said
        C{None}, not known, and the quota measured its home again).
        """
        self.assertIsNone((yield self.appended(b"abc", "discard")))
        self.assertEqual(self.left, StorageChange(0, -1))

    @defer.inlineCallbacks
    def test_cutAfterBytes(self):
        """
        Cut once bytes came, the file keeps them (a resume goes on), and
        it says so.
        """
        self.assertEqual((yield self.appended(b"abc", "abort")), 3)
        self.assertEqual(self.left, StorageChange(3, 0))

    @defer.inlineCallbacks
    def test_cutExisting(self):
        """
        An existing file appended to, cut once bytes came, keeps them, and
        the upload says how many; dropped whole, it goes back to its
        size and says nothing changed.
        """
        yield self.appended(b"old", "close")
        self.assertEqual((yield self.appended(b"abcd", "abort")), 7)
        self.assertEqual(self.left, StorageChange(4, 0))
        self.assertEqual((yield self.appended(b"ef", "discard")), 7)
        self.assertEqual(self.left, StorageChange(0, 0))

    @defer.inlineCallbacks
    def test_completeEmpty(self):
        """
        Complete with no byte, the file made stays: an empty upload.
        """
        self.assertEqual((yield self.appended(b"", "close")), 0)


class LocalAppendEndsTests(FsspecAppendEndsMixin, unittest.TestCase):
    """
    On C{fsspec:file://}.
    """

    def makeShell(self):
        self.root = scratchDirectory(self)
        return FsspecShell(LocalFileSystem(skip_instance_cache=True),
                           self.root)

    @defer.inlineCallbacks
    def test_writtenByAnother(self):
        """
        Cut before any byte, the file its open made stays if another
        program (a local user) wrote to it meanwhile: the bytes are not
        the upload's to remove.
        """
        opened = yield self.shell.openForWriting(("new",), append=True)
        with open(os.path.join(self.root, "new"), "ab") as f:
            f.write(b"other")
        yield opened.abort()
        with open(os.path.join(self.root, "new"), "rb") as f:
            self.assertEqual(f.read(), b"other")


class MemoryAppendEndsTests(FsspecAppendEndsMixin, unittest.TestCase):
    """
    On C{fsspec:memory://}, a private store.
    """

    def makeShell(self):
        fs = memoryFilesystem()
        fs.mkdir("/root")
        return FsspecShell(fs, "/root")


class SFTPAppendAbortTests(FsspecAppendAbortMixin, unittest.TestCase):
    """
    On C{fsspec:sftp://}, through the test process's OpenSSH server: its
    C{APPE} makes a missing file by an exclusive open
    (L{SFTPAppendMadeTests}).
    """

    def url(self):
        return sftpURL(scratchDirectory(self))


class SFTPAppendEndsTests(FsspecAppendEndsMixin, unittest.TestCase):
    """
    On C{fsspec:sftp://}, through the test process's OpenSSH server.
    """

    def makeShell(self):
        from tests.storageservers import sshServer

        return FsspecShell(sshServer().sharedFilesystem(),
                           os.path.realpath(scratchDirectory(self)))


class SFTPAppendMadeTests(unittest.TestCase):
    """
    L{ftpkit.shells.fsspecposix.SFTPBackend.openAppended}, through the
    test process's OpenSSH server: a file it makes is made by an exclusive
    open, so one another program makes between its look and its open is
    not taken as made (which an upload cut before any byte removed, if
    still empty and unchanged).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        from ftpkit.shells.fsspecposix import SFTPBackend
        from tests.storageservers import sshServer

        self.root = os.path.realpath(scratchDirectory(self))
        self.backend = SFTPBackend("sftp")
        self.fs = self.backend.bind(sshServer().sharedFilesystem(),
                                    self.root)

    def opened(self, fs, name):
        """
        @return: whether C{openAppended} of C{name} took it as made (the
            file object closed).
        """
        handle, made = self.backend.openAppended(
            fs, self.root + "/" + name)
        handle.close()
        return made

    def test_madeMeanwhile(self):
        """
        Another program makes the file just after it was looked up: it
        is not taken as made.
        """
        fs = self.fs
        looked = []

        class MadeMeanwhile:
            def __getattr__(self, name):
                return getattr(fs, name)

            def exists(self, path):
                found = fs.exists(path)
                if not looked:
                    looked.append(path)
                    open(path, "wb").close()
                return found

        self.assertFalse(self.opened(MadeMeanwhile(), "new"))
        self.assertEqual(looked, [self.root + "/new"])

    def test_madeOrFound(self):
        """
        A missing file is made (and taken as made), an existing one is
        not, and keeps its bytes.
        """
        self.assertTrue(self.opened(self.fs, "new"))
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"old")
        self.assertFalse(self.opened(self.fs, "old"))
        with open(os.path.join(self.root, "old"), "rb") as f:
            self.assertEqual(f.read(), b"old")
        self.assertEqual(sorted(os.listdir(self.root)), ["new", "old"])
