"""
Cut uploads at their edges, as users meet them, over real sockets
(ftplib), on every realm that keeps them (the disk realm,
C{--realm memory}, C{fsspec:memory://} and C{fsspec:file://}): a
C{REST} past the cut upload's end, C{REST 0}, another user's C{APPE}, a
rename of the file, C{DELE} while a resume runs, a cut of nothing, and a
cut over TLS (C{PROT P}). They held when this was written (session 31)
but one: on the disk realm, C{REST 0} + C{STOR} of the whole file right
after a cut left its user's C{SIZE} answering the cut upload (see
L{tests.unit.test_partialstale31}).
"""

import io

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from tests.cutuploads import (
    HALF,
    NEW,
    DiskRealmMixin,
    MemoryRealmMixin,
    TwoUsersMixin,
    cut,
    fetch,
    resumeFromSize,
    sizeOf,
)
from tests.fsspecrealms import LocalMixin, MemoryMixin
from tests.ftpclient import replyCode
from tests.tlssupport import FTPSTestsMixin


class EdgesMixin(TwoUsersMixin):
    """
    alice and bob on an empty root; subclasses say which realm
    (C{makeRealm}).
    """

    def restPastEnd(self):
        ftp = self.login()
        cut(ftp, "f")
        past = replyCode(lambda: ftp.storbinary(
            "STOR f", io.BytesIO(NEW[HALF + 1000:]), rest=HALF + 1000))
        after, done = resumeFromSize(ftp, "f")
        return past, after, done, fetch(ftp, "f") == NEW

    async def test_restPastEnd(self):
        """
        C{REST} past the cut upload's end, then C{STOR}: C{554}, the cut
        upload kept as it was (no hole written); the resume from C{SIZE}
        then completes the file.
        """
        self.assertEqual(await self.inThread(self.restPastEnd),
                         ("554", HALF, "226", True))

    def restZero(self):
        ftp = self.login()
        cut(ftp, "g")
        done = replyCode(lambda: ftp.storbinary(
            "STOR g", io.BytesIO(NEW), rest=0))
        return done, sizeOf(ftp, "g"), fetch(ftp, "g") == NEW

    async def test_restZero(self):
        """
        C{REST 0} then C{STOR} is a new upload: the file is whole, and
        C{SIZE} answers its size, not the cut upload's.
        """
        self.assertEqual(await self.inThread(self.restZero),
                         ("226", len(NEW), True))

    def othersAppend(self):
        alice = self.login()
        cut(alice, "f")
        bob = self.login("bob", "pw")
        seen = sizeOf(bob, "f"), bob.nlst()
        appended = replyCode(lambda: bob.storbinary(
            "APPE f", io.BytesIO(b"bob")))
        return seen, appended, fetch(bob, "f")

    async def test_othersAppend(self):
        """
        Another user sees nothing of alice's cut upload of C{f}, and
        their C{APPE f} makes a file of their bytes alone.
        """
        self.assertEqual(await self.inThread(self.othersAppend),
                         (("550", []), "226", b"bob"))

    def renamed(self):
        ftp = self.login()
        ftp.storbinary("STOR r", io.BytesIO(b"old"))
        cut(ftp, "r")
        moved = replyCode(lambda: ftp.rename("r", "s"))
        sizes = sizeOf(ftp, "r"), sizeOf(ftp, "s")
        done = replyCode(lambda: ftp.storbinary(
            "STOR r", io.BytesIO(NEW[HALF:]), rest=HALF))
        return moved, sizes, done, fetch(ftp, "r") == NEW, fetch(ftp, "s")

    async def test_renamed(self):
        """
        C{RNFR} + C{RNTO} of a file whose cut upload is kept renames the
        file alone: the cut upload stays with the old name, whose resume
        completes it; the renamed file is the old one.
        """
        self.assertEqual(await self.inThread(self.renamed),
                         ("250", (HALF, 3), "226", True, b"old"))

    def deleteWhileResuming(self):
        ftp = self.login()
        cut(ftp, "h")
        connection = ftp.transfercmd("STOR h", rest=HALF)
        connection.sendall(NEW[HALF:HALF + 1000])
        other = self.login()
        removed = replyCode(lambda: other.delete("h"))
        connection.sendall(NEW[HALF + 1000:])
        connection.close()
        done = replyCode(ftp.voidresp)
        return removed, done, fetch(other, "h") == NEW

    async def test_deleteWhileResuming(self):
        """
        C{DELE} of a new name while its user resumes its cut upload finds
        nothing to remove (the resume holds the cut upload), and the
        resume completes the file.
        """
        self.assertEqual(await self.inThread(self.deleteWhileResuming),
                         ("550", "226", True))

    def cutNothing(self):
        ftp = self.login()
        ftp.storbinary("STOR old", io.BytesIO(b"old"))
        replies = cut(ftp, "e", 0), cut(ftp, "old", 0)
        bob = self.login("bob", "pw")
        return (replies, sizeOf(ftp, "e"), sizeOf(ftp, "old"),
                sizeOf(bob, "old"), sorted(ftp.nlst()))

    async def test_cutNothing(self):
        """
        A cut upload that received nothing keeps nothing for a new name;
        replacing a file, it keeps an empty one, whose user's C{SIZE}
        answers 0 (everyone else's the old file's size).
        """
        self.assertEqual(await self.inThread(self.cutNothing),
                         (("426", "426"), "550", 0, 3, ["old"]))


class DiskEdgesTests(DiskRealmMixin, EdgesMixin, unittest.TestCase):
    """
    The disk realm.
    """


class MemoryEdgesTests(MemoryRealmMixin, EdgesMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecMemoryEdgesTests(MemoryMixin, MemoryEdgesTests):
    """
    C{--realm fsspec:memory://}.
    """


class FsspecLocalEdgesTests(LocalMixin, MemoryEdgesTests):
    """
    C{--realm fsspec:file://}.
    """


class TLSCutMixin(FTPSTestsMixin):
    """
    An upload over C{PROT P}, cut by a reset of its TLS data connection,
    then resumed over C{PROT P}; subclasses say which realm
    (C{makeRealm}).
    """

    def serveRealm(self):
        """
        Start an explicit FTPS server of C{makeRealm()}'s realm.
        """
        config = ServerConfig(loginFailureDelay=0,
                              tlsContextFactory=self.factory)
        self.server = self.startServer(self.makeRealm(), config)

    def cutOverTLS(self):
        ftp = self.connect()
        ftp.prot_p()
        ftp.voidcmd("TYPE I")
        # A reset, without TLS's close_notify.
        cutReply = cut(ftp, "t")
        kept, done = resumeFromSize(ftp, "t")
        whole = fetch(ftp, "t") == NEW
        ftp.quit()
        return cutReply[:1], 0 < kept <= HALF, done, whole

    async def test_cutResumed(self):
        """
        The cut upload is kept (C{SIZE} answers what arrived, at most
        what was sent), and the resume from there completes the file.
        """
        self.serveRealm()
        self.assertEqual(await self.inThread(self.cutOverTLS),
                         ("4", True, "226", True))


class DiskTLSCutTests(DiskRealmMixin, TLSCutMixin, unittest.TestCase):
    """
    The disk realm.
    """


class MemoryTLSCutTests(MemoryRealmMixin, TLSCutMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """
