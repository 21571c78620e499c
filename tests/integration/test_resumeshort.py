"""
An upload written into its file in place from an offset (C{REST} then
C{STOR}, no partial upload to continue) whose file is shorter than the
offset when it is opened, cut since the client (or the server's own
check) read its size, is refused (L{RestPastEnd}, C{554}, as pyftpdlib
and ProFTPD refuse a C{REST} past the end) and leaves the file as it
was: it was written from the offset, leaving a hole of zeros, and a
missing file was made. Whether such a file was cut below the offset
while the upload ran is judged once it is complete
(L{ftpkit.shells.diskplacing.resumedIntact};
L{tests.integration.test_inplacereplaced.ChangedByLocalUserTests}).
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import FileChanged, RestPastEnd
from ftpkit.shells.filesystem import FilesystemShell
from tests.fsspecrealms import closeAtEnd, sftpURL
from tests.scratch import scratchDirectory

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
    from ftpkit.shells.fsspecbackends import backendFor
    from ftpkit.shells.fsspecfiles import InPlaceWriter
except ImportError:
    fsspec = None


class DiskResumeShortTests(unittest.TestCase):
    """
    The disk realm's shell.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"0123456789")
        self.shell = FilesystemShell(self.root, runner=defer.maybeDeferred)

    @defer.inlineCallbacks
    def test_shorterThanOffset(self):
        """
        A resume from byte 20 of a file of 10 is refused; the file stays.
        """
        yield self.assertFailure(
            self.shell.openForWriting(("f",), 20, False), RestPastEnd)
        with open(os.path.join(self.root, "f"), "rb") as f:
            self.assertEqual(f.read(), b"0123456789")

    @defer.inlineCallbacks
    def test_missing(self):
        """
        A resume of a missing file is refused, and makes none.
        """
        yield self.assertFailure(
            self.shell.openForWriting(("g",), 5, False), RestPastEnd)
        self.assertEqual(os.listdir(self.root), ["f"])

    @defer.inlineCallbacks
    def test_atEnd(self):
        """
        A resume from the file's end goes on.
        """
        writeFile = yield self.shell.openForWriting(("f",), 10, False)
        yield writeFile.abort()


class DiskOwnBytesCutTests(unittest.TestCase):
    """
    A resume from a file's end whose own bytes another program cuts,
    a whole block and more, while it runs: its later writes went past
    the cut, a hole before them.
    """

    def test_ownBytesCut(self):
        """
        The upload fails with L{FileChanged} (C{450}): it was complete,
        zeros in the middle of its bytes.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        path = os.path.join(root, "f")
        with open(path, "wb") as f:
            f.write(b"x" * 65536)
        shell = FilesystemShell(root, runner=defer.maybeDeferred)
        writer = self.successResultOf(shell.openForWriting(("f",), 65536))
        consumer = self.successResultOf(writer.receive())
        consumer.write(b"y" * 65536)
        os.truncate(path, 65536 + 8192)
        consumer.write(b"y" * 65536)
        self.failureResultOf(writer.close(), FileChanged)


class FsspecResumeShortTests(unittest.TestCase):
    """
    C{fsspec:file://}'s writer of files in place.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def test_shorterThanOffset(self):
        """
        A resume from byte 20 of a file of 10 is refused; the file stays,
        and may be written in place again.
        """
        path = os.path.abspath(self.mktemp())
        with open(path, "wb") as f:
            f.write(b"0123456789")
        fs = fsspec.filesystem("file")
        backend = backendFor(fs)
        self.assertRaises(RestPastEnd, InPlaceWriter, fs, path, 20, False,
                          backend)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"0123456789")
        writer = InPlaceWriter(fs, path, 10, False, backend)
        writer.writeAt(0, b"!")
        writer.commit()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"0123456789!")



class ResumeMissingTests(unittest.TestCase):
    """
    The shells of C{fsspec:file://}, C{fsspec:memory://} and
    C{fsspec:sftp://} (through a real OpenSSH server): a resume of a
    missing file is refused as on the disk (L{RestPastEnd}, C{554}, the
    server's answer to C{REST} and C{STOR} of one), and makes none; it
    was the store's C{FileNotFoundError} (C{550}).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def refused(self, realm, root):
        """
        @param realm: an fsspec realm on C{root}.
        @param root: an empty directory of the disk, or C{None}.
        """
        yield realm._filesystem()
        yield realm.whenSwept()
        shell = realm.shellAt(())
        yield self.assertFailure(shell.openForWriting(("g",), 5, False),
                                 RestPastEnd)
        self.assertEqual((yield shell.list(())), [])
        if root is not None:
            self.assertEqual(os.listdir(root), [])

    def test_file(self):
        """
        On C{file://}.
        """
        root = scratchDirectory(self)
        return self.refused(makeFsspecRealm("file://" + root, {}), root)

    def test_memory(self):
        """
        On C{memory://}.
        """
        root = scratchDirectory(self)
        return self.refused(makeFsspecRealm("memory://" + root, {}), None)

    def test_sftp(self):
        """
        On C{sftp://}.
        """
        root = scratchDirectory(self)
        realm = makeFsspecRealm(sftpURL(root), {})
        closeAtEnd(self, realm)
        return self.refused(realm, root)
