"""
Trees of edge entries (empty and one-byte files, files about 64 KiB and
1 MiB long, names with blanks, C{?}, C{#}, C{%}, brackets, glob
characters, NFC and NFD accents, UTF-8, leading dashes, names of 236 and
255 bytes, empty directories) sent up and fetched back by each client
that moves trees or names them awkwardly:

 - lftp's mirrors both ways, then C{mv}, C{rm}, C{mkdir -p} and C{rm -r}:
   through C{--workers 2} over implicit FTPS in active mode (the server
   connects out under TLS), through an implicit FTPS listener on C{::1}
   (C{EPSV}, then C{EPRT}), and in one process on C{::1} under explicit
   FTPS in active mode;
 - Node's basic-ftp C{uploadFromDir} and C{downloadToDir} of the same
   tree (when C{FTPKIT_NODE_MODULES} names its C{node_modules});
 - curl's three C{--ftp-method}s both ways (explicit FTPS on
   C{127.0.0.1}, implicit on C{::1}), C{wget -r} over explicit FTPS,
   ftplib's C{FTP_TLS} over implicit FTPS on C{::1}, and aioftp in clear,
   through C{--workers 2};

each against C{python -m ftpkit} in a child process; and, on the memory
and the disk realm served in this process, lftp C{mirror} both ways,
curl's three C{--ftp-method}s with C{-Q} quote commands, C{wget -r},
ncftpput and ncftpget C{-R}, busybox ftpput and ftpget, aria2c and tnftp.
"""

import asyncio
import ftplib
import io
import os
import shutil
import subprocess
import unicodedata
import urllib.parse
from urllib.parse import quote

from twisted.trial import unittest

from tests.clientmatrix import (
    CURL,
    LFTP,
    LFTP_MIRROR_SETTINGS,
    ClientServerMixin,
    EndpointServerMixin,
    machineNames,
    run,
    writeEdgeFiles,
)
from tests.clienttrees import readFile, treeDigest
from tests.ipv6 import hasIPv6
from tests.realmsweeps import (
    DiskRealmMixin,
    MemoryRealmMixin,
    RealmSweepMixin,
    curlOptions,
    lftpSettings,
    runClient,
)
from tests.scratch import scratchDirectory
from tests.tlssupport import skipUnlessBinary

try:
    import aioftp
except ImportError:  # pragma: no cover (aioftp is in the dev extra)
    aioftp = None

WGET = shutil.which("wget")
NODE = shutil.which("node")

MIRROR_FILES = {
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
"""The mirrored edge tree's files, by path, and their sizes."""

MIRROR_DIRECTORIES = ("emptydir", "emptydir2/empty sub")
"""The mirrored edge tree's empty directories."""


def writeMirrorTree(top):
    """
    Write the edge tree (L{MIRROR_FILES}, L{MIRROR_DIRECTORIES}) under C{top}.
    """
    for name, size in MIRROR_FILES.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
    for name in MIRROR_DIRECTORIES:
        os.makedirs(os.path.join(top, name))


class EdgeMirrorTests(EndpointServerMixin, unittest.TestCase):
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
            writeMirrorTree(tree)
        back = os.path.join(self.local, "back-" + name)
        run(self, [LFTP, "-u", "alice,secret", "-e",
                   LFTP_MIRROR_SETTINGS + settings
                   + "mirror -R %s /%s; mirror /%s %s; "
                   "mv '/%s/one.bin' '/%s/one [1] #.bin'; "
                   "rm '/%s/-dash.txt'; mkdir -p '/%s/new/%% d/\u00fc'; quit"
                   % (tree, name, name, back, name, name, name, name), url])
        self.assertEqual(treeDigest(back), treeDigest(tree))
        for directory in MIRROR_DIRECTORIES:
            self.assertTrue(os.path.isdir(os.path.join(back, directory)),
                            directory)
        served = os.path.join(self.root, name)
        self.assertEqual(readFile(os.path.join(served, "one [1] #.bin")),
                         readFile(os.path.join(tree, "one.bin")))
        self.assertFalse(os.path.exists(os.path.join(served, "one.bin")))
        self.assertFalse(os.path.exists(os.path.join(served, "-dash.txt")))
        self.assertTrue(os.path.isdir(os.path.join(served, "new/% d/\u00fc")))
        run(self, [LFTP, "-u", "alice,secret", "-e",
                   LFTP_MIRROR_SETTINGS + settings
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


class BasicFtpTreeTests(EndpointServerMixin, unittest.TestCase):
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
        EndpointServerMixin.setUp(self)
        self.tree = os.path.join(self.local, "tree")
        writeMirrorTree(self.tree)

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
        for directory in MIRROR_DIRECTORIES:
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


class EdgeNamesTests(ClientServerMixin, unittest.TestCase):
    """
    The edge files (L{EDGE_SIZES}) through C{--workers 2}, both ways.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        self.contents = writeEdgeFiles(os.path.join(self.root, "edge"))
        self.serve("--workers", "2")

    def test_curlMethods(self):
        """
        Each C{--ftp-method} downloads every edge file by its URL
        (percent-encoded) and uploads it into a directory of awkward name
        (C{--ftp-create-dirs}; curl's C{singlecwd} makes one level, so its
        parent is there first, and C{nocwd} makes none): under explicit
        FTPS on C{127.0.0.1}, then over implicit FTPS on C{::1}.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        source = os.path.join(self.local, "source")
        got = os.path.join(self.local, "got")
        cells = [(False, "explicit", ["--ssl-reqd"])]
        if self.implicitPort is not None:
            cells.append((True, "implicit", []))
        for implicit, security, options in cells:
            for method in ("nocwd", "singlecwd", "multicwd"):
                directory = "%s-%s/\u00fc d#%%" % (security, method)
                if method == "nocwd":
                    os.makedirs(os.path.join(self.root, directory))
                elif method == "singlecwd":
                    os.makedirs(os.path.join(self.root,
                                             os.path.dirname(directory)))
                for name, data in self.contents.items():
                    cell = (security, method, name[:20])
                    self.curl(*options, "--ftp-method", method, "-o", got,
                              "{url}edge/" + quote(name), implicit=implicit)
                    self.assertTrue(readFile(got) == data, cell)
                    with open(source, "wb") as f:
                        f.write(data)
                    self.curl(*options, "--ftp-method", method,
                              "--ftp-create-dirs", "-T", source,
                              "{url}" + quote(directory + "/" + name),
                              implicit=implicit)
                    self.assertTrue(self.served(directory, name) == data,
                                    cell)

    def test_wgetRecursive(self):
        """
        C{wget -r} over explicit FTPS fetches every edge file, and the
        empty directory; wget cuts a local name to 236 bytes.
        """
        if WGET is None:
            raise unittest.SkipTest("wget is not installed")
        run(self, [WGET, "-q", "--tries=1", "--timeout=20", "-r", "-nH",
                   "--ftp-user=alice", "--ftp-password=secret",
                   "--no-check-certificate",
                   "ftps://127.0.0.1:%d/edge/" % self.port], cwd=self.local)
        for name, data in self.contents.items():
            local = name.encode("utf-8")[:236].decode("utf-8", "ignore")
            self.assertTrue(
                readFile(os.path.join(self.local, "edge", local)) == data,
                name)
        self.assertTrue(os.path.isdir(os.path.join(self.local, "edge",
                                                   "emptydir")))

    def test_ftplibImplicitIPv6(self):
        """
        ftplib's C{FTP_TLS} over implicit FTPS on C{::1}: each edge file
        down and up again, C{NLST} and C{MLSD} naming them all, an empty
        directory listed empty.
        """
        self.needIPv6()
        client = self.ftplib(implicit=True)
        client.mkd("copy")
        for name, data in self.contents.items():
            chunks = []
            client.retrbinary("RETR edge/" + name, chunks.append)
            self.assertTrue(b"".join(chunks) == data, name)
            client.storbinary("STOR copy/" + name, io.BytesIO(data))
            self.assertTrue(self.served("copy", name) == data, name)
        names = set(self.contents) | {"emptydir"}
        self.assertEqual(set(machineNames(client, "edge")), names)
        self.assertEqual(set(client.nlst("edge")),
                         {"edge/" + name for name in names})
        self.assertEqual(machineNames(client, "edge/emptydir"), [])
        self.assertEqual(client.nlst("edge/emptydir"), [])
        client.quit()

    def test_aioftp(self):
        """
        aioftp in clear: each edge file down and up again, and the edge
        directory listed.
        """
        if aioftp is None:
            raise unittest.SkipTest("aioftp is not installed")

        async def roundTrip():
            async with aioftp.Client.context(
                    "127.0.0.1", self.port, "alice", "secret",
                    socket_timeout=30) as client:
                await client.make_directory("copy")
                for name, data in self.contents.items():
                    async with client.download_stream(
                            "edge/" + name) as stream:
                        got = b"".join(
                            [block async for block in stream.iter_by_block()])
                    self.assertTrue(got == data, name)
                    async with client.upload_stream("copy/" + name) as stream:
                        await stream.write(data)
                return {str(path.name) for path, _ in
                        await client.list("edge")}

        listed = asyncio.run(roundTrip())
        self.assertEqual(listed, set(self.contents) | {"emptydir"})
        for name, data in self.contents.items():
            self.assertTrue(self.served("copy", name) == data, name)


TREE = {
    "zero.bin": b"",
    "with space.txt": b"hello\n",
    "-dash.txt": b"dash\n",
    "\u00fcn\u00ef c\u00f6d\u00e9/\u540d\u524d.txt": "\u540d\u524d\n".encode(),
    "sub/--two.bin": bytes(range(256)) * 300,
    "sub/deeper/zero2": b"",
}
"""The files of L{EdgeTreeSweepMixin}'s edge tree, by their path; with
L{EMPTY_DIRECTORIES}."""

EMPTY_DIRECTORIES = ("empty dir", "sub/deeper/emptier")
"""The empty directories of L{EdgeTreeSweepMixin}'s edge tree."""


def writeTree(top):
    """
    Write the edge tree (L{TREE}, L{EMPTY_DIRECTORIES}) under C{top}.
    """
    for name in EMPTY_DIRECTORIES:
        os.makedirs(os.path.join(top, name))
    for name, content in TREE.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)


def treeOf(top):
    """
    @return: every directory (C{None}) and file (its bytes) under C{top},
        by path, sorted.
    """
    found = []
    for directory, names, files in os.walk(top):
        for name in names:
            found.append((os.path.relpath(os.path.join(directory, name),
                                          top), None))
        for name in files:
            with open(os.path.join(directory, name), "rb") as f:
                found.append((os.path.relpath(os.path.join(directory, name),
                                              top), f.read()))
    return sorted(found)


def names(listing):
    """
    @return: the last part of each name of an C{NLST} listing, sorted
        (with C{nocwd} curl lists C{NLST DIR}, whose names start with
        C{DIR/}).
    """
    return sorted(line.rsplit("/", 1)[-1] for line in listing.splitlines())


def binary(name):
    """
    @return: the path of the client C{name} (which is installed).
    """
    return shutil.which(name)


class EdgeTreeSweepMixin(RealmSweepMixin):
    """
    The edge tree (L{TREE}, L{EMPTY_DIRECTORIES}) through each client.
    """

    def test_lftpMirrorEdgeTree(self):
        """
        lftp C{mirror -R} of the edge tree, then C{mirror} back: the same
        tree, empty files and directories too.
        """
        lftp = skipUnlessBinary("lftp")
        tree = os.path.join(self.local, "tree")
        writeTree(tree)

        def cell(security, family, mode):
            name = "edge-%s-%s-%s" % (security, family, mode)
            back = os.path.join(self.local, name)
            code, out = runClient([lftp, "-e", lftpSettings(security, mode)
                                   + "mirror -R --no-perms %s /%s; "
                                   "mirror /%s %s; bye" % (tree, name, name,
                                                           back),
                                   self.url(security, family)])
            self.assertEqual(code, 0, out)
            self.assertEqual(treeOf(back), treeOf(tree), name)
        return self.cells(cell, [("explicit", "4", "epsv"),
                                 ("implicit", "4", "active"),
                                 ("explicit", "6", "active"),
                                 ("clear", "6", "pasv")])

    def test_curlMethods(self):
        """
        curl's C{--ftp-method multicwd} (with C{--ftp-create-dirs}), then
        C{singlecwd} and C{nocwd}, uploads and downloads each edge file
        under C{a b/}; C{-Q} quote commands before (C{MKD}, C{RNFR},
        C{RNTO} of a name with a space) and after (C{-RMD}) a listing.
        """
        curl = skipUnlessBinary("curl")

        def cell(security, family, mode):
            base = "%s/curl-%s-%s-%s" % (self.url(security, family),
                                         security, family, mode)
            top = urllib.parse.urlsplit(base).path
            options = [curl] + curlOptions(security, mode)
            for method in ("multicwd", "singlecwd", "nocwd"):
                method = ["--ftp-method", method] + (
                    ["--ftp-create-dirs"] if method == "multicwd" else [])
                for name, content in TREE.items():
                    source = os.path.join(self.local, "source")
                    with open(source, "wb") as f:
                        f.write(content)
                    url = base + "/a%20b/" + urllib.parse.quote(name)
                    code, out = runClient(options + method
                                          + ["-T", source, url])
                    self.assertEqual(code, 0, (method, name, out))
                    code, out = runClient(options + method
                                          + ["-o", source, url])
                    self.assertEqual(code, 0, (method, name, out))
                    with open(source, "rb") as f:
                        self.assertEqual(f.read(), content, (method, name))
                code, out = runClient(options + method + [
                          "-Q", "MKD %s/q dir" % (top,),
                          "-Q", "RNFR %s/q dir" % (top,),
                          "-Q", "RNTO %s/q-dir" % (top,),
                          "-Q", "-RMD %s/q-dir" % (top,), "-l", base + "/"])
                self.assertEqual((code, names(out)), (0, ["a b", "q-dir"]),
                                 out)
                code, out = runClient(options + method + ["-l", base + "/"])
                self.assertEqual(names(out), ["a b"], out)
        return self.cells(cell, [("explicit", "4", "epsv"),
                                 ("implicit", "4", "pasv"),
                                 ("clear", "6", "active"),
                                 ("clear", "4", "port")])

    async def test_otherClients(self):
        """
        In clear (these have no FTPS, but wget, also run under explicit
        and implicit TLS): C{wget -r} of the edge tree, ncftpput C{-m -R}
        then ncftpget C{-R} (passive, then C{-E} active), busybox ftpput
        and ftpget of each top-level edge file, aria2c of each edge file
        (passive and active, on ::1 too), tnftp's put and get of a file
        with spaces and one with a leading dash, active and passive.
        """
        tree = os.path.join(self.local, "tree")
        writeTree(tree)
        expected = treeOf(tree)
        found = []

        def wget(options, security):
            into = scratchDirectory(self)
            code, out = runClient([binary("wget"), "-q", "-r", "-nH",
                                   "--no-remove-listing",
                                   "--no-check-certificate"]
                                  + options + [self.url(security, "4").replace(
                                      "ftp:", "ftps:") + "/w/"
                                      if security == "explicit" else
                                      self.url(security, "4") + "/w/"],
                                  cwd=into)
            for directory, _, files in os.walk(into):
                if ".listing" in files:
                    os.remove(os.path.join(directory, ".listing"))
            found.append((("wget",) + tuple(options) + (security,),
                          code, treeOf(os.path.join(into, "w"))))

        def clients():
            ftp = self.client()
            ftp.mkd("/w")
            for name in EMPTY_DIRECTORIES + ("\u00fcn\u00ef c\u00f6d\u00e9",):
                for at in range(1, name.count("/") + 2):
                    try:
                        ftp.mkd("/w/" + "/".join(name.split("/")[:at]))
                    except ftplib.error_perm:
                        pass
            for name, content in TREE.items():
                ftp.storbinary("STOR /w/" + name, io.BytesIO(content))
            ftp.close()
            if shutil.which("wget"):
                wget([], "clear")
                wget(["--no-passive-ftp"], "explicit")
                wget(["--ftps-implicit"], "implicit")
            if shutil.which("ncftpput"):
                into = scratchDirectory(self)
                login = ["-u", "alice", "-p", "secret", "-P",
                         str(self.ports["4"]), "127.0.0.1"]
                code, out = runClient([binary("ncftpput"), "-m", "-R"] + login
                                      + ["/nc", tree])
                self.assertEqual(code, 0, out)
                for active in ([], ["-E"]):
                    back = os.path.join(into, "-".join(active) or "p")
                    os.makedirs(back)
                    code, out = runClient([binary("ncftpget"), "-R"] + active
                                          + login + [back, "/nc/tree"])
                    found.append((("ncftpget",) + tuple(active), code,
                                  treeOf(os.path.join(back, "tree"))))
        await self.inThread(clients)
        for cell, code, tree in found:
            self.assertEqual((code, tree), (0, expected), cell)
        await self.inThread(self.singleFileClients)

    def singleFileClients(self):
        """
        busybox, aria2c and tnftp on the edge files (see
        L{test_otherClients}); blocking.
        """
        port = str(self.ports["4"])
        tops = [name for name in TREE if "/" not in name]
        if shutil.which("busybox"):
            for name in tops:
                source = os.path.join(self.local, "bb-source")
                with open(source, "wb") as f:
                    f.write(TREE[name])
                login = ["-u", "alice", "-p", "secret", "-P", port,
                         "127.0.0.1"]
                code, out = runClient([binary("busybox"), "ftpput"] + login
                                      + ["bb" + name, source])
                self.assertEqual(code, 0, (name, out))
                code, out = runClient([binary("busybox"), "ftpget"] + login
                                      + [source, "bb" + name])
                self.assertEqual(code, 0, (name, out))
                with open(source, "rb") as f:
                    self.assertEqual(f.read(), TREE[name], name)
        if shutil.which("aria2c"):
            for family in ("4", "6"):
                for passive in ("true", "false"):
                    for name, content in TREE.items():
                        into = scratchDirectory(self)
                        code, out = runClient([
                                  binary("aria2c"), "-q", "-d", into,
                                  "--ftp-pasv=" + passive,
                                  self.url("clear", family) + "/w/"
                                  + urllib.parse.quote(name)])
                        self.assertEqual(code, 0, (name, out))
                        with open(os.path.join(
                                into, os.path.basename(name)), "rb") as f:
                            self.assertEqual(f.read(), content,
                                             (family, passive, name))
        if shutil.which("tnftp"):
            into = scratchDirectory(self)
            script = "user alice secret\nbinary\nmkdir \"tn dir\"\n" \
                     "cd \"tn dir\"\n"
            for passive in ("on", "off"):
                script += "passive %s\n" % (passive,)
                for name in ("with space.txt", "-dash.txt", "zero.bin"):
                    script += ("put \"%s\" \"./%s%s\"\n"
                               "get \"./%s%s\" \"%s%s\"\n" % (
                                   os.path.join(self.local, "tree", name),
                                   passive, name, passive, name, passive,
                                   name))
            done = subprocess.run([binary("tnftp"), "-n", "127.0.0.1", port],
                                  input=script.encode(), capture_output=True,
                                  timeout=120, cwd=into)
            for passive in ("on", "off"):
                for name in ("with space.txt", "-dash.txt", "zero.bin"):
                    with open(os.path.join(into, passive + name), "rb") as f:
                        self.assertEqual(f.read(), TREE[name],
                                         (passive, name, done.stdout))


class MemoryRealmEdgeTreeTests(MemoryRealmMixin, EdgeTreeSweepMixin,
                               unittest.TestCase):
    """
    On C{--realm memory}.
    """


class DiskRealmEdgeTreeTests(DiskRealmMixin, EdgeTreeSweepMixin,
                             unittest.TestCase):
    """
    On the disk realm.
    """
