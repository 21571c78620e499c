"""
Cells of the twentieth client sweep's matrix that the other client tests
leave out, each against C{python -m ftpkit} in a child process:

 - lftp's mirrors both ways of a tree of edge entries (empty and one-byte
   files, files of 64 KiB less one, exactly and one more, and of 1 MiB,
   names with spaces, NFC and NFD accents, leading dashes, C{#}, C{%},
   brackets, glob characters, a 240-character name, empty directories),
   then C{mv}, C{rm}, C{mkdir -p} and C{rm -r}: through C{--workers 2}
   over implicit FTPS in active mode (the server connects out under TLS),
   through an implicit FTPS listener on C{::1} (C{EPSV}, then C{EPRT}),
   and in one process on C{::1} under explicit FTPS in active mode;
 - clients killed (C{SIGKILL}) in the middle of a transfer over implicit
   FTPS through C{--workers 2}, then resuming it in a new session: curl's
   C{-C -} both ways, lftp's C{get -c} and C{put -c}, wget's C{-c};
 - Node's basic-ftp C{uploadFromDir} and C{downloadToDir} of the same
   tree (when C{FTPKIT_NODE_MODULES} names its C{node_modules}).
"""

import os
import shutil
import signal
import subprocess
import time
import unicodedata

from twisted.trial import unittest

from tests.integration.test_client_threshold import readFile
from tests.integration.test_clients import treeDigest
from tests.tlssupport import hasIPv6, makeCertificate

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
WGET = shutil.which("wget")
NODE = shutil.which("node")

LFTP_SETTINGS = ("set cmd:fail-exit yes; set net:max-retries 1; "
                 "set net:timeout 20; set ssl:verify-certificate no; "
                 "set mirror:set-permissions no; ")
"""Settings every lftp run here starts with."""

EDGE_FILES = {
    "empty.bin": 0,
    "one.bin": 1,
    "k64 less one.bin": (64 << 10) - 1,
    "k64.bin": 64 << 10,
    "k64 plus one.bin": (64 << 10) + 1,
    "m1.bin": 1 << 20,
    unicodedata.normalize("NFC", "caf\u00e9 nfc.txt"): 4,
    unicodedata.normalize("NFD", "caf\u00e9 nfd.txt"): 5,
    "-dash.txt": 6,
    "--double dash.txt": 7,
    "#hash.txt": 8,
    "100%.txt": 9,
    "%41.txt": 10,
    "[br]ack.txt": 11,
    "a[1-2] q? star*.txt": 12,
    "semi;colon 'quote'.txt": 13,
    "L" * 236 + ".txt": 14,
    "sub dir/\u00fc/deep.txt": 15,
}
"""The edge tree's files, by path, and their sizes."""

EDGE_DIRECTORIES = ("emptydir", "emptydir2/empty sub")
"""The edge tree's empty directories."""


def writeEdgeTree(top):
    """
    Write the edge tree (L{EDGE_FILES}, L{EDGE_DIRECTORIES}) under C{top}.
    """
    for name, size in EDGE_FILES.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
    for name in EDGE_DIRECTORIES:
        os.makedirs(os.path.join(top, name))


def run(testCase, args, cwd=None):
    """
    Run a client, which must exit with status 0 within two minutes.

    @return: its standard output.
    """
    done = subprocess.run(args, cwd=cwd, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    testCase.assertEqual(done.returncode, 0, (args, done.stdout, done.stderr))
    return done.stdout


class ServerMixin:
    """
    Starts C{python -m ftpkit} on a scratch root, alice's, with a
    certificate.
    """

    timeout = 300

    def setUp(self):
        from tests.serverprocess import ServerProcess
        self.serverProcess = ServerProcess
        self.root = os.path.abspath(self.mktemp())
        self.local = os.path.abspath(self.mktemp())
        certs = os.path.abspath(self.mktemp())
        for directory in (self.root, self.local, certs):
            os.makedirs(directory)
        self.cert, self.key, _ = makeCertificate(certs)

    def serve(self, listener, *options, host="127.0.0.1"):
        """
        Start a server listening on one endpoint, and wait until it (and
        each worker) is ready.

        @param listener: the C{--listen} endpoint, with C{{port}} and
            C{{tls}} (the certificate's options) to fill in.
        @return: its L{tests.serverprocess.ServerProcess}.
        """
        tls = "privateKey=%s:certKey=%s" % (self.key, self.cert)
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.cert, "--tls-key", self.key,
                   *options],
            listen=lambda port: ["--listen",
                                 listener.format(port=port, tls=tls)],
            host=host)
        server.waitForLog("ftpkit listening on")
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        return server


class EdgeMirrorTests(ServerMixin, unittest.TestCase):
    """
    lftp's mirrors of the edge tree both ways, and its changes to it.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def mirror(self, url, settings, name):
        """
        Mirror the edge tree up to C{/NAME} and back, then rename, delete
        and make directories in it and remove it.
        """
        tree = os.path.join(self.local, "tree")
        if not os.path.isdir(tree):
            writeEdgeTree(tree)
        back = os.path.join(self.local, "back-" + name)
        run(self, [LFTP, "-u", "alice,secret", "-e", LFTP_SETTINGS + settings
                   + "mirror -R %s /%s; mirror /%s %s; "
                   "mv '/%s/one.bin' '/%s/one [1] #.bin'; "
                   "rm '/%s/-dash.txt'; mkdir -p '/%s/new/%% d/\u00fc'; quit"
                   % (tree, name, name, back, name, name, name, name), url])
        self.assertEqual(treeDigest(back), treeDigest(tree))
        for directory in EDGE_DIRECTORIES:
            self.assertTrue(os.path.isdir(os.path.join(back, directory)),
                            directory)
        served = os.path.join(self.root, name)
        self.assertEqual(readFile(os.path.join(served, "one [1] #.bin")),
                         readFile(os.path.join(tree, "one.bin")))
        self.assertFalse(os.path.exists(os.path.join(served, "one.bin")))
        self.assertFalse(os.path.exists(os.path.join(served, "-dash.txt")))
        self.assertTrue(os.path.isdir(os.path.join(served, "new/% d/\u00fc")))
        run(self, [LFTP, "-u", "alice,secret", "-e", LFTP_SETTINGS + settings
                   + "rm -r /%s; quit" % (name,), url])
        self.assertFalse(os.path.exists(served))

    def test_implicitActiveWorkers(self):
        """
        Through C{--workers 2} over implicit FTPS, in active mode.
        """
        server = self.serve("ssl:{port}:interface=127.0.0.1:{tls}",
                            "--workers", "2")
        self.mirror("ftps://127.0.0.1:%d" % server.port,
                    "set ftp:passive-mode no; ", "active")

    def test_implicitIPv6Workers(self):
        """
        Through C{--workers 2} over implicit FTPS on C{::1}: C{EPSV}, then
        C{EPRT}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.serve("ssl:{port}:interface=\\:\\:1:{tls}",
                            "--workers", "2", host="::1")
        url = "ftps://[::1]:%d" % server.port
        self.mirror(url, "set ftp:passive-mode yes; ", "passive")
        self.mirror(url, "set ftp:passive-mode no; ", "active")

    def test_explicitIPv6Active(self):
        """
        In one process on C{::1} under explicit FTPS (C{AUTH TLS}, C{PROT
        P}), in active mode: C{EPRT}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.serve("tcp6:{port}:interface=\\:\\:1", host="::1")
        self.mirror("ftp://[::1]:%d" % server.port,
                    "set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
                    "set ftp:passive-mode no; ", "explicit")


def killOnceUnder(testCase, args, grown, cwd=None):
    """
    Start a client and kill it (C{SIGKILL}) once its transfer is under way.

    @param grown: called with no argument, it tells whether the transfer
        has moved bytes yet.
    """
    client = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while not grown():
            testCase.assertIsNone(client.poll(), (args, "ended first"))
            testCase.assertLess(time.monotonic(), deadline, args)
            time.sleep(0.02)
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait()


def sizeOf(path):
    """
    @return: the size of C{path}, 0 where there is no such file.
    """
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class CutResumeTests(ServerMixin, unittest.TestCase):
    """
    Clients killed mid-transfer over implicit FTPS through C{--workers 2},
    then resuming in a new session (which the acceptor may hand to the
    other worker). The server's rates are limited so that each transfer
    lasts a few seconds.
    """

    if CURL is None or LFTP is None or WGET is None:
        skip = "curl, lftp or wget is not installed"

    SIZE = 900 * 1000
    """Bytes in each file moved."""

    def setUp(self):
        ServerMixin.setUp(self)
        self.data = os.urandom(self.SIZE)
        self.source = os.path.join(self.local, "source.bin")
        with open(self.source, "wb") as f:
            f.write(self.data)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.data)
        server = self.serve("ssl:{port}:interface=127.0.0.1:{tls}",
                            "--workers", "2", "--max-download-rate", "300K",
                            "--max-upload-rate", "300K")
        self.url = "ftps://127.0.0.1:%d/" % (server.port,)

    def lftp(self, command):
        """
        @return: lftp's arguments to run C{command} as alice.
        """
        return [LFTP, "-u", "alice,secret", "-e",
                LFTP_SETTINGS + command + "; quit", self.url]

    def cutUpload(self, args, name):
        """
        Kill an upload replacing C{name} once its first bytes are in, and
        wait until the server has kept them as its partial upload.
        """
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(b"old")
        def started():
            return any(entry.startswith(".ftpkit-upload.")
                       and sizeOf(os.path.join(self.root, entry))
                       for entry in os.listdir(self.root))
        killOnceUnder(self, args, started)
        partial = os.path.join(self.root, ".ftpkit-partial." + name)
        deadline = time.monotonic() + 30
        while not (0 < sizeOf(partial) < self.SIZE):
            self.assertLess(time.monotonic(), deadline, os.listdir(self.root))
            time.sleep(0.05)

    def test_downloads(self):
        """
        curl's C{-C -}, lftp's C{get -c} and wget's C{-c} complete a
        download killed part of the way.
        """
        for name, cut, resume, cwd in (
                ("curl.bin",
                 [CURL, "-sS", "-k", "-u", "alice:secret", "-o", "curl.bin",
                  self.url + "big.bin"],
                 [CURL, "-sS", "-k", "-u", "alice:secret", "-C", "-", "-o",
                  "curl.bin", self.url + "big.bin"], None),
                ("lftp.bin", self.lftp("get big.bin -o lftp.bin"),
                 self.lftp("get -c big.bin -o lftp.bin"), None),
                ("big.bin",
                 [WGET, "-q", "--no-check-certificate", "--ftps-implicit",
                  "--ftp-user=alice", "--ftp-password=secret",
                  self.url + "big.bin"],
                 [WGET, "-q", "-c", "--no-check-certificate",
                  "--ftps-implicit", "--ftp-user=alice",
                  "--ftp-password=secret", self.url + "big.bin"],
                 "wget")):
            directory = os.path.join(self.local, cwd or "")
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, name)
            killOnceUnder(self, cut, lambda path=path: sizeOf(path) > 0,
                          cwd=directory)
            self.assertLess(sizeOf(path), self.SIZE, name)
            run(self, resume, cwd=directory)
            self.assertTrue(readFile(path) == self.data, name)

    def test_uploads(self):
        """
        curl's C{-C -} and lftp's C{put -c} complete an upload killed part
        of the way: the file it replaces stays until then.
        """
        for name, cut, resume in (
                ("curl.bin",
                 [CURL, "-sS", "-k", "-u", "alice:secret", "-T", self.source,
                  self.url + "curl.bin"],
                 [CURL, "-sS", "-k", "-u", "alice:secret", "-C", "-", "-T",
                  self.source, self.url + "curl.bin"]),
                ("lftp.bin", self.lftp("put %s -o lftp.bin" % self.source),
                 self.lftp("put -c %s -o lftp.bin" % self.source))):
            self.cutUpload(cut, name)
            self.assertEqual(readFile(os.path.join(self.root, name)), b"old")
            run(self, resume)
            self.assertTrue(
                readFile(os.path.join(self.root, name)) == self.data, name)


class BasicFtpTreeTests(ServerMixin, unittest.TestCase):
    """
    Node's basic-ftp sends the edge tree up and fetches it back over
    implicit FTPS through C{--workers 2}, and on C{::1} under explicit
    FTPS in one process.
    """

    def setUp(self):
        from tests.integration.test_node_basicftp import nodeModules
        self.modules = nodeModules()
        if NODE is None or self.modules is None:
            raise unittest.SkipTest(
                "node or basic-ftp is not installed (FTPKIT_NODE_MODULES)")
        ServerMixin.setUp(self)
        self.tree = os.path.join(self.local, "tree")
        writeEdgeTree(self.tree)

    def roundTrip(self, host, port, security, name):
        """
        Send the tree to C{/NAME} and fetch it back.
        """
        back = os.path.join(self.local, name)
        out = run(self, [
            "env", "NODE_PATH=" + self.modules, NODE,
            os.path.join(os.path.dirname(os.path.dirname(__file__)),
                         "clients", "basicftp_tree.js"),
            host, str(port), security, "/" + name, self.tree, back])
        self.assertEqual(out, b"done\n")
        self.assertEqual(treeDigest(os.path.join(self.root, name)),
                         treeDigest(self.tree))
        self.assertEqual(treeDigest(back), treeDigest(self.tree))
        for directory in EDGE_DIRECTORIES:
            self.assertTrue(os.path.isdir(os.path.join(back, directory)),
                            directory)

    def test_implicitWorkers(self):
        """
        Over implicit FTPS through C{--workers 2} (C{EPSV}).
        """
        server = self.serve("ssl:{port}:interface=127.0.0.1:{tls}",
                            "--workers", "2")
        self.roundTrip("127.0.0.1", server.port, "implicit", "implicit")

    def test_explicitIPv6(self):
        """
        On C{::1} under explicit FTPS, in one process.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.serve("tcp6:{port}:interface=\\:\\:1", host="::1")
        self.roundTrip("::1", server.port, "explicit", "explicit")
