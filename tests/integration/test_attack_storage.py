"""
Attacks on storage over real loopback sockets: a user held to a quota
cannot fill the disk with one upload. The storages of the examples and
the fsspec realm hold against writers racing each other: the SQLite
example's uploads written after a file's first bytes and its names that
are not UTF-8, and a directory renamed while an upload writes into it.
"""

import ftplib
import io
import os
import socket
import uuid

from twisted.cred import portal
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage, diskUsage
from ftpkit.shells.permissiontable import PermissionTable
from tests.floods import uploadUntilCut
from tests.ftpclient import ftplibLogin
from tests.integration.test_examples import _loadExample
from tests.polling import waitFor, waitUntil
from tests.rawclient import RawClient
from tests.resets import hardClose
from tests.scratch import scratchDirectory
from tests.uploadsinprogress import largestUpload

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    fsspec = None


QUOTA = 64 * 1024

FLOOD = 256 << 20
"""Bytes the attacking client tries to upload: far past the quota."""

SECRET = b"TOPSECRET outside the root"

PART = 40 * 1024
"""Bytes of each upload the attacking client cuts short."""


@implementer(portal.IRealm)
class QuotaRealm:
    """
    Every user gets the same directory with a quota (L{QUOTA} unless
    given).
    """

    def __init__(self, root, quota=QUOTA):
        self.root = root
        self.quota = quota
        self.usage = QuotaUsage(lambda: diskUsage(root))

    def requestAvatar(self, avatarId, mind, *interfaces):
        shell = PermissionShell(
            FilesystemShell(self.root),
            PermissionTable(["list", "read", "write", "append", "delete"]),
            quota=self.quota, usage=self.usage)
        return IFTPShell, shell, lambda: None


class QuotaFloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload past the quota is cut when it passes it, not when the
    client stops sending: a zero-copy upload was checked only at its end,
    so a user with a 64 KiB quota could write gigabytes into the
    temporary file first.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = self.startServer(
            QuotaRealm(self.root), ServerConfig(loginFailureDelay=0))

    def flood(self, command):
        """
        Log in and send up to L{FLOOD} bytes with C{command} (blocking).

        @return: C{(bytes sent, final reply)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        result = uploadUntilCut(ftp, command, FLOOD)
        ftp.close()
        return result

    def leftovers(self):
        return sorted(os.listdir(self.root))

    @defer.inlineCallbacks
    def test_storCutAtQuota(self):
        """
        C{STOR} past the quota gets C{552} long before the client has sent
        all it wanted to, and nothing is kept.
        """
        sent, final = yield self.inThread(self.flood, "STOR flood.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        yield waitFor(lambda: not self.leftovers())
        self.assertEqual(self.leftovers(), [])

    @defer.inlineCallbacks
    def test_appeCutAtQuota(self):
        """
        C{APPE} (written in place) is also cut at the quota, keeping at
        most the quota.
        """
        sent, final = yield self.inThread(self.flood, "APPE flood.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertLessEqual(diskUsage(self.root), QUOTA)

    @defer.inlineCallbacks
    def test_withinQuotaStillStored(self):
        """
        An upload that fits is stored whole (the zero-copy path still
        commits it).
        """
        payload = os.urandom(QUOTA - 1)

        def upload():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            data = ftp.transfercmd("STOR fits.bin")
            data.sendall(payload)
            data.shutdown(socket.SHUT_WR)
            data.close()
            final = ftp.voidresp()
            ftp.close()
            return final

        final = yield self.inThread(upload)
        self.assertTrue(final.startswith("226"), final)
        with open(os.path.join(self.root, "fits.bin"), "rb") as f:
            self.assertEqual(f.read(), payload)

    @defer.inlineCallbacks
    def test_cutUploadsCounted(self):
        """
        Uploads cut short are kept (hidden) for a resume, and those bytes
        count: cutting zero-copy uploads one after the other did not, so
        a user could store any amount past the quota that way.
        """
        def cutUploads():
            results = []
            for number in range(5):
                ftp = ftplibLogin(self, self.server.port, binary=True)
                data = ftp.transfercmd(f"STOR cut{number}.bin")
                try:
                    data.sendall(b"c" * PART)
                except OSError:
                    pass
                # All of it arrived, or the quota ended the upload.
                waitUntil(lambda: self.uploading() in (PART, None))
                hardClose(data)
                try:
                    results.append(ftp.voidresp()[:3])
                except ftplib.Error as e:
                    results.append(str(e)[:3])
                ftp.close()
            return results

        results = yield self.inThread(cutUploads)
        self.assertEqual(results[0], "426")
        self.assertLessEqual(diskUsage(self.root), QUOTA + 1)

    def uploading(self):
        """
        @return: the size of the upload in progress, or C{None} when
            there is none (one renamed while looked at is not counted).
        """
        return largestUpload(self.root)


class LocalFsspecJailTests(unittest.TestCase):
    """
    C{--realm fsspec:file:///DIR} keeps users inside C{DIR} as the disk
    realm does: a symbolic link in it leading outside is not followed
    (fsspec's local filesystem followed it, reading and writing outside).
    """

    def setUp(self):
        from fsspec.implementations.local import LocalFileSystem

        from ftpkit.shells.fsspecshell import FsspecShell

        base = os.path.abspath(self.mktemp())
        self.root = os.path.join(base, "root")
        self.outside = os.path.join(base, "outside")
        os.makedirs(os.path.join(self.root, "inside"))
        os.makedirs(self.outside)
        with open(os.path.join(self.outside, "secret.txt"), "wb") as f:
            f.write(SECRET)
        os.symlink("../outside", os.path.join(self.root, "escape"))
        os.symlink("../outside/secret.txt",
                   os.path.join(self.root, "link.txt"))
        os.symlink("inside", os.path.join(self.root, "fine"))
        self.shell = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                                 self.root)
        self.addCleanup(self.shell.whenIdle)

    @defer.inlineCallbacks
    def test_linksOutRefused(self):
        """
        Through a link leading out, nothing can be listed, looked at,
        read, written, made or removed; a link that stays inside works.
        """
        from ftpkit.errors import PermissionDenied

        attempts = [
            self.shell.list(("escape",)),
            self.shell.stat(("escape", "secret.txt")),
            self.shell.stat(("link.txt",)),
            self.shell.openForReading(("link.txt",)),
            self.shell.openForReading(("escape", "secret.txt")),
            self.shell.openForWriting(("escape", "planted.txt")),
            self.shell.makeDirectory(("escape", "made")),
            self.shell.removeFile(("escape", "secret.txt")),
            self.shell.rename(("escape", "secret.txt"), ("stolen.txt",)),
            self.shell.rename(("inside",), ("escape", "moved")),
        ]
        for attempt in attempts:
            yield self.assertFailure(attempt, PermissionDenied)
        self.assertEqual(sorted(os.listdir(self.outside)), ["secret.txt"])
        with open(os.path.join(self.outside, "secret.txt"), "rb") as f:
            self.assertEqual(f.read(), SECRET)
        self.assertEqual(
            [name for name, _ in (yield self.shell.list(("fine",)))], [])
        yield self.shell.makeDirectory(("fine", "ok"))
        self.assertEqual(os.listdir(os.path.join(self.root, "inside")),
                         ["ok"])


class HashLaneTests(unittest.TestCase):
    """
    C{HASH} reads a whole file in a disk thread: many at once on large
    files took every disk thread, and every user's file commands waited
    behind them (a C{SIZE} took as long as the hashes). They run in a lane
    of their own.
    """

    timeout = 60

    def test_hashesLeaveDiskThreadsFree(self):
        """
        While more hashes than there are disk threads are running (each
        stuck in its digest), a C{stat} still gets its answer.
        """
        import hashlib
        import threading

        from twisted.internet import reactor

        from ftpkit.shells import diskopens, filesystem

        release = threading.Event()
        self.addCleanup(release.set)

        class StuckDigest:
            def update(self, data):
                release.wait(30)

            def hexdigest(self):
                return "0"

        def stuckDigest(algorithm):
            hashlib.new(algorithm)
            return StuckDigest()

        self.patch(diskopens, "newDigest", stuckDigest)
        root = scratchDirectory(self)
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"x")
        shell = filesystem.FilesystemShell(root, reactor=reactor)
        hashes = [shell.hash(("f",), "sha256") for _ in range(12)]
        answered = []
        shell.stat(("f",)).addCallback(answered.append)

        def check(ignored):
            self.assertEqual(len(answered), 1)
            release.set()
            return defer.gatherResults(hashes)

        return waitFor(lambda: answered, timeout=60).addCallback(check)


def _reply(call, *args):
    """
    @return: what C{call(*args)} answered, or the error it raised, as
        text.
    """
    try:
        return call(*args)
    except ftplib.all_errors as e:
        return str(e)


class SQLiteInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads written after a file's first bytes (C{APPE}, C{REST} and
    C{STOR}) into the SQLite example, while another session changes the
    file.
    """

    timeout = 60

    def setUp(self):
        shell = _loadExample("ftpkit_sqlite").SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        self.server = self.startServer(SharedShellRealm(shell))

    def race(self, first, meanwhile, rest=None):
        """
        Store C{f} (10 bytes), start C{first} on it in one session
        (after C{REST rest} unless C{None}), sending 1,000 C{A} bytes, run
        C{meanwhile(other)} in a second session, then end the first
        upload.

        @return: a Deferred firing with the first upload's final reply,
            what C{meanwhile} returned, and the file's bytes after.
        """
        def run():
            one = ftplibLogin(self, self.server.port)
            other = ftplibLogin(self, self.server.port)
            one.storbinary("STOR f", io.BytesIO(b"0123456789"))
            one.voidcmd("TYPE I")
            data = one.transfercmd(first, rest)
            data.sendall(b"A" * 1000)
            happened = meanwhile(other)
            data.close()
            ended = _reply(one.voidresp)
            kept = []
            other.retrbinary("RETR f", kept.append)
            return ended, happened, b"".join(kept)

        return self.inThread(run)

    async def test_twoAppends(self):
        """
        Of two C{APPE}s at once, the one ending second gets C{450}; the
        first one's bytes stay.
        """
        ended, happened, kept = await self.race("APPE f", lambda other: _reply(
            other.storbinary, "APPE f", io.BytesIO(b"B" * 1000)))
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"0123456789" + b"B" * 1000)

    async def test_appendToReplaced(self):
        """
        An C{APPE} whose file was removed and stored again meanwhile (the
        new file may get the old one's row) gets C{450}; the new file
        stays as stored.
        """
        def replace(other):
            other.delete("f")
            return _reply(other.storbinary, "STOR f", io.BytesIO(b"new"))

        ended, happened, kept = await self.race("APPE f", replace)
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"new")

    async def test_resumeReplaced(self):
        """
        A resume (C{REST 5}, C{STOR}) whose file another C{STOR} replaced
        meanwhile gets C{450}; the new file stays as stored.
        """
        ended, happened, kept = await self.race("STOR f", lambda other: _reply(
            other.storbinary, "STOR f", io.BytesIO(b"B" * 20)), rest=5)
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"B" * 20)


class SQLiteNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    Names that are not UTF-8, given to the SQLite example.
    """

    timeout = 60

    def setUp(self):
        shell = _loadExample("ftpkit_sqlite").SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        self.server = self.startServer(SharedShellRealm(shell))

    async def test_notUTF8(self):
        """
        Each command naming one is refused as a name not allowed
        (C{550}; C{553} for an upload, before its data), nothing logged
        as an error.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                # SIZE refuses every name in TYPE A, before looking at it.
                client.command(b"TYPE I")
                replies = [client.command(verb + b" bad\xffname")
                           for verb in (b"MKD", b"CWD", b"SIZE", b"DELE",
                                        b"MDTM", b"MLST", b"RMD", b"RNFR")]
                replies.append(client.transfer(b"STOR x\xfe")[0])
                return replies
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [b"550 File name not UTF-8"] * 8
                         + [b"553 File name not UTF-8"])


class RenamedWhileUploadedMixin:
    """
    A directory renamed or removed while an upload writes into it, on a
    realm whose uploads are stored once complete (L{makeRealm},
    L{leftovers}).
    """

    timeout = 60

    def setUp(self):
        self.server = self.startServer(self.makeRealm())

    def meanwhile(self, *commands):
        """
        Upload C{d/x} in one session (100,000 bytes, then the end) and
        send C{commands} from another while it runs (blocking: call it
        in a thread).

        @param commands: the other session's command lines.
        @return: the replies to C{commands}, and the upload's end.
        """
        one = ftplibLogin(self, self.server.port)
        other = ftplibLogin(self, self.server.port)
        one.mkd("d")
        one.voidcmd("TYPE I")
        data = one.transfercmd("STOR d/x")
        data.sendall(b"A" * 100000)
        during = [_reply(other.sendcmd, command) for command in commands]
        data.close()
        other.voidcmd("TYPE I")
        self.other = other
        return during, _reply(one.voidresp)

    async def test_removeRefused(self):
        """
        C{RMD} of the directory gets C{550} while the upload runs, listed
        empty or not, and C{250} once the upload is stored and removed.
        """
        def run():
            during, ended = self.meanwhile("RMD d")
            return during, ended, [_reply(self.other.sendcmd, command)
                                   for command in ("SIZE d/x", "DELE d/x",
                                                   "RMD d")]

        during, ended, after = await self.inThread(run)
        self.assertEqual([reply[:4] for reply in during], ["550 "])
        self.assertEqual(ended[:4], "226 ")
        self.assertEqual([reply[:4] for reply in after],
                         ["213 ", "250 ", "250 "])
        self.assertEqual(after[0], "213 100000")
        self.assertEqual(self.leftovers(), [])

    async def test_renameRefused(self):
        """
        The rename gets C{450} while the upload runs, and C{250} once it
        ended; the upload is complete, and no temporary file is left.
        """
        def run():
            during, ended = self.meanwhile("RNFR d", "RNTO e")
            return during, ended, [_reply(self.other.sendcmd, command)
                                   for command in ("RNFR d", "RNTO e",
                                                   "SIZE e/x")]

        during, ended, after = await self.inThread(run)
        self.assertEqual([reply[:4] for reply in during], ["350 ", "450 "])
        self.assertEqual(ended[:4], "226 ")
        self.assertEqual([reply[:4] for reply in after[:2]], ["350 ", "250 "])
        self.assertEqual(after[2], "213 100000")
        self.assertEqual(self.leftovers(), [])


class LocalRenamedTests(RenamedWhileUploadedMixin, LoopbackServerMixin,
                        unittest.TestCase):
    """
    On C{fsspec:file://}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def makeRealm(self):
        """
        @return: the realm of a scratch root.
        """
        self.root = scratchDirectory(self)
        return makeFsspecRealm("file://" + self.root, {})

    def leftovers(self):
        """
        @return: the names of temporary files under the root.
        """
        return [name for _, _, names in os.walk(self.root)
                for name in names if name.startswith(".ftpkit-upload")]


class MemoryRenamedTests(RenamedWhileUploadedMixin, LoopbackServerMixin,
                         unittest.TestCase):
    """
    On C{fsspec:memory://} (one store per process: a root of the test's
    own, removed afterwards).
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def makeRealm(self):
        """
        @return: the realm of a fresh root of the process's store.
        """
        self.where = "/sweep15-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(lambda: self.fs.exists(self.where)
                        and self.fs.rm(self.where, recursive=True))
        return makeFsspecRealm(
            "memory://" + self.where + "?global_store=true", {})

    def leftovers(self):
        """
        @return: the keys of temporary files under the root.
        """
        return [name for name in self.fs.find(self.where)
                if "/.ftpkit-upload" in name]


class MemoryRealmRenamedTests(RenamedWhileUploadedMixin, LoopbackServerMixin,
                              unittest.TestCase):
    """
    On C{--realm memory}, whose uploads are stored by path once complete:
    a directory removed or renamed meanwhile failed the upload at its
    end (C{550}, its bytes dropped), where the disk realm refuses the
    removal and the fsspec realms both.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm()

    def leftovers(self):
        """
        @return: nothing: the memory realm's uploads write no file
            before they are complete.
        """
        return []


class SQLiteRenamedTests(RenamedWhileUploadedMixin, LoopbackServerMixin,
                         unittest.TestCase):
    """
    On the SQLite example, whose uploads are stored by path once
    complete: a directory removed or renamed meanwhile failed the upload
    at its end (C{550}, its bytes dropped), as on the memory realm.
    """

    def makeRealm(self):
        """
        @return: a realm sharing one SQLite shell.
        """
        shell = _loadExample("ftpkit_sqlite").SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        return SharedShellRealm(shell)

    def leftovers(self):
        """
        @return: nothing: its uploads write no file before they are
            complete.
        """
        return []
