"""
Tests for L{ftpkit.auth.fsspecrealm}: the quotas of an fsspec realm ask
the store nothing in the reactor's thread (neither its filesystem's
calls nor its backend's path lookups). A store with links resolves a
path by asking the server (an SFTP server's C{REALPATH}): asked in the
reactor's thread, a server that stopped answering held every session.
"""

import os

from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.conformance.helpers import readFile, writeFile
from ftpkit.interfaces import IFTPShell

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth import fsspecrealm
    from ftpkit.auth.fsspecrealm import FsspecRealm, makeFsspecRealm
    from tests.fsspecrealms import closeAtEnd, sftpURL


STORE_CALLS = ("info", "ls", "find", "du", "exists", "isdir", "isfile",
               "mkdir", "makedirs", "rm_file", "rm", "mv", "_open",
               "cat_file", "pipe_file", "touch", "created", "modified")
"""The calls of a filesystem that ask its store (L{watchedFilesystem})."""


def inReactor():
    """
    @return: whether the caller runs in the reactor's thread.
    """
    return threadable.isInIOThread()


def watchedFilesystem(reactorCalls):
    """
    @param reactorCalls: a list, given the name of each of the new
        filesystem's L{STORE_CALLS} made in the reactor's thread.
    @return: a new, private fsspec memory filesystem.
    """
    from fsspec.implementations.memory import MemoryFileSystem

    def watched(name):
        call = getattr(MemoryFileSystem, name)

        def watching(self, *args, **kwargs):
            if inReactor():
                reactorCalls.append(name)
            return call(self, *args, **kwargs)
        return watching

    Watched = type("Watched", (MemoryFileSystem,),
                   {name: watched(name) for name in STORE_CALLS})
    return Watched(global_store=False, skip_instance_cache=True)


class WatchedBackend:
    """
    A store's backend whose path lookups (C{confine}, which asks the
    server on a store with links) are told apart by the thread making
    them; everything else is the backend's.

    @ivar inReactor: the lookups made in the reactor's thread.
    @ivar inPool: the lookups made in other threads.
    """

    def __init__(self, backend):
        """
        @param backend: the backend watched.
        """
        self._backend = backend
        self.inReactor = 0
        self.inPool = 0

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def confine(self, *args, **kwargs):
        """
        See L{ftpkit.shells.fsspecgeneric.Backend.confine}: counted.
        """
        if inReactor():
            self.inReactor += 1
        else:
            self.inPool += 1
        return self._backend.confine(*args, **kwargs)


def writeUsers(path):
    """
    Write a users file giving alice a quota and every permission a
    session of L{WatchedMixin.session} needs.

    @param path: the file's path.
    """
    with open(path, "w") as f:
        f.write('[users.alice]\npermissions = ["list", "read", "write",'
                ' "delete", "rename", "mkdir", "set-time"]\n'
                'quota = 100000\n')


class WatchedMixin:
    """
    The backends of the realms a test makes are watched (C{self.watched}).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.watched = []
        made = fsspecrealm.backendFor

        def watched(fs, deadline=None):
            backend = WatchedBackend(made(fs, deadline))
            self.watched.append(backend)
            return backend

        self.patch(fsspecrealm, "backendFor", watched)

    async def session(self, realm):
        """
        Log alice in; make a directory, upload a file into it, ask its
        room, list, rename, read and remove it all.

        @param realm: the realm.
        @return: the backend the realm made, watched.
        """
        interface, shell, logout = await realm.requestAvatar(
            "alice", None, IFTPShell)
        await shell.makeDirectory(("d",))
        await writeFile(shell, ("d", "f"), b"data")
        await shell.available(("d",))
        await shell.list(("d",))
        await shell.stat(("d", "f"))
        await shell.rename(("d", "f"), ("d", "g"))
        self.assertEqual(await readFile(shell, ("d", "g")), b"data")
        await shell.setModificationTime(("d", "g"), 86400)
        await shell.removeFile(("d", "g"))
        await shell.removeDirectory(("d",))
        await realm.whenIdle()
        [backend] = self.watched
        return backend


class MemoryTests(WatchedMixin, unittest.TestCase):
    """
    On C{memory://}, a session of a home with a quota, or of a realm
    bound to a size, asks its store, and looks its paths up, in the pool
    only.
    """

    def setUp(self):
        WatchedMixin.setUp(self)
        self.reactorCalls = []
        self.fs = watchedFilesystem(self.reactorCalls)

    async def test_quotaHome(self):
        """
        A users file's quota names the home by its path and resolves it
        in the pool, as the measurement's first step.
        """
        from ftpkit.auth.users import UsersDatabase

        path = os.path.abspath(self.mktemp())
        writeUsers(path)
        realm = FsspecRealm(lambda: self.fs, "/srv",
                            database=UsersDatabase(path))
        backend = await self.session(realm)
        self.assertEqual((backend.inReactor, self.reactorCalls), (0, []))
        self.assertGreater(backend.inPool, 0)

    async def test_boundRealm(self):
        """
        A realm bound to a size (C{size=} of C{memory://}) tells its
        keys' bytes without asking the store, and resolves its root in
        the pool to measure it.
        """
        realm = FsspecRealm(lambda: self.fs, "/srv", maxBytes=1 << 20)
        backend = await self.session(realm)
        self.assertEqual((backend.inReactor, self.reactorCalls), (0, []))
        self.assertGreater(backend.inPool, 0)


class LinkedStoreMixin(WatchedMixin):
    """
    On a store with links, which the backend resolves by asking it (the
    disk's C{realpath}, an SFTP server's C{REALPATH}), a session of a home
    with a quota looks its paths up in the pool only.
    """

    def url(self, root):
        """
        @param root: a directory of the disk.
        @return: the realm's URL serving it.
        """
        raise NotImplementedError

    def closing(self, realm):
        """
        Close what the realm opened after the test: nothing here.

        @param realm: the realm.
        """

    async def test_quotaHome(self):
        """
        The quota's home is resolved in the pool: it was in the reactor's
        thread at each login (on SFTP, with no deadline).
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        users = os.path.abspath(self.mktemp())
        writeUsers(users)
        url = self.url(root)
        separator = "&" if "?" in url else "?"
        realm = makeFsspecRealm(f"{url}{separator}users={users}", {})
        self.closing(realm)
        backend = await self.session(realm)
        self.assertEqual(backend.inReactor, 0)
        self.assertGreater(backend.inPool, 0)


class LocalTests(LinkedStoreMixin, unittest.TestCase):
    """
    L{LinkedStoreMixin} on C{file://}.
    """

    def url(self, root):
        return "file://" + root


class SFTPTests(LinkedStoreMixin, unittest.TestCase):
    """
    L{LinkedStoreMixin} on C{sftp://}, through the tests' OpenSSH server.
    """

    def url(self, root):
        return sftpURL(root)

    def closing(self, realm):
        closeAtEnd(self, realm)
