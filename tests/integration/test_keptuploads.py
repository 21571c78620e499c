"""
A cut C{STOR} resumed, over real loopback sockets, on the realms of
stores other than the disk realm's: C{--realm memory}, C{fsspec:memory://},
C{fsspec:file://} and C{fsspec:sftp://} (an OpenSSH server on loopback)
keep what it received for a resume
(L{ftpkit.shells.keptuploads.KeptUploadsShell}); C{fsspec:s3://} (moto)
cannot, and refuses the resume.

They kept nothing: the uploader's C{SIZE} answered the old file's size,
and a resume from it (ftplib's C{REST} + C{STOR}, curl's C{-C - -T},
lftp's C{put -c}) wrote the new file's rest after the old file's start,
told C{226}.
"""

import ftplib
import io
import os
import subprocess

from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.clientprograms import CURL, LFTP
from tests.cutuploads import HALF, NEW, loginAndCut
from tests.fsspecrealms import LocalMixin, MemoryMixin, closeAtEnd, sftpURL
from tests.ftpclient import ftplibLogin
from tests.integration.test_fsspec_s3_ftp import S3ServerMixin
from tests.resets import hardClose

OLD = b"old bytes " * 300
"""What the file holds before the cut upload."""

RESUME_REFUSED = (
    "Resuming uploads (REST before STOR) is not supported by this storage:"
    " it writes whole files; send the whole file")
"""The reply text to C{REST} + C{STOR} on S3 (the server's: the shell says
its uploads cannot write at an offset, and is not asked)."""

APPEND_REFUSED = ("Appending (APPE) is not supported by this storage: it"
                  " writes whole files; send the whole file with STOR")
"""The reply text to C{APPE} on S3."""

LONG = "名" * 80
"""A name of 240 bytes in UTF-8."""

class CutResumeMixin(LoopbackServerMixin):
    """
    A realm whose root holds C{f} (L{OLD}), alice's; subclasses say which
    (C{makeRealm}) and how to reach its files (C{write}, C{read},
    C{names}: every name in the root, hidden ones too).
    """

    timeout = 120

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.local = os.path.abspath(self.mktemp())
        os.makedirs(self.local)
        self.source = os.path.join(self.local, "new.bin")
        with open(self.source, "wb") as f:
            f.write(NEW)
        self.realm = self.makeRealm()
        self.server = self.startServer(
            self.realm, ServerConfig(loginFailureDelay=0,
                                     maxUploadSize=len(NEW)),
            users={"alice": "secret", "bob": "pw"}, anonymous=False)
        self.write("f", OLD)

    def write(self, name, data):
        """
        @param name: a file's name in the root.
        @param data: the bytes it is to hold.
        """
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)

    def read(self, name="f"):
        """
        @return: the bytes of C{name} in the root.
        """
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    def names(self):
        """
        @return: every name in the root, sorted.
        """
        return sorted(os.listdir(self.root))

    def cutThenResume(self):
        """
        Cut an upload of L{NEW} over C{f} half-way, then resume it as a
        client resuming from C{SIZE} does (blocking).

        @return: C{(the cut's reply, SIZE's answer, bob's SIZE's answer,
            the resume's reply)}.
        """
        cut, ftp = loginAndCut(self, self.server.port)
        kept = ftp.size("f")
        bob = ftplibLogin(self, self.server.port, "bob", "pw", binary=True)
        bobs = bob.size("f")
        bob.quit()
        try:
            done = ftp.storbinary("STOR f", io.BytesIO(NEW[kept:]),
                                  rest=kept or None)
        except ftplib.Error as e:
            done = str(e)
        ftp.quit()
        return cut, kept, bobs, done[:3]

    async def test_cutResumedWhole(self):
        """
        C{SIZE} answers what the cut upload kept (to its uploader alone:
        bob sees the old file), and C{REST} + C{STOR} from there makes the
        new file whole; no hidden file is left.
        """
        cut, kept, bobs, done = await self.inThread(self.cutThenResume)
        self.assertEqual((cut, done), ("426", "226"))
        self.assertLessEqual(kept, HALF)
        self.assertEqual(bobs, len(OLD))
        self.assertTrue(self.read() == NEW, "the resumed file is not NEW")
        self.assertEqual(self.names(), ["f"])

    def longNameSession(self):
        """
        Cut an upload of L{NEW} over the file of a name of 240 bytes in
        UTF-8, then resume it from C{SIZE} (blocking).

        @return: C{(the cut's reply, SIZE's answer)}.
        """
        cut, ftp = loginAndCut(self, self.server.port, LONG)
        kept = ftp.size(LONG)
        ftp.storbinary("STOR " + LONG, io.BytesIO(NEW[kept:]),
                       rest=kept or None)
        ftp.quit()
        return cut, kept

    async def test_longName(self):
        """
        A name over 200 bytes has a partial upload too (named by the
        name's SHA-256: a file system's 255 bytes would not hold the
        name after the prefix), which the resume completes.
        """
        self.write(LONG, OLD)
        cut, kept = await self.inThread(self.longNameSession)
        self.assertEqual(cut, "426")
        self.assertLessEqual(kept, HALF)
        self.assertTrue(self.read(LONG) == NEW, "the resumed file is not NEW")
        self.assertEqual(self.names(), sorted(["f", LONG]))

    def tooLargeThenRein(self):
        """
        Send more than C{--max-upload-size} over C{f}, cut an upload of
        it, then ask C{SIZE} as bob and as alice again after C{REIN}
        (blocking).

        @return: C{(the refused upload's reply, SIZE after it, the cut's
            reply, bob's SIZE, alice's SIZE)}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        try:
            ftp.storbinary("STOR f", io.BytesIO(NEW + NEW[:1000]))
            refused = "226"
        except ftplib.Error as e:
            refused = str(e)[:3]
        sizes = [ftp.size("f")]
        ftp.quit()
        cut, ftp = loginAndCut(self, self.server.port)
        for user, password in (("bob", "pw"), ("alice", "secret")):
            ftp.sendcmd("REIN")
            ftp.login(user, password)
            ftp.voidcmd("TYPE I")
            sizes.append(ftp.size("f"))
        ftp.quit()
        return refused, sizes[0], cut, sizes[1], sizes[2]

    async def test_tooLargeKeepsNothing(self):
        """
        An upload refused for its size (C{552}) keeps nothing: C{SIZE}
        answers the old file's. A cut upload is its user's across C{REIN}:
        bob logged in on the same connection sees the old file.
        """
        refused, size, cut, bobs, alices = await self.inThread(
            self.tooLargeThenRein)
        self.assertEqual((refused, size, cut), ("552", len(OLD), "426"))
        self.assertEqual(bobs, len(OLD))
        self.assertLessEqual(alices, HALF)
        self.assertNotEqual(alices, len(OLD))
        self.assertEqual(self.read(), OLD)

    def twoResumes(self):
        """
        Cut an upload of L{NEW} over C{f}; resume it on a second
        connection, and while that one runs, ask C{SIZE} and resume it
        again on a third (blocking).

        @return: C{(SIZE's answer, the third's reply, the second's)}.
        """
        cut, ftp = loginAndCut(self, self.server.port)
        kept = ftp.size("f")
        ftp.quit()
        second = ftplibLogin(self, self.server.port, binary=True)
        connection = second.transfercmd("STOR f", rest=kept or None)
        connection.sendall(NEW[kept:kept + 1000])
        third = ftplibLogin(self, self.server.port, binary=True)
        size = third.size("f")
        try:
            busy = third.storbinary("STOR f", io.BytesIO(NEW[size:]),
                                    rest=size or None)
        except ftplib.Error as e:
            busy = str(e)
        third.quit()
        connection.sendall(NEW[kept + 1000:])
        connection.close()
        done = second.voidresp()
        second.quit()
        return size, busy[:3], done[:3]

    async def test_secondResumeBusy(self):
        """
        While one session resumes the cut upload, another of the same
        user's resumes gets C{450}, rather than write into the old file
        from the size C{SIZE} tells; the first completes the new file.
        """
        size, busy, done = await self.inThread(self.twoResumes)
        self.assertNotEqual(size, len(OLD))
        self.assertEqual((busy, done), ("450", "226"))
        self.assertTrue(self.read() == NEW, "the resumed file is not NEW")
        self.assertEqual(self.names(), ["f"])

    def resumeWhileStoring(self):
        """
        Send half of L{NEW} as C{STOR f} and hold the connection open;
        meanwhile resume from C{SIZE} on a second connection (a client
        that reconnected before the server saw its first connection go),
        with C{REST} + C{STOR}, then C{APPE}; then cut the first upload,
        and resume it whole (blocking).

        @return: C{(SIZE's answer meanwhile, the STOR's reply, the
            APPE's, the cut's, the last resume's)}.
        """
        first = ftplibLogin(self, self.server.port, binary=True)
        connection = first.transfercmd("STOR f")
        connection.sendall(NEW[:HALF])
        second = ftplibLogin(self, self.server.port, binary=True)
        size = second.size("f")
        replies = [size]
        for command, rest in (("STOR f", size), ("APPE f", None)):
            try:
                replies.append(second.storbinary(
                    command, io.BytesIO(NEW[size:]), rest=rest)[:3])
            except ftplib.Error as e:
                replies.append(str(e)[:3])
        hardClose(connection)
        try:
            replies.append(first.voidresp()[:3])
        except ftplib.Error as e:
            replies.append(str(e)[:3])
        kept = second.size("f")
        replies.append(second.storbinary("STOR f", io.BytesIO(NEW[kept:]),
                                         rest=kept or None)[:3])
        second.quit()
        return replies

    async def test_resumeWhileStoring(self):
        """
        While a C{STOR} replacing the file runs, a resume of it gets
        C{450}, rather than write the old file in place from the size
        C{SIZE} tells (its start and the new file's rest, told C{226});
        once that C{STOR} is cut, the resume completes the new file.
        """
        replies = await self.inThread(self.resumeWhileStoring)
        self.assertEqual(replies, [len(OLD), "450", "450", "426", "226"])
        self.assertTrue(self.read() == NEW, "the resumed file is not NEW")
        self.assertEqual(self.names(), ["f"])

    def hiddenSession(self):
        """
        Cut an upload, then list the root and name the hidden file it left
        (blocking).

        @return: C{(NLST, the LIST lines, the replies to the commands
            naming the hidden file)}.
        """
        cut, ftp = loginAndCut(self, self.server.port)
        hidden = [name for name in self.names() if name != "f"]
        names = ftp.nlst()
        lines = []
        ftp.retrlines("LIST -a", lines.append)
        replies = []
        for command in ("SIZE %s", "DELE %s", "RNFR %s"):
            try:
                replies.append(ftp.sendcmd(command % hidden[0])[:3])
            except ftplib.Error as e:
                replies.append(str(e)[:3])
        try:
            ftp.storbinary("STOR " + hidden[0], io.BytesIO(b"evil"))
            replies.append("226")
        except ftplib.Error as e:
            replies.append(str(e)[:3])
        ftp.quit()
        return hidden, names, lines, replies

    async def test_hidden(self):
        """
        The cut upload's file is never listed, and a command naming it
        gets C{553} (C{550} but for a file to make).
        """
        hidden, names, lines, replies = await self.inThread(self.hiddenSession)
        self.assertEqual(len(hidden), 1, hidden)
        self.assertEqual(names, ["f"])
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(replies, ["550", "550", "550", "553"])

    async def resumeWith(self, command):
        """
        Cut an upload of L{NEW} over C{f}, then run C{command} to resume
        it from C{self.source}; the file must end as L{NEW}.
        """
        cut, ftp = await self.inThread(loginAndCut, self, self.server.port)
        ftp.close()
        self.assertEqual(cut, "426")
        done = await self.inThread(subprocess.run, command,
                                   capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(self.read() == NEW, "the resumed file is not NEW")
        self.assertEqual(self.names(), ["f"])

    def test_curl(self):
        """
        curl's C{-C - -T} (C{SIZE}, then C{APPE} of the rest).
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        return self.resumeWith(
            [CURL, "-sS", "-u", "alice:secret", "-C", "-", "-T", self.source,
             "ftp://127.0.0.1:%d/f" % self.server.port])

    def test_lftp(self):
        """
        lftp's C{put -c} (C{SIZE}, then C{REST} + C{STOR} of the rest).
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        return self.resumeWith(
            [LFTP, "-c", "set net:max-retries 1; set cmd:fail-exit yes; "
             "open ftp://alice:secret@127.0.0.1:%d; put -c %s -o f"
             % (self.server.port, self.source)])


class MemoryRealmTests(CutResumeMixin, unittest.TestCase):
    """
    On C{--realm memory}.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)

    def write(self, name, data):
        """
        See L{CutResumeMixin.write}.
        """
        opened = self.successResultOf(
            self.realm.shell.openForWriting((name,)))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.close())

    def read(self, name="f"):
        """
        See L{CutResumeMixin.read}.
        """
        opened = self.successResultOf(self.realm.shell.openForReading(
            (name,)))
        try:
            return self.successResultOf(opened.readAt(0, opened.size))
        finally:
            opened.close()

    def names(self):
        """
        See L{CutResumeMixin.names}.
        """
        return sorted(self.successResultOf(self.realm.shell.listNames(())))


class FsspecMemoryTests(MemoryMixin, CutResumeMixin, unittest.TestCase):
    """
    On C{fsspec:memory://}.
    """

    def names(self):
        """
        See L{CutResumeMixin.names}.
        """
        return sorted(os.path.basename(path) for path in
                      self.fs.ls(self.where, detail=False))


class FsspecLocalTests(LocalMixin, CutResumeMixin, unittest.TestCase):
    """
    On C{fsspec:file://}.
    """


class FsspecSFTPTests(CutResumeMixin, unittest.TestCase):
    """
    On C{fsspec:sftp://}, through an OpenSSH server on loopback.
    """

    timeout = 180

    def makeRealm(self):
        """
        @return: the fsspec realm of the root through SFTP.
        """
        options = tap.Options()
        options.parseOptions(["--realm", "fsspec:" + sftpURL(self.root)])
        realm = options["realmObject"]
        closeAtEnd(self, realm)
        return realm


class S3RefusedTests(S3ServerMixin, unittest.TestCase):
    """
    On C{fsspec:s3://} (moto), which cannot keep a cut upload: its
    resume is refused (C{502}, the reply saying why), and the old object
    stays.
    """

    async def test_resumeRefused(self):
        """
        After a cut C{STOR}, C{SIZE} answers the old object's size, and
        C{REST} + C{STOR} or C{APPE} from there gets C{502}, not C{226}:
        the object is the old one.
        """
        def session():
            client = self.ftp()
            client.storbinary("STOR f", io.BytesIO(OLD))
            cut, ftp = loginAndCut(self, self.server.port)
            kept = ftp.size("f")
            replies = []
            for rest, command in ((kept, "STOR f"), (None, "APPE f")):
                try:
                    ftp.storbinary(command, io.BytesIO(NEW[kept:]), rest=rest)
                    replies.append("226")
                except ftplib.Error as e:
                    replies.append(str(e))
            ftp.quit()
            client.quit()
            return cut, kept, replies

        cut, kept, replies = await self.inThread(session)
        self.assertEqual(cut, "426")
        self.assertEqual(kept, len(OLD))
        self.assertEqual(replies, ["502 " + RESUME_REFUSED,
                                   "502 " + APPEND_REFUSED])
        self.assertEqual(self.fs.cat_file(self.key("f")), OLD)
