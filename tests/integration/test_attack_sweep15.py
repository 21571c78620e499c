"""
The fifteenth attack sweep (storage, paths and resources), over real
loopback sockets.

The SQLite storage of C{examples/} (the one the storage tutorial teaches)
took an appended or resumed upload's first bytes from the file as it was
when the upload opened, and wrote them back with the upload's own when it
ended, whatever had happened to the file meanwhile: two sessions
appending 1,000 bytes each to a 10-byte file were both told C{226}, and
the file held 1,010 bytes, the second's gone; an C{APPE} whose file
another session removed and stored again meanwhile put the old file back
under its bytes. Such an upload now gets C{450}, as on the other realms
(L{tests.integration.test_attack_sweep6},
L{tests.integration.test_attack_resumereplaced}).

And every command naming a file whose name was not UTF-8 (the bytes
0x80 to 0xff, which reach a shell as lone surrogates) got C{451} from
it, and the log a traceback of some 30 lines: SQLite's text cannot hold
such a name, and the tutorial never said a name could be one. Now
C{550} (C{553} for an upload), and the tutorial says so.

On the fsspec realm (C{file://} and C{memory://}), a directory renamed
while an upload wrote into it took the upload's temporary file along:
the upload failed at its end (C{550}), and the file (3,001,000 bytes in
the attempt) stayed in the renamed directory for good, hidden from
listings, counted against C{memory://}'s bound, and keeping the
directory from being removed (C{550 Directory not empty} for a directory
listed empty). Such a rename now gets C{450} while the upload runs
(L{ftpkit.shells.fsspectemporaries}); the disk realm's upload follows
its directory (its file is made through a descriptor of the directory).

And on C{fsspec:file://}, an C{APPE} (or C{REST} and C{STOR}) onto a
disk that fills kept the bytes that fitted: told C{452}, the file had
grown to the size of the whole disk (1 MiB), which stayed full. It is
now cut back to where the upload started, as on the disk realm
(L{tests.integration.test_diskfull}).

So is one past a quota (a users file's C{quota}, or C{memory://}'s
C{size=}) or past C{--max-upload-size}: told C{552}, on C{file://} and
C{memory://} alike, a 100,000-byte file kept some 100,000 to 220,000
of the upload's bytes (the disk realm, and the docs, leave it as it
was). The random-access upload had no way to be dropped whole, and was
aborted, which keeps what an upload in place wrote (for a resume); it
now can be (L{ftpkit.interfaces.IDiscardableWriteFile}).

Tried and held (C{python -m ftpkit} on the disk realm, C{memory},
C{fsspec:memory://} and C{fsspec:file://}, and the SQLite example
embedded; a users file with per-directory rules and a quota'd home
nested in another's):
    - C{RNTO} onto itself, its parent, a descendant, C{.}, C{..}, C{/},
      C{f/}, C{d/.}: the same replies on all five (C{553} into itself,
      C{550}), nothing lost; C{RMD} of the working directory, C{RMD /},
      C{DELE /}: C{550}; C{REIN} or C{HOST} between C{RNFR} and C{RNTO}:
      C{503}; rule paths spelled C{/secret/} and C{//sub/./}: applied;
    - a directory renamed under a session working in it: C{PWD} as
      before, C{STOR} C{550}; renamed or removed during a C{STOR} into
      it: the disk's upload lands in the renamed directory (C{226}), the
      memory realm's gets C{550} and keeps nothing;
    - C{RETR} of a 51 MB file while another session C{STOR}s, C{APPE}s,
      C{DELE}s or renames over it: the old file whole on four realms
      (SQLite: C{426}, as its tutorial says); two C{APPE}s at once:
      C{450} on the disk and fsspec, both kept in order on memory;
      C{REST 50}, another session's C{DELE}, C{STOR}: C{554} on all;
    - names with trailing spaces or dots, a tab, a leading space: kept
      as sent; names holding CR or LF made on the disk: left out of
      C{LIST}, C{NLST}, C{MLSD} and C{STAT}; empty files and directories
      (C{STOR}, C{APPE}, C{REST 3} of nothing, C{RETR} after C{REST 0}
      and C{1}, C{HASH}, C{XCRC}, listings): alike on all five;
    - 160 descriptors: 55 sessions logged in, then each a C{RETR},
      C{STOR}, C{LIST} or C{HASH}: the 56th connection C{421}, C{EPSV}
      past the limit C{425}, every session answering after; back to 16
      descriptors (44 with idle splice pipes, 77 with pooled listeners
      until the data timeout); 14 uploads reset while they ran out kept
      as partial uploads, no temporary file left;
    - 10 unread C{MLSD}s of a 100,000-entry directory: C{fsspec:file://}
      60 to 65 MB, the memory realm 152 MB unchanged, another client's
      C{NOOP} 1 to 25 ms; the listings' cache: a directory removed and
      another made on its inode (5 times), per-user masks, held
      anonymous uploads: each listing as without the cache;
    - 60 uploads on C{fsspec:memory://} and C{file://} cut at every phase
      (before and after the C{150}, mid-data, before the C{226}): no
      temporary file, the directory removable; five C{STOU}s cut before
      their data connection: the name free again on all five realms.
"""

import ftplib
import io
import os
import uuid

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_jail import RawClient
from tests.integration.test_diskfull import FLOOD, storeFailing
from tests.integration.test_examples import _loadExample
from tests.scratch import scratchDirectory
from tests.smallmounts import smallFilesystem

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    fsspec = None


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
    A directory renamed while an upload writes into it, on an fsspec
    realm (L{makeRealm}, L{leftovers}).
    """

    timeout = 60

    def setUp(self):
        self.server = self.startServer(self.makeRealm())

    async def test_renameRefused(self):
        """
        The rename gets C{450} while the upload runs, and C{250} once it
        ended; the upload is complete, and no temporary file is left.
        """
        def run():
            one = ftplibLogin(self, self.server.port)
            other = ftplibLogin(self, self.server.port)
            one.mkd("d")
            one.voidcmd("TYPE I")
            data = one.transfercmd("STOR d/x")
            data.sendall(b"A" * 100000)
            during = _reply(other.sendcmd, "RNFR d"), _reply(
                other.sendcmd, "RNTO e")
            data.close()
            ended = _reply(one.voidresp)
            after = _reply(other.sendcmd, "RNFR d"), _reply(
                other.sendcmd, "RNTO e")
            return during, ended, after, _reply(other.sendcmd, "SIZE e/x")

        during, ended, after, size = await self.inThread(run)
        self.assertEqual(during[0][:4], "350 ")
        self.assertEqual(during[1][:4], "450 ")
        self.assertEqual(ended[:4], "226 ")
        self.assertEqual([reply[:4] for reply in after], ["350 ", "250 "])
        self.assertEqual(size, "213 100000")
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
        return makeFsspecRealm("memory://" + self.where, {})

    def leftovers(self):
        """
        @return: the keys of temporary files under the root.
        """
        return [name for name in self.fs.find(self.where)
                if "/.ftpkit-upload" in name]


class FsspecDiskFullTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:file://} on a 1 MiB file system (root only) holding C{old}.
    """

    timeout = 60

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.root = smallFilesystem(self, size="1m")
        self.old = os.path.join(self.root, "old")
        with open(self.old, "wb") as f:
            f.write(b"old bytes " * 300)
        self.server = self.startServer(
            makeFsspecRealm("file://" + self.root, {}))

    def fails(self, command, rest=None):
        """
        Send twice the disk's size with C{command} (after C{REST rest}
        unless C{None}).

        @return: a Deferred firing with the final reply and the bytes
            C{old} holds after.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            final = storeFailing(ftp, command, FLOOD, rest=rest)
            with open(self.old, "rb") as f:
                return final, f.read()

        return self.inThread(run)

    async def test_append(self):
        """
        C{APPE} leaves the file as it was before.
        """
        final, kept = await self.fails("APPE old")
        self.assertEqual(final[:4], "452 ")
        self.assertEqual(kept, b"old bytes " * 300)

    async def test_resume(self):
        """
        C{REST 1000} and C{STOR} leave the file's bytes before the offset.
        """
        final, kept = await self.fails("STOR old", rest=1000)
        self.assertEqual(final[:4], "452 ")
        self.assertEqual(kept, (b"old bytes " * 300)[:1000])


class FsspecRefusedInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads written in place (C{APPE}, C{REST} and C{STOR}) refused for
    their size on C{fsspec:memory://} (one store per process: a root of
    the test's own, removed afterwards), held to C{size=1M}, with
    C{--max-upload-size} 500K.
    """

    timeout = 60

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.where = "/sweep15-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(lambda: self.fs.exists(self.where)
                        and self.fs.rm(self.where, recursive=True))
        self.server = self.startServer(
            makeFsspecRealm(f"memory://{self.where}?size=1M", {}),
            ServerConfig(maxUploadSize=500000))

    def refused(self, size, rest=None):
        """
        Store C{f} (100,000 bytes), then send C{size} bytes appended to
        it, or from C{rest} on unless C{None}.

        @return: a Deferred firing with the final reply and C{f}'s size
            after.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            ftp.storbinary("STOR f", io.BytesIO(b"o" * 100000))
            command = "APPE f" if rest is None else "STOR f"
            final = storeFailing(ftp, command, size, rest=rest)
            return final, ftp.size("f")

        return self.inThread(run)

    async def test_appendOverQuota(self):
        """
        An C{APPE} past the store's size leaves the file as it was.
        """
        final, size = await self.refused(400000 * 8)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 100000)

    async def test_resumeOverQuota(self):
        """
        A resume past it leaves the bytes before its offset.
        """
        final, size = await self.refused(400000 * 8, rest=50000)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 50000)

    async def test_appendOverLimit(self):
        """
        An C{APPE} past C{--max-upload-size} (within the size) leaves the
        file as it was.
        """
        final, size = await self.refused(600000)
        self.assertEqual(final[:4], "552 ")
        self.assertEqual(size, 100000)
