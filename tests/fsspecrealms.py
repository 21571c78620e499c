"""
Test case mixins serving a test's root through fsspec: on the disk
(L{LocalMixin}, C{fsspec:file://ROOT}), through a real OpenSSH server on
loopback (L{SFTPMixin}, C{fsspec:sftp://USER@127.0.0.1:PORT/ROOT}) or in
fsspec's C{memory://} store (L{MemoryMixin}); the tests of a realm take
them to run again there. And a realm on a private memory store bound to
a size (L{BoundMemoryMixin}), as C{memory://?size=} makes it. They skip
their tests where fsspec is not installed (L{SFTPMixin} also where
OpenSSH's server or paramiko is not).
"""

import os
import uuid

from twisted.internet import defer

from ftpkit.deploy import tap
from ftpkit.interfaces import IFTPShell
from tests.storageservers import sshServer

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import FsspecRealm, makeFsspecRealm
    from ftpkit.shells.fsspecfootprint import footprint
except ImportError:
    fsspec = None


def memoryFilesystem():
    """
    @return: a new, private fsspec memory filesystem.
    """
    return fsspec.filesystem("memory", global_store=False,
                             skip_instance_cache=True)


class LocalMixin:
    """
    The root served as C{fsspec:file://ROOT}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def makeRealm(self):
        """
        @return: the fsspec realm of the disk under C{self.root}.
        """
        return makeFsspecRealm("file://" + self.root, {})


def sftpURL(root):
    """
    @param root: a directory of the disk.
    @return: the C{sftp://} URL of C{root} seen through the test
        process's OpenSSH server (L{tests.storageservers.sshServer}, which
        raises C{SkipTest} where it cannot start).
    """
    ssh = sshServer()
    return (f"sftp://{ssh.user}@127.0.0.1:{ssh.port}{root}"
            f"?key_filename={ssh.keyFile}&look_for_keys=false"
            "&allow_agent=false")


def tenBytesOverSFTP(testCase, ssh, host, deadline):
    """
    A realm serving, through C{ssh}, a new directory holding C{f.bin} (10
    bytes), closed at the test's end (L{closeAtEnd}).

    @param testCase: the running test.
    @param ssh: the OpenSSH server (L{tests.storageservers.ownSSHServer}).
    @param host: its address as the URL writes it (C{[::1]} in brackets).
    @param deadline: the realm's C{deadline=} seconds.
    @return: the fsspec realm.
    """
    root = os.path.abspath(testCase.mktemp())
    os.makedirs(root)
    with open(os.path.join(root, "f.bin"), "wb") as f:
        f.write(b"0123456789")
    options = tap.Options()
    options.parseOptions([
        "--realm",
        f"fsspec:sftp://{ssh.user}@{host}:{ssh.port}{root}"
        f"?key_filename={ssh.keyFile}&look_for_keys=false"
        f"&allow_agent=false&deadline={deadline}"])
    realm = options["realmObject"]
    closeAtEnd(testCase, realm)
    return realm


def closeAtEnd(testCase, realm):
    """
    Close an SFTP realm's SSH connection after the test, once the realm
    is idle (L{ftpkit.auth.fsspecrealm.FsspecRealm.whenIdle}): a call
    made after the close would open another connection, which outlived
    the test (a reactor left unclean, with the call's deadline timers).
    Call it before the test's server starts, so that it runs once the
    server stopped (cleanups run last first) and its sessions' last
    calls were made.

    @param testCase: the L{twisted.trial.unittest.TestCase}.
    @param realm: the fsspec realm, through SFTP.
    """
    def close():
        if realm.fs is None:
            return None
        return realm.whenIdle().addCallback(
            lambda _: realm.shellAt(()).call(realm.fs.client.close))

    testCase.addCleanup(close)


class SFTPMixin:
    """
    The root served as C{fsspec:sftp://USER@127.0.0.1:PORT/ROOT}, by the
    test process's OpenSSH server (L{tests.storageservers.sshServer}):
    the same directory of the disk, seen through SFTP.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def makeRealm(self):
        """
        @return: the fsspec realm of the SFTP server's C{self.root}; its
            SSH connection is closed after the test.
        """
        realm = makeFsspecRealm(sftpURL(self.root), {})
        closeAtEnd(self, realm)
        return realm

    def timeoutContext(self):
        """
        @return: what a client's timeout (L{tests.ftpclient.nameTimeouts})
            adds: the end of the SFTP server's log.
        """
        return sshServer().logTail()


class MemoryMixin:
    """
    A root of fsspec's C{memory://} (the process' store, which the test
    writes to as another program would, C{global_store=true}: a root of
    the test's own, removed afterwards).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.where = "/inplace-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self._clean)
        return super().setUp()

    def _clean(self):
        if self.fs.exists(self.where):
            self.fs.rm(self.where, recursive=True)

    def makeRealm(self):
        """
        @return: the fsspec realm of the test's C{memory://} root.
        """
        return makeFsspecRealm(
            "memory://" + self.where + "?global_store=true", {})

    def write(self, name, data):
        """
        @param name: a file's name in the root.
        @param data: the bytes it is to hold.
        """
        self.fs.pipe_file(f"{self.where}/{name}", data)

    def exists(self, name):
        """
        @param name: a name in the root.
        @return: whether anything has it.
        """
        return self.fs.exists(f"{self.where}/{name}")

    def read(self, name="f"):
        """
        @param name: a file's name in the root.
        @return: its bytes.
        """
        return self.fs.cat_file(f"{self.where}/{name}")


class BoundMemoryMixin:
    """
    C{self.realm}, an L{FsspecRealm} on C{self.fs}, a private fsspec
    memory store, bound to L{maxBytes}: what the store holds, its keys
    counted with its contents.

    @cvar maxBytes: the bound.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    maxBytes = 1 << 20

    def setUp(self):
        self.fs = memoryFilesystem()
        self.realm = FsspecRealm(lambda: self.fs, "", maxBytes=self.maxBytes)

    @defer.inlineCallbacks
    def shell(self):
        """
        @return: a Deferred firing with a session's shell.
        """
        interface, shell, logout = yield self.realm.requestAvatar(
            "alice", None, IFTPShell)
        return shell

    def measured(self):
        """
        @return: what the store holds, keys and contents, measured afresh.
        """
        return footprint(self.fs, "/", withKeys=True).bytes
