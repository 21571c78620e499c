"""
Tests for C{--hold-anonymous-uploads} (L{ftpkit.shells.held}).
"""

import ftplib
import io
import os

from twisted.internet.defer import fail, inlineCallbacks
from twisted.trial import unittest
from zope.interface import directlyProvides, providedBy

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.errors import LocalError, PermissionDenied
from ftpkit.interfaces import IPrivateWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.access import AccessPolicy
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.held import HeldUploads, HeldUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import WriteFileWrapper
from ftpkit.testing import readFile, writeFile
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tapoptions import parse


def mode(path):
    """
    @return: the permission bits of C{path}.
    """
    return os.stat(path).st_mode & 0o777


def _plainUpload(writeFile):
    """
    An open upload offering nothing but L{IWriteFile} (as a storage of a
    plugin may): it cannot be withheld before it is committed.

    @param writeFile: the storage's open upload.
    @return: a L{WriteFileWrapper} of it without the extras it forwards.
    """
    upload = WriteFileWrapper(writeFile)
    directlyProvides(upload)
    return upload


class _WatchedStorage(FilesystemShell):
    """
    A filesystem shell whose uploads run C{onOpen} with each open upload,
    which may wrap it or change it.
    """

    onOpen = staticmethod(lambda writeFile: writeFile)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{FilesystemShell.openForWriting}, then C{onOpen}.
        """
        return FilesystemShell.openForWriting(
            self, path, offset, append).addCallback(self.onOpen)

    def openForCreating(self, path):
        """
        See L{FilesystemShell.openForCreating}, then C{onOpen}.
        """
        return FilesystemShell.openForCreating(self, path).addCallback(
            self.onOpen)


class HeldUploadsShellTests(unittest.TestCase):
    """
    An anonymous user's shell under C{--hold-anonymous-uploads}.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        for name, bits in [("public", 0o644), ("private", 0o600)]:
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(name.encode())
            os.chmod(os.path.join(self.root, name), bits)
        self.storage = _WatchedStorage(self.root)
        self.held = HeldUploads()
        self.shell = AccessPolicy(anonymous=True, anonymousWrite=True,
                                  holdUploads=True).guard(self.storage,
                                                          self.held)

    @inlineCallbacks
    def test_downloadsWorldReadableOnly(self):
        """
        Only world-readable files can be downloaded or hashed.
        """
        self.assertEqual((yield readFile(self.shell, ("public",))), b"public")
        yield self.assertFailure(readFile(self.shell, ("private",)),
                                 PermissionDenied)
        yield self.assertFailure(self.shell.hash(("private",), "md5"),
                                 PermissionDenied)

    @inlineCallbacks
    def test_uploadHeldUntilReleased(self):
        """
        An upload loses its world-read bit: it cannot be downloaded until
        someone makes it world-readable; the storage still has it.
        """
        yield writeFile(self.shell, ("drop",), b"warez")
        path = os.path.join(self.root, "drop")
        self.assertEqual(mode(path) & 0o007, 0)
        yield self.assertFailure(readFile(self.shell, ("drop",)),
                                 PermissionDenied)
        self.assertEqual((yield readFile(self.storage, ("drop",))), b"warez")
        os.chmod(path, 0o644)
        self.assertEqual((yield readFile(self.shell, ("drop",))), b"warez")

    def otherWorker(self):
        """
        @return: another anonymous shell over the same files, holding
            uploads in a registry of its own (as another process of
            C{--workers} does).
        """
        return AccessPolicy(anonymous=True, anonymousWrite=True,
                            holdUploads=True).guard(self.storage,
                                                    HeldUploads())

    @inlineCallbacks
    def test_heldWhenCommitted(self):
        """
        An upload is held from the moment it appears under its name: a
        download in another process, at the moment the storage committed
        it, is refused, and the file then has no bits for others (the
        mask would have given them the world-read bit).
        """
        self.addCleanup(os.umask, os.umask(0o022))
        seen = []

        def watch(writeFile):
            close = writeFile.close

            @inlineCallbacks
            def closeAndLook():
                yield close()
                seen.append(mode(os.path.join(self.root, "drop")))
                reading = readFile(self.otherWorker(), ("drop",))
                seen.append((yield reading.addErrback(
                    lambda failure: failure.trap(PermissionDenied))))

            writeFile.close = closeAndLook
            return writeFile

        self.storage.onOpen = watch
        yield writeFile(self.shell, ("drop",), b"warez")
        self.assertEqual(seen, [0o640, PermissionDenied])

    def test_inPlaceNotWithheld(self):
        """
        An upload written in place has its name already: it cannot be
        withheld before it appears.
        """
        writing = self.successResultOf(
            self.storage.openForWriting(("public",), append=True))
        self.addCleanup(writing.abort)
        self.assertTrue(IPrivateWriteFile.providedBy(writing))
        self.assertRaises(PermissionDenied, writing.withholdFromOthers)

    @inlineCallbacks
    def test_withholdFails(self):
        """
        An upload that cannot be withheld is aborted, leaving nothing,
        and refused (C{451}).
        """
        def failing(writeFile):
            writeFile.withholdFromOthers = lambda: os.fchmod(-1, 0)
            return writeFile

        self.storage.onOpen = failing
        error = yield self.assertFailure(
            self.shell.openForWriting(("drop",)), LocalError)
        self.assertEqual(error.code, 451)
        self.assertEqual(sorted(os.listdir(self.root)), ["private", "public"])

    @inlineCallbacks
    def test_heldWhileUploading(self):
        """
        On storage whose uploads cannot be withheld before their commit,
        an upload in progress cannot be downloaded either; an aborted one
        is forgotten.
        """
        self.storage.onOpen = _plainUpload
        writing = yield self.shell.openForWriting(("incoming",))
        self.assertIn(("incoming",), self.held)
        yield writing.abort()
        self.assertNotIn(("incoming",), self.held)

    @inlineCallbacks
    def test_keepsCapabilities(self):
        """
        The held upload provides whatever the storage's open upload
        provides.
        """
        inner = yield self.storage.openForWriting(("a",))
        yield inner.abort()
        writing = yield self.shell.openForWriting(("b",))
        self.assertEqual(list(providedBy(writing)), list(providedBy(inner)))
        yield writing.abort()

    def test_storageWithoutChmod(self):
        """
        On storage that cannot change modes, uploads are refused rather
        than left downloadable.
        """
        shell = HeldUploadsShell(MemoryShell(), HeldUploads())
        return self.assertFailure(shell.openForWriting(("f",)),
                                  PermissionDenied)

    @inlineCallbacks
    def test_chmodFails(self):
        """
        On storage whose uploads cannot be withheld before their commit,
        an upload whose mode cannot be changed is removed, and its close
        fails (C{451}).
        """
        self.storage.onOpen = _plainUpload
        self.storage.setPermissions = lambda path, bits: fail(OSError())
        error = yield self.assertFailure(
            writeFile(self.shell, ("drop",), b"x"), LocalError)
        self.assertEqual(error.code, 451)
        self.assertFalse(os.path.exists(os.path.join(self.root, "drop")))
        self.assertNotIn(("drop",), self.held)

    def test_namedUsersUnaffected(self):
        """
        The hold is for anonymous users only.
        """
        config = ServerConfig(holdAnonymousUploads=True)
        self.assertFalse(AccessPolicy.forUser(config, False).holdUploads)
        self.assertTrue(AccessPolicy.forUser(config, True).holdUploads)

    def test_option(self):
        """
        C{--hold-anonymous-uploads} sets the config field.
        """
        self.assertTrue(parse("--hold-anonymous-uploads")[
            "config"].holdAnonymousUploads)
        self.assertFalse(parse()["config"].holdAnonymousUploads)


class HeldUploadsClientTests(LoopbackServerMixin, unittest.TestCase):
    """
    The hold seen by ftplib, through the filesystem realm.
    """

    @inlineCallbacks
    def test_anonymousDrop(self):
        """
        An anonymous upload succeeds (C{226}) but the same anonymous user
        gets C{550} downloading it, while a named user can.
        """
        root = scratchDirectory(self)
        server = self.startServer(
            FilesystemRealm(root, anonymousWrite=True),
            ServerConfig(anonymousWrite=True, holdAnonymousUploads=True))

        def session(user, password, commands):
            ftp = ftplibLogin(self, server.port, user, password, timeout=10)
            result = commands(ftp)
            ftp.quit()
            return result

        def anonymous(ftp):
            stored = ftp.storbinary("STOR drop.bin", io.BytesIO(b"warez"))
            try:
                ftp.retrbinary("RETR drop.bin", io.BytesIO().write)
                return stored, "downloaded"
            except ftplib.error_perm as e:
                return stored, str(e)[:3]

        def named(ftp):
            data = io.BytesIO()
            ftp.retrbinary("RETR drop.bin", data.write)
            return data.getvalue()

        stored, refused = yield self.inThread(
            session, "anonymous", "a@b", anonymous)
        self.assertTrue(stored.startswith("226"), stored)
        self.assertEqual(refused, "550")
        self.assertEqual(
            (yield self.inThread(session, "alice", "secret", named)),
            b"warez")
        self.assertEqual(mode(os.path.join(root, "drop.bin")) & 0o007, 0)

    @inlineCallbacks
    def test_permFactWithoutRead(self):
        """
        C{MLST} and C{MLSD} do not offer an anonymous user C{r} (read) in
        the C{perm} fact of a held upload, which it cannot download, but
        do for a world-readable file; a named user gets C{r} for both.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "public.txt"), "wb") as f:
            f.write(b"public")
        os.chmod(os.path.join(root, "public.txt"), 0o644)
        server = self.startServer(
            FilesystemRealm(root, anonymousWrite=True),
            ServerConfig(anonymousWrite=True, holdAnonymousUploads=True))

        def perms(user, password, upload):
            ftp = ftplibLogin(self, server.port, user, password, timeout=10)
            if upload:
                ftp.storbinary("STOR drop.bin", io.BytesIO(b"warez"))
            listed = {name: facts["perm"]
                      for name, facts in ftp.mlsd(facts=["perm"])}
            for name in ["drop.bin", "public.txt"]:
                line = ftp.sendcmd("MLST " + name).splitlines()[1]
                listed["MLST " + name] = dict(
                    fact.split("=") for fact in
                    line.split(" ", 2)[1].split(";") if fact)["perm"]
            ftp.quit()
            return listed

        anonymous = yield self.inThread(perms, "anonymous", "a@b", True)
        self.assertNotIn("r", anonymous["drop.bin"])
        self.assertNotIn("r", anonymous["MLST drop.bin"])
        self.assertIn("r", anonymous["public.txt"])
        self.assertIn("r", anonymous["MLST public.txt"])
        named = yield self.inThread(perms, "alice", "secret", False)
        self.assertIn("r", named["drop.bin"])
        self.assertIn("r", named["MLST drop.bin"])
