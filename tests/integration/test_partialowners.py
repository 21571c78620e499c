"""
A cut upload's partial upload belongs to whoever it was cut for
(L{ftpkit.shells.partialowners}), with real clients, in one process and
under C{--workers 2}, in the clear and under explicit FTPS: the uploader
resumes it (curl's C{-C - -T}, lftp's C{put -c}), and everyone else sees
the file itself, so that another user's download resumed meanwhile
(curl's C{-C -}, which asks C{SIZE}) gets the whole file. C{SIZE}
answered the partial upload's size to everyone: curl stopped there,
short, and said it had succeeded.
"""

import ftplib
import io
import os
import subprocess
import time

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.shells import uploads
from tests.clientprograms import CURL, LFTP
from tests.cutuploads import killedUpload
from tests.scratch import readLocal, scratchDirectory, writeLocal
from tests.serverprocess import ServerProcess, startServing
from tests.tlssupport import Certificates

OLD = 3 << 20
"""The size of the file a cut upload would have replaced."""

KEPT = 1 << 20
"""The bytes of the cut upload that reach the server."""


def received(root):
    """
    @param root: the served directory, C{bytes}.
    @return: the bytes the temporary files of uploads under way there
        (replacing files: any process's) hold.
    """
    total = 0
    for name in os.listdir(root):
        if name.startswith(uploads.TEMPORARY_PREFIX):
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue
    return total


class PartialOwnersMixin(Certificates):
    """
    The tests; a class below picks the server and the security.

    @cvar workers: the C{--workers} count, or C{None} for one process.
    @cvar tls: whether the clients use explicit FTPS.
    """

    workers = None
    tls = False

    def setUp(self):
        if CURL is None or LFTP is None:
            raise unittest.SkipTest("curl or lftp is not installed")
        self.makeCertificates()
        self.root = os.fsencode(scratchDirectory(self))
        self.local = scratchDirectory(self)
        self.server = startServing(
            self, ["--root", self.root, "--auth", "memory:alice:secret:bob:pw",
                   "--tls-cert", self.both], self.workers)
        self.old = os.urandom(OLD)
        self.new = os.urandom(OLD + 12345)
        writeLocal(os.path.join(self.root, b"big.bin"), self.old)
        return threads.deferToThread(self.cut)

    def cut(self):
        """
        Cut alice's upload of C{big.bin} after L{KEPT} bytes, and wait
        for the server to keep them.
        """
        killedUpload(self.server.port, "big.bin", self.new[:KEPT],
                     lambda: received(self.root))
        partial = os.path.join(self.root, b".ftpkit-partial.big.bin")
        deadline = time.monotonic() + 30
        while not os.path.exists(partial):
            if time.monotonic() > deadline:
                self.fail("no partial upload: %r" % (os.listdir(self.root),))
            time.sleep(0.02)

    def url(self, user):
        """
        @param user: C{"alice:secret"} or C{"bob:pw"}.
        @return: the URL of C{big.bin} for that user.
        """
        return "ftp://%s@127.0.0.1:%d/big.bin" % (user, self.server.port)

    def curl(self, *args):
        """
        Run curl (under explicit FTPS if L{tls}).

        @return: the C{CompletedProcess}.
        """
        tls = ["--ssl-reqd", "-k"] if self.tls else []
        return subprocess.run([CURL, "-sS", "--max-time", "60", *tls, *args],
                              capture_output=True, timeout=90)

    def lftp(self, user, command):
        """
        Run lftp (under explicit FTPS if L{tls}) as C{user}.

        @return: the C{CompletedProcess}.
        """
        tls = ("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
               "set ssl:verify-certificate no; " if self.tls else
               "set ftp:ssl-allow no; ")
        return subprocess.run(
            [LFTP, "-c", "set net:max-retries 1; set cmd:fail-exit yes; "
             + tls + "open -u %s 127.0.0.1 -p %d; %s"
             % (user.replace(":", ","), self.server.port, command)],
            capture_output=True, timeout=90)

    def sizes(self):
        """
        @return: C{SIZE big.bin} as alice and as bob.
        """
        answers = []
        for user, password in (("alice", "secret"), ("bob", "pw")):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=30)
            ftp.login(user, password)
            ftp.voidcmd("TYPE I")
            answers.append(ftp.size("big.bin"))
            ftp.quit()
        return answers

    async def test_othersSeeTheFile(self):
        """
        Only alice's C{SIZE} answers her cut upload's size; bob's curl,
        resuming a download of the file meanwhile with C{-C -}, gets all
        of it (it stopped at the cut upload's size, exit status 0), and
        so does lftp's C{get -c}.
        """
        self.assertEqual(await threads.deferToThread(self.sizes),
                         [KEPT, OLD])
        copy = os.path.join(self.local, "copy.bin")
        writeLocal(copy, self.old[:KEPT // 2])
        done = await threads.deferToThread(
            self.curl, "-C", "-", "-o", copy, self.url("bob:pw"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(readLocal(copy), self.old)
        again = os.path.join(self.local, "again.bin")
        writeLocal(again, self.old[:KEPT // 2])
        done = await threads.deferToThread(
            self.lftp, "bob:pw", "get -c big.bin -o " + again)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(readLocal(again), self.old)

    async def test_curlResumesUpload(self):
        """
        alice's curl C{-C - -T} continues her cut upload (C{SIZE}, then
        C{APPE}), and the file is her new one, whole.
        """
        source = os.path.join(self.local, "new.bin")
        writeLocal(source, self.new)
        done = await threads.deferToThread(
            self.curl, "-C", "-", "-T", source, self.url("alice:secret"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(readLocal(os.path.join(self.root, b"big.bin")),
                         self.new)
        self.assertEqual(os.listdir(self.root), [b"big.bin"])

    async def test_lftpResumesUpload(self):
        """
        alice's lftp C{put -c} continues her cut upload (C{SIZE}, C{REST},
        C{STOR}).
        """
        source = os.path.join(self.local, "new.bin")
        writeLocal(source, self.new)
        done = await threads.deferToThread(
            self.lftp, "alice:secret", "put -c %s -o big.bin" % (source,))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(readLocal(os.path.join(self.root, b"big.bin")),
                         self.new)


class SingleClearTests(PartialOwnersMixin, unittest.TestCase):
    """
    One process, plain FTP.
    """


class SingleProtectedTests(PartialOwnersMixin, unittest.TestCase):
    """
    One process, explicit FTPS.
    """

    tls = True


class WorkersClearTests(PartialOwnersMixin, unittest.TestCase):
    """
    C{--workers 2}, plain FTP: the cut upload's owner is on the disk,
    seen by the worker each client reaches.
    """

    workers = 2


class WorkersProtectedTests(PartialOwnersMixin, unittest.TestCase):
    """
    C{--workers 2}, explicit FTPS.
    """

    workers = 2
    tls = True


class CrashTests(unittest.TestCase):
    """
    An upload cut by a crash of the server (C{kill -9}, which records
    nothing at the cut) is its uploader's all the same: the owner is
    recorded when the upload starts. It was anyone's: bob's C{SIZE}
    answered alice's bytes, and his resume continued them.
    """

    def start(self):
        """
        Start the server on C{self.root}, alice and bob its users.

        @return: the L{ServerProcess}.
        """
        server = ServerProcess(self, ["--root", self.root, "--auth",
                                      "memory:alice:secret:bob:pw"])
        server.waitForGreeting()
        return server

    def login(self, server, user, password):
        """
        @return: an C{ftplib.FTP} logged in as C{user}, in C{TYPE I}.
        """
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.login(user, password)
        ftp.voidcmd("TYPE I")
        return ftp

    def test_killedMidUpload(self):
        """
        alice's upload over C{big.bin}, cut by C{SIGKILL}: after a
        restart bob sees the old file (C{SIZE}), and his C{REST} +
        C{STOR} writes into it; alice's C{SIZE} answers her bytes and
        her C{REST} + C{STOR} completes her file.
        """
        self.root = os.fsencode(scratchDirectory(self))
        old, new = b"o" * OLD, os.urandom(OLD + 100)
        target = os.path.join(self.root, b"big.bin")
        writeLocal(target, old)
        server = self.start()
        ftp = self.login(server, "alice", "secret")
        data = ftp.transfercmd("STOR big.bin")
        data.sendall(new[:KEPT])
        server.waitFor(lambda: received(self.root) >= KEPT,
                       "the upload's bytes on disk")
        server.process.kill()
        server.process.wait(60)
        data.close()
        server = self.start()
        partial = os.path.join(self.root, b".ftpkit-partial.big.bin")
        server.waitFor(lambda: os.path.exists(partial), "the sweep")
        bob = self.login(server, "bob", "pw")
        self.assertEqual(bob.size("big.bin"), OLD)
        alice = self.login(server, "alice", "secret")
        self.assertEqual(alice.size("big.bin"), KEPT)
        alice.storbinary("STOR big.bin", io.BytesIO(new[KEPT:]), rest=KEPT)
        self.assertEqual(readLocal(target), new)
        self.assertEqual(os.listdir(self.root), [b"big.bin"])
