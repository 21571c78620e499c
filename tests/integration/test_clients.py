"""
Integration tests: a real server on 127.0.0.1 driven by curl and lftp.
"""

import hashlib
import os

from twisted.internet import reactor, task, utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from tests.clientprograms import CURL, LFTP
from tests.clienttrees import makeTree, sha256, treeDigest
from tests.ipv6 import hasIPv6


class ClientTestMixin(LoopbackServerMixin):
    """
    A filesystem-backed server with a file in it, and a scratch directory.
    """

    timeout = 120

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        self.local = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        os.makedirs(self.local)
        self.payload = os.urandom(3 * 1024 * 1024 + 5)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.payload)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0.01))
        self.url = "ftp://127.0.0.1:%d/" % self.server.port


class CurlTests(ClientTestMixin, unittest.TestCase):
    """
    curl as a client: it uses EPSV, SIZE, REST, APPE and -Q commands.
    """

    if CURL is None:
        skip = "curl is not installed"

    def curl(self, *args, user="alice:secret"):
        """
        Run curl against the server.

        @return: a Deferred firing with (stdout, stderr, exit code).
        """
        argv = ["-sS", "--max-time", "60"]
        if user:
            argv += ["-u", user]
        return utils.getProcessOutputAndValue(CURL, argv + list(args),
                                              env=os.environ)

    async def test_downloadAndList(self):
        out = os.path.join(self.local, "big.bin")
        stdout, stderr, code = await self.curl("-o", out, self.url + "big.bin")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(out), hashlib.sha256(self.payload).hexdigest())
        stdout, stderr, code = await self.curl(self.url)
        self.assertEqual(code, 0, stderr)
        self.assertIn(b" big.bin", stdout)
        self.assertTrue(stdout.startswith(b"-rw"), stdout)

    async def test_uploadActiveMode(self):
        source = os.path.join(self.local, "up.bin")
        with open(source, "wb") as f:
            f.write(self.payload)
        stdout, stderr, code = await self.curl(
            "-P", "127.0.0.1", "-T", source, self.url + "up.bin")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(os.path.join(self.root, "up.bin")),
                         sha256(source))

    async def test_resumeDownload(self):
        out = os.path.join(self.local, "part.bin")
        with open(out, "wb") as f:
            f.write(self.payload[:1000000])
        stdout, stderr, code = await self.curl(
            "-C", "-", "-o", out, self.url + "big.bin")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(out), hashlib.sha256(self.payload).hexdigest())

    async def test_resumeUpload(self):
        """
        curl resumes an upload with C{SIZE} and C{APPE}; the transfer is
        reported (log, xferlog, metrics, C{--on-upload}) as C{APPE}, not
        as C{STOR}.
        """
        published = []
        self.server.factory.events.subscribe(published.append,
                                             [events.TRANSFER])
        with open(os.path.join(self.root, "part.bin"), "wb") as f:
            f.write(self.payload[:1234567])
        source = os.path.join(self.local, "full.bin")
        with open(source, "wb") as f:
            f.write(self.payload)
        stdout, stderr, code = await self.curl(
            "-C", "-", "-T", source, self.url + "part.bin")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(os.path.join(self.root, "part.bin")),
                         sha256(source))
        self.assertEqual(
            [(e.command, e.path, e.code, e.bytes) for e in published],
            [("APPE", "/part.bin", 226, len(self.payload) - 1234567)])

    async def test_uploadCutByClientTimeout(self):
        """
        curl cut by its own C{--max-time} closes the data connection in
        order, then at once the control connection. Whichever end the
        server sees first, what it reports agrees with what it kept: the
        file whole in place and 226 (the log, the transfer log and
        C{--on-upload}, which runs on 226 only), or a hidden partial
        upload and 426. It used to keep the file in place and report
        426: the session's end, seen while the last batch of the upload
        committed the file, aborted a transfer already complete.
        """
        published = []
        self.server.factory.events.subscribe(published.append,
                                             [events.TRANSFER])
        source = os.path.join(self.local, "slow.bin")
        with open(source, "wb") as f:
            f.write(self.payload * 4)
        stdout, stderr, code = await self.curl(
            "--limit-rate", "1M", "--max-time", "2", "-T", source,
            self.url + "slow.bin")
        self.assertEqual(code, 28, stderr)
        while not published:
            await task.deferLater(reactor, 0.05, lambda: None)
        [event] = published
        kept = os.path.join(self.root, "slow.bin")
        partial = os.path.join(self.root, ".ftpkit-partial.slow.bin")
        if os.path.exists(kept):
            self.assertEqual((event.code, event.bytes),
                             (226, os.path.getsize(kept)))
        else:
            self.assertEqual(event.code, 426)
            self.assertEqual(event.bytes, os.path.getsize(partial))
        self.assertEqual(event.command, "STOR")

    async def test_quoteCommands(self):
        stdout, stderr, code = await self.curl(
            "-Q", "MKD newdir", "-Q", "RNFR big.bin", "-Q", "RNTO moved.bin",
            self.url)
        self.assertEqual(code, 0, stderr)
        self.assertTrue(os.path.isdir(os.path.join(self.root, "newdir")))
        self.assertTrue(os.path.exists(os.path.join(self.root, "moved.bin")))
        stdout, stderr, code = await self.curl(
            "-Q", "DELE moved.bin", "-Q", "RMD newdir", self.url)
        self.assertEqual(code, 0, stderr)
        self.assertEqual(os.listdir(self.root), [])

    async def test_badPassword(self):
        stdout, stderr, code = await self.curl(self.url, user="alice:wrong")
        self.assertEqual(code, 67, stderr)

    async def test_anonymousUploadRefused(self):
        source = os.path.join(self.local, "x.txt")
        with open(source, "wb") as f:
            f.write(b"nope")
        stdout, stderr, code = await self.curl(
            "-T", source, self.url + "x.txt", user="anonymous:a@b")
        self.assertEqual(code, 25, stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "x.txt")))

    async def test_missingFile(self):
        stdout, stderr, code = await self.curl(self.url + "nothere.txt")
        self.assertEqual(code, 78, stderr)


class LftpTests(ClientTestMixin, unittest.TestCase):
    """
    lftp as a client: FEAT, MLSD, mirror in both directions.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def lftp(self, script, user="alice,secret", server=None,
             host="127.0.0.1"):
        """
        Run an lftp script against the server.

        @param server: the L{LoopbackServer} (C{self.server} if omitted).
        @param host: its address as lftp takes it (C{[::1]} for IPv6).
        @return: a Deferred firing with (stdout, stderr, exit code).
        """
        commands = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                    "set net:max-retries 1; set net:timeout 20; " + script
                    + "; quit")
        port = (server or self.server).port
        return utils.getProcessOutputAndValue(
            LFTP, ["-u", user, "-p", str(port), "-e", commands, host],
            env=os.environ)

    async def test_mirrorBothWays(self):
        upload = os.path.join(self.local, "up")
        makeTree(upload)
        stdout, stderr, code = await self.lftp(
            "mirror -R %s /tree" % upload)
        self.assertEqual(code, 0, stderr)
        self.assertEqual(treeDigest(os.path.join(self.root, "tree")),
                         treeDigest(upload))
        down = os.path.join(self.local, "down")
        stdout, stderr, code = await self.lftp("mirror /tree %s" % down)
        self.assertEqual(code, 0, stderr)
        self.assertEqual(treeDigest(down), treeDigest(upload))
        self.assertEqual(len(treeDigest(down)), 50)

    async def test_getPutRenameDelete(self):
        out = os.path.join(self.local, "got.bin")
        stdout, stderr, code = await self.lftp(
            "get big.bin -o %s; put %s -o copy.bin; mv copy.bin c2.bin; "
            "mkdir sub; rmdir sub; rm big.bin" % (out, out))
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(out), hashlib.sha256(self.payload).hexdigest())
        self.assertEqual(sorted(os.listdir(self.root)), ["c2.bin"])

    async def test_listing(self):
        os.makedirs(os.path.join(self.root, "sub"))
        stdout, stderr, code = await self.lftp("cls -l; cls")
        self.assertEqual(code, 0, stderr)
        self.assertIn(b"big.bin", stdout)
        self.assertIn(b"sub/", stdout)

    async def test_activeModeIPv6(self):
        """
        lftp in active mode on loopback listens on the unspecified address
        and sends C{EPRT |2|::|port|}: the server connects back to it.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0.01),
                                  interface="::1")
        out = os.path.join(self.local, "got.bin")
        stdout, stderr, code = await self.lftp(
            "set ftp:passive-mode off; get big.bin -o %s; put %s -o up.bin"
            % (out, out), server=server, host="[::1]")
        self.assertEqual(code, 0, stderr)
        self.assertEqual(sha256(out), hashlib.sha256(self.payload).hexdigest())
        self.assertEqual(sha256(os.path.join(self.root, "up.bin")),
                         sha256(out))

    async def test_badPassword(self):
        stdout, stderr, code = await self.lftp("ls", user="alice,wrong")
        self.assertNotEqual(code, 0)
        self.assertIn(b"530", stderr)
