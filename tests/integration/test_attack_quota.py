"""
Uploads past a quota over TLS, and into fsspec storage, are cut when they
pass it (C{552}), as the zero-copy plain path is: they were refused, but
the data connection was read to its end, so the client could keep the
server reading as long as it liked.

Homes nested in one another (L{NestedHomesTests}): what a user whose home
holds another's quota'd home changed there went uncounted, so the other
could store past the quota, or was refused for files gone.
"""

import ftplib
import io
import os
import uuid

from twisted.cred import portal
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage, diskUsage
from ftpkit.shells.permissiontable import PermissionTable
from tests.floods import uploadUntilCut
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin, clientContext
from tests.usersfiles import startUsersServer

QUOTA = 64 * 1024

FLOOD = 64 << 20
"""Bytes the attacking client tries to upload: far past the quota."""


@implementer(portal.IRealm)
class _QuotaRealm:
    """
    Every user gets a shell made by C{makeShell}, held to L{QUOTA}.
    """

    def __init__(self, makeShell, measure):
        self.makeShell = makeShell
        self.usage = QuotaUsage(measure)

    def requestAvatar(self, avatarId, mind, *interfaces):
        shell = PermissionShell(
            self.makeShell(),
            PermissionTable(["list", "read", "write", "append", "delete"]),
            quota=QUOTA, usage=self.usage)
        return IFTPShell, shell, lambda: None


class QuotaCutTests(FTPSTestsMixin, unittest.TestCase):
    """
    A user with a 64 KiB quota tries to upload 64 MiB.
    """

    timeout = 120

    def serveDisk(self):
        root = scratchDirectory(self)
        self.server = self.startServer(
            _QuotaRealm(lambda: FilesystemShell(root),
                        lambda: diskUsage(root)),
            ServerConfig(loginFailureDelay=0, tlsContextFactory=self.factory))
        return root

    def serveFsspec(self):
        from fsspec.implementations.memory import MemoryFileSystem

        from ftpkit.shells.fsspecshell import FsspecShell
        fs = MemoryFileSystem(skip_instance_cache=True)
        root = "/quota-" + uuid.uuid4().hex
        fs.mkdir(root)
        self.addCleanup(fs.rm, root, recursive=True)
        self.server = self.startServer(
            _QuotaRealm(lambda: FsspecShell(fs, root), lambda: 0),
            ServerConfig(loginFailureDelay=0, tlsContextFactory=self.factory))
        return fs, root

    def flood(self, tls, command, rest=None):
        """
        Log in (under C{PROT P} when C{tls}) and send up to L{FLOOD} bytes
        with C{command} (blocking), from C{REST rest} unless C{None}.

        @return: C{(bytes sent, final reply)}.
        """
        client = ftplib.FTP_TLS(context=clientContext()) if tls else None
        ftp = ftplibLogin(self, self.server.port, client=client, protect=tls,
                          binary=True)
        result = uploadUntilCut(ftp, command, FLOOD, rest=rest)
        ftp.close()
        return result

    @defer.inlineCallbacks
    def test_tlsStorCut(self):
        """
        C{STOR} under C{PROT P} past the quota: C{552} (it was C{426}, or
        the client was read to its end), and nothing is kept.
        """
        root = self.serveDisk()
        sent, final = yield self.inThread(self.flood, True, "STOR f.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertEqual(os.listdir(root), [])

    @defer.inlineCallbacks
    def test_tlsAppeCut(self):
        """
        C{APPE} under C{PROT P} (written in place) is cut as well.
        """
        root = self.serveDisk()
        sent, final = yield self.inThread(self.flood, True, "APPE f.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertLessEqual(diskUsage(root), QUOTA)

    @defer.inlineCallbacks
    def test_appeLeavesFile(self):
        """
        C{APPE} past the quota leaves the file as it was (cut back to its
        length before the upload), in the clear and under C{PROT P}, as
        docs/virtual-users.rst says.
        """
        root = self.serveDisk()
        path = os.path.join(root, "f.bin")
        for tls in (False, True):
            with open(path, "wb") as f:
                f.write(b"kept" * 250)
            sent, final = yield self.inThread(self.flood, tls, "APPE f.bin")
            self.assertTrue(final.startswith("552"), final)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), b"kept" * 250)

    @defer.inlineCallbacks
    def test_restBelowEndKeepsLength(self):
        """
        C{REST} below the file's end then C{STOR} past the quota leaves
        the file at its length before, its bytes before the offset
        untouched, in the clear and under C{PROT P} (it was cut back to
        the offset, the old bytes past it lost).
        """
        root = self.serveDisk()
        path = os.path.join(root, "f.bin")
        for tls in (False, True):
            with open(path, "wb") as f:
                f.write(b"kept" * 250)
            sent, final = yield self.inThread(self.flood, tls, "STOR f.bin",
                                              100)
            self.assertTrue(final.startswith("552"), final)
            with open(path, "rb") as f:
                data = f.read()
            self.assertEqual((len(data), data[:100]), (1000, b"kept" * 25))

    @defer.inlineCallbacks
    def test_fsspecRestBelowEnd(self):
        """
        So does it on an fsspec realm.
        """
        fs, root = self.serveFsspec()
        path = root + "/f.bin"
        for tls in (False, True):
            fs.pipe_file(path, b"kept" * 250)
            sent, final = yield self.inThread(self.flood, tls, "STOR f.bin",
                                              100)
            self.assertTrue(final.startswith("552"), (tls, final))
            data = fs.cat_file(path)
            self.assertEqual((len(data), data[:100]), (1000, b"kept" * 25))

    @defer.inlineCallbacks
    def test_fsspecCut(self):
        """
        An fsspec upload past the quota is cut, plain or under TLS, and
        not stored.
        """
        fs, root = self.serveFsspec()
        for tls in (False, True):
            sent, final = yield self.inThread(self.flood, tls, "STOR f.bin")
            self.assertTrue(final.startswith("552"), (tls, final))
            self.assertLess(sent, FLOOD)
            self.assertFalse(fs.exists(root + "/f.bin"))


ALL = ('["list", "read", "write", "append", "delete", "rename", "mkdir",'
       ' "set-time", "chmod"]')


def nestedUsers(adminQuota=""):
    """
    @param adminQuota: TOML lines to add to C{admin}'s entry.
    @return: a users file where C{admin}'s home is the root and C{bob}'s,
        C{/bob}, is held to 300000 bytes.
    """
    return (f'[users.admin]\nhome = "."\npermissions = {ALL}\n{adminQuota}'
            f'[users.bob]\nhome = "bob"\npermissions = {ALL}\n'
            'quota = 300000\n')


def store(ftp, command, size):
    """
    Upload C{size} bytes with C{command} (blocking).

    @return: the final reply, or the refusal's text (also when the server
        cut the data connection before the client had sent everything,
        as it does past a quota).
    """
    try:
        return ftp.storbinary(command, io.BytesIO(b"x" * size))
    except ftplib.error_perm as e:
        return str(e)
    except OSError:
        pass
    try:
        return ftp.voidresp()
    except ftplib.Error as e:
        return str(e)


class NestedHomesTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{admin}'s home is the root; C{bob}'s, C{/bob}, has a 300000-byte
    quota, measured by an upload of his before C{admin} changes it.
    """

    def serve(self, users=None, setUp=lambda root: None):
        """
        Start the server.

        @param users: the users file (L{nestedUsers} when C{None}).
        @param setUp: called with the root before anyone logs in.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "bob"))
        setUp(root)
        self.root = root
        self.server = startUsersServer(
            self, root, users or nestedUsers(),
            {"admin": "pw", "bob": "pw"})

    def sessions(self):
        """
        @return: C{(admin, bob)}, logged-in clients (blocking).
        """
        return tuple(ftplibLogin(self, self.server.port, name, "pw",
                                 binary=True) for name in ("admin", "bob"))

    def scenario(self, steps, users=None, setUp=lambda root: None):
        """
        Run C{steps} with C{admin} and C{bob}.

        @param steps: called with both clients (blocking), returning
            C{bob}'s last reply.
        @return: a Deferred firing with that reply.
        """
        self.serve(users, setUp)
        return self.inThread(lambda: steps(*self.sessions()))

    @defer.inlineCallbacks
    def test_renameIn(self):
        """
        A file C{admin} renames into C{/bob} counts against C{bob}'s quota.
        """
        def steps(admin, bob):
            store(admin, "STOR /big", 200000)
            store(bob, "STOR a", 50000)
            admin.rename("/big", "/bob/big")
            return store(bob, "STOR c", 100000)

        reply = yield self.scenario(steps)
        self.assertTrue(reply.startswith("552"), reply)

    @defer.inlineCallbacks
    def test_deleteIn(self):
        """
        A file C{admin} deletes in C{/bob} no longer counts.
        """
        def steps(admin, bob):
            store(bob, "STOR a", 250000)
            admin.delete("/bob/a")
            return store(bob, "STOR c", 200000)

        reply = yield self.scenario(steps)
        self.assertTrue(reply.startswith("226"), reply)

    @defer.inlineCallbacks
    def test_overwriteIn(self):
        """
        A file of C{bob}'s that C{admin} replaces counts at its new size.
        """
        def steps(admin, bob):
            store(bob, "STOR a", 100000)
            store(admin, "STOR /bob/a", 250000)
            return store(bob, "STOR c", 100000)

        reply = yield self.scenario(steps)
        self.assertTrue(reply.startswith("552"), reply)

    @defer.inlineCallbacks
    def test_appendIn(self):
        """
        What C{admin} appends to a file of C{bob}'s counts.
        """
        def steps(admin, bob):
            store(bob, "STOR a", 100000)
            store(admin, "APPE /bob/a", 150000)
            return store(bob, "STOR c", 100000)

        reply = yield self.scenario(steps)
        self.assertTrue(reply.startswith("552"), reply)

    @defer.inlineCallbacks
    def test_removeDirectoryIn(self):
        """
        A directory C{admin} removes in C{/bob}, with the cut upload kept
        in it (the one thing it holds), no longer counts.
        """
        def setUp(root):
            os.makedirs(os.path.join(root, "bob", "sub"))
            with open(os.path.join(root, "bob", "sub",
                                   ".ftpkit-partial.f"), "wb") as f:
                f.write(b"p" * 250000)

        def steps(admin, bob):
            store(bob, "STOR a", 1000)
            admin.rmd("/bob/sub")
            return store(bob, "STOR c", 200000)

        reply = yield self.scenario(steps, setUp=setUp)
        self.assertFalse(os.path.exists(os.path.join(self.root, "bob", "sub")))
        self.assertTrue(reply.startswith("226"), reply)

    @defer.inlineCallbacks
    def test_throughLink(self):
        """
        A change C{admin} makes in C{/bob} through a symbolic link of his
        to it (C{/b -> bob}) counts too: a file removed, one stored.
        """
        def setUp(root):
            os.symlink("bob", os.path.join(root, "b"))

        def steps(admin, bob):
            store(bob, "STOR a", 250000)
            admin.delete("/b/a")
            replies = [store(bob, "STOR c", 200000)]  # 200000
            store(admin, "STOR /b/d", 90000)  # 290000
            replies.append(store(bob, "STOR e", 20000))
            return replies

        replies = yield self.scenario(steps, setUp=setUp)
        self.assertEqual([reply[:3] for reply in replies], ["226", "552"],
                         replies)

    @defer.inlineCallbacks
    def test_throughFileLink(self):
        """
        So does a file of C{bob}'s that C{admin} replaces through a
        symbolic link to it (C{/e -> bob/e}).
        """
        def setUp(root):
            os.symlink(os.path.join("bob", "e"), os.path.join(root, "e"))

        def steps(admin, bob):
            store(bob, "STOR e", 1000)
            store(admin, "STOR /e", 250000)
            return store(bob, "STOR f", 60000)

        reply = yield self.scenario(steps, setUp=setUp)
        self.assertEqual(os.path.getsize(os.path.join(self.root, "bob", "e")),
                         250000)
        self.assertTrue(reply.startswith("552"), reply)

    @defer.inlineCallbacks
    def test_renameLinkOut(self):
        """
        A symbolic link C{admin} renames out of C{/bob} takes none of the
        bytes of the file it leads to (C{/bob/link -> ../big}) from
        C{bob}'s count: it held none.
        """
        def setUp(root):
            with open(os.path.join(root, "big"), "wb") as f:
                f.write(b"b" * 250000)
            os.symlink(os.path.join("..", "big"),
                       os.path.join(root, "bob", "link"))

        def steps(admin, bob):
            store(bob, "STOR a", 100000)
            admin.rename("/bob/link", "/link")
            return store(bob, "STOR c", 250000)

        reply = yield self.scenario(steps, setUp=setUp)
        self.assertTrue(reply.startswith("552"), reply)

    @defer.inlineCallbacks
    def test_containingQuota(self):
        """
        What C{bob} stores counts against a quota of C{admin}'s, whose
        home holds C{bob}'s.
        """
        def steps(admin, bob):
            store(admin, "STOR x", 50000)
            store(bob, "STOR a", 200000)
            return store(admin, "STOR y", 100000)

        reply = yield self.scenario(
            steps, nestedUsers(adminQuota="quota = 300000\n"))
        self.assertTrue(reply.startswith("552"), reply)
