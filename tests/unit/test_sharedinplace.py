"""
Tests for L{ftpkit.shells.sharedinplace}: two L{SharedInPlaceFiles} on
one directory stand for two workers (a C{flock} belongs to an open file,
so two of one process exclude each other as two processes' do).
"""

import os

from twisted.trial import unittest

from ftpkit.errors import FileBusy
from ftpkit.shells import uploadlocks
from ftpkit.shells.fsspecinplace import InPlaceFiles
from ftpkit.shells.sharedinplace import (
    SharedInPlaceFiles,
    mirrored,
    sftpInPlaceFiles,
    storeName,
)
from ftpkit.shells.sharedquota import LEDGERS_VARIABLE
from tests.scratch import scratchDirectory

try:
    import fsspec

    from ftpkit.shells import fsspecfiles
except ImportError:
    fsspec = None

STORE = "sftp://alice@127.0.0.1:22"


class SharedInPlaceFilesTests(unittest.TestCase):
    """
    The in-place uploads of two workers on one store.
    """

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.one = SharedInPlaceFiles(self.directory, STORE)
        self.other = SharedInPlaceFiles(self.directory, STORE)

    def test_busy(self):
        """
        A file one worker holds is busy for the other until let go.
        """
        release = self.one.hold("/srv/d/x")
        self.assertRaises(FileBusy, self.other.hold, "/srv/d/x")
        release()
        self.other.hold("/srv/d/x")()

    def test_otherStore(self):
        """
        The same path on another store is another file.
        """
        release = self.one.hold("/srv/d/x")
        SharedInPlaceFiles(self.directory, "sftp://bob@127.0.0.1:22").hold(
            "/srv/d/x")()
        release()

    def test_renameRefused(self):
        """
        A directory above a held file is not renamed by the other worker;
        others are, and it is once the file is let go.
        """
        release = self.one.hold("/srv/d/sub/x")
        for directory in ["/srv/d", "/srv/d/sub", "/srv"]:
            with self.assertRaises(FileBusy):
                with self.other.renaming(directory):
                    self.fail("renamed " + directory)
        with self.other.renaming("/srv/e"):
            pass
        release()
        with self.other.renaming("/srv/d"):
            pass

    def test_releasedMeanwhile(self):
        """
        A hold whose lock file the other worker's release removed between
        its open and its C{flock} (which then holds a file no name
        reaches) opens the path again and holds that: the path is held,
        not refused.
        """
        release = self.other.hold("/srv/d/x")
        held = uploadlocks.holdNamed
        calls = []

        def releasedFirst(fd, path, made=True):
            if not calls:
                release()
            calls.append(path)
            return held(fd, path, made)
        self.patch(uploadlocks, "holdNamed", releasedFirst)
        letGo = self.one.hold("/srv/d/x")
        self.assertEqual(len(calls), 2)
        with self.assertRaises(FileBusy):
            self.other.hold("/srv/d/x")
        letGo()

    def test_fileAndDirectory(self):
        """
        A file and a directory of one name have lock paths that do not
        clash (a file held, then a file below a directory of that name).
        """
        self.assertNotEqual(mirrored("/r", "/a/b", False),
                            mirrored("/r", "/a/b", True))
        self.one.hold("/srv/b")()
        self.one.hold("/srv/b/c")()

    def test_letGoRemoves(self):
        """
        A file let go leaves no lock file behind.
        """
        self.one.hold("/srv/d/x")()
        self.assertEqual([name for _, _, names in os.walk(self.directory)
                          for name in names if name.startswith("f-")], [])


class _Store:
    """
    Stands for an SFTP filesystem.
    """


def _sftpStore(host, user="alice", port=22):
    """
    @return: a L{_Store} with the address fsspec's SFTP filesystem holds.
    """
    store = _Store()
    store.host = host
    store.ssh_kwargs = {"username": user, "port": port}
    return store


class ChoiceTests(unittest.TestCase):
    """
    L{sftpInPlaceFiles}.
    """

    def test_oneProcess(self):
        """
        Without the workers' directory, the process's own.
        """
        self.assertIsInstance(sftpInPlaceFiles(_Store(), {}), InPlaceFiles)

    def test_workers(self):
        """
        With it, shared.
        """
        files = sftpInPlaceFiles(_Store(), {LEDGERS_VARIABLE: "/nowhere"})
        self.assertIsInstance(files, SharedInPlaceFiles)

    def test_ipv6Spellings(self):
        """
        The workers' tree of an SFTP store over IPv6 (C{::1}) is one for
        every spelling of its address: a file one worker holds through
        C{::1} is busy for another that names the store
        C{0:0:0:0:0:0:0:1} or C{::0001}; another user's, or port's, is
        another store. Each spelling had a tree of its own.
        """
        environ = {LEDGERS_VARIABLE: scratchDirectory(self)}
        one = sftpInPlaceFiles(_sftpStore("::1"), environ)
        release = one.hold("/srv/x")
        for spelling in ("0:0:0:0:0:0:0:1", "::0001"):
            other = sftpInPlaceFiles(_sftpStore(spelling), environ)
            self.assertRaises(FileBusy, other.hold, "/srv/x")
        sftpInPlaceFiles(_sftpStore("::1", user="bob"), environ).hold(
            "/srv/x")()
        sftpInPlaceFiles(_sftpStore("::1", port=2222), environ).hold(
            "/srv/x")()
        release()

    def test_storeName(self):
        """
        The name is a URL's: an IPv6 address in brackets (it was written
        bare, C{sftp://alice@::1:22}), compressed, its zone kept; an IPv4
        address and a host name (in lower case) as they are.
        """
        self.assertEqual(storeName("alice", "::1", 22),
                         "sftp://alice@[::1]:22")
        self.assertEqual(storeName("alice", "FE80:0::1%eth0", 2222),
                         "sftp://alice@[fe80::1%eth0]:2222")
        self.assertEqual(storeName("alice", "127.0.0.1", 22),
                         "sftp://alice@127.0.0.1:22")
        self.assertEqual(storeName("alice", "Files.Example.com", 22),
                         "sftp://alice@files.example.com:22")


class TemporaryReservedTests(unittest.TestCase):
    """
    A plain C{STOR}'s temporary file held in the tree (C{reserve} of
    L{ftpkit.shells.fsspecfiles.RenameIntoPlaceWriter}, as the SFTP
    backend's L{ftpkit.shells.fsspecgeneric.Backend.reserveTemporary}
    gives it) from before it is made until it is in place.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.one = SharedInPlaceFiles(self.directory, STORE)
        self.fs = fsspec.filesystem("memory", global_store=False,
                                    skip_instance_cache=True)
        self.fs.mkdir("/srv/d")
        self.letGo = []

    def reserve(self, fs, path):
        """
        Hold C{path} in L{one}, counting the calls that let it go.
        """
        release = self.one.hold(path)

        def letGo():
            self.letGo.append(path)
            release()
        return letGo

    def test_renameRefusedUntilInPlace(self):
        """
        Another worker's rename of its directory is refused while it is
        written, and goes ahead once it is in place; a discard after the
        commit lets nothing go twice (the lock file's descriptor is closed
        once).
        """
        other = SharedInPlaceFiles(self.directory, STORE)
        writer = fsspecfiles.RenameIntoPlaceWriter(
            self.fs, fsspecfiles.temporarySibling("/srv/d/x"), "/srv/d/x",
            reserve=self.reserve)
        with self.assertRaises(FileBusy):
            with other.renaming("/srv/d"):
                self.fail("renamed /srv/d")
        writer.writeAt(0, b"bytes")
        writer.commit()
        writer.discard()
        self.assertEqual(len(self.letGo), 1)
        with other.renaming("/srv/d"):
            pass
        self.assertEqual(self.fs.cat_file("/srv/d/x"), b"bytes")

    def test_discardLetsGo(self):
        """
        An upload discarded (aborted) lets its temporary file go, once:
        it stayed held for the rest of the process, and the rename of its
        directory (of any above it) was refused ever after.
        """
        other = SharedInPlaceFiles(self.directory, STORE)
        writer = fsspecfiles.RenameIntoPlaceWriter(
            self.fs, fsspecfiles.temporarySibling("/srv/d/x"), "/srv/d/x",
            reserve=self.reserve)
        writer.writeAt(0, b"bytes")
        writer.discard()
        writer.discard()
        self.assertEqual(len(self.letGo), 1)
        with other.renaming("/srv/d"):
            pass
        self.assertEqual(self.fs.ls("/srv/d", detail=False), [])

    def test_failedCommitLetsGo(self):
        """
        An upload whose move into place failed lets its temporary file
        go too.
        """
        other = SharedInPlaceFiles(self.directory, STORE)

        def refused(source, target):
            raise PermissionError(13, "refused")
        writer = fsspecfiles.RenameIntoPlaceWriter(
            self.fs, fsspecfiles.temporarySibling("/srv/d/x"), "/srv/d/x",
            move=refused, reserve=self.reserve)
        writer.writeAt(0, b"bytes")
        self.assertRaises(PermissionError, writer.commit)
        self.assertEqual(len(self.letGo), 1)
        with other.renaming("/srv/d"):
            pass
