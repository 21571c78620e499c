"""
curl, wget and lftp in the ways scripts drive them: curl's CWD methods and
data connection options, IPv6, odd names and empty files; wget's single and
recursive downloads; lftp's segmented download (pget), resumed mirrors,
LIST without MLSD and ASCII transfers.
"""

import hashlib
import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from tests.clienttrees import makeTree, sha256, treeDigest
from tests.integration.test_clients import ClientTestMixin
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory

CURL = shutil.which("curl")
WGET = shutil.which("wget")
LFTP = shutil.which("lftp")

OLD = 1551675967
"""2019-03-04 05:06:07 UTC."""

UNICODE_DIR = "\u00fcn\u00ef c\u00f8d\u00e9"
UNICODE_FILE = "f\u00efl\u00e9 \u20ac.txt"


def quoteURL(text):
    """
    @return: C{text} percent-encoded for an FTP URL path (UTF-8).
    """
    from urllib.parse import quote
    return quote(text, safe="/")


class EdgeTreeMixin(ClientTestMixin):
    """
    Adds odd entries to the served tree: a deep file, spaces, unicode, a
    leading dash, an empty file and directory, an old file.
    """

    def setUp(self):
        ClientTestMixin.setUp(self)
        entries = {
            "a/b/c/leaf.bin": b"leaf" * 1000,
            "dir with space/file with space.txt": b"spaces\n",
            UNICODE_DIR + "/" + UNICODE_FILE: b"unicode\n",
            "-dash.txt": b"dash\n",
            "empty.txt": b"",
            "old.txt": b"old\n",
            "text.txt": b"one\ntwo\nthree\n",
        }
        for name, data in entries.items():
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        os.utime(os.path.join(self.root, "old.txt"), (OLD, OLD))
        os.makedirs(os.path.join(self.root, "emptydir"))

    def served(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()


class CurlMatrixTests(EdgeTreeMixin, unittest.TestCase):
    """
    curl with its CWD methods, data connection options and odd names.
    """

    if CURL is None:
        skip = "curl is not installed"

    async def curl(self, *args, url=None):
        """
        Run curl, which must succeed.

        @return: its standard output.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "30", "-u", "alice:secret", *args],
            env=os.environ)
        self.assertEqual(code, 0, (args, err))
        return out

    async def test_cwdMethods(self):
        """
        Every C{--ftp-method} downloads from and uploads into a nested
        directory; C{--ftp-create-dirs} makes missing ones (multicwd: a
        whole path; singlecwd: one level, as curl sends C{MKD a/b/c}
        whole).
        """
        for method in ("nocwd", "singlecwd", "multicwd"):
            got = await self.curl("--ftp-method", method,
                                  self.url + "a/b/c/leaf.bin")
            self.assertEqual(got, b"leaf" * 1000, method)
            source = os.path.join(self.local, "up.txt")
            with open(source, "wb") as f:
                f.write(method.encode())
            await self.curl("--ftp-method", method, "-T", source,
                            self.url + "a/b/c/%s.txt" % method)
            self.assertEqual(self.served("a/b/c/%s.txt" % method),
                             method.encode())
        await self.curl("--ftp-method", "multicwd", "--ftp-create-dirs",
                        "-T", source, self.url + "new/x/y/z.txt")
        await self.curl("--ftp-method", "singlecwd", "--ftp-create-dirs",
                        "-T", source, self.url + "single/z.txt")
        self.assertEqual(self.served("new/x/y/z.txt"), b"multicwd")
        self.assertEqual(self.served("single/z.txt"), b"multicwd")

    async def test_dataConnections(self):
        """
        EPSV, PASV, EPRT and PORT all carry a download and an upload.
        """
        digest = hashlib.sha256(self.payload).hexdigest()
        source = os.path.join(self.root, "big.bin")
        for options in ([], ["--disable-epsv"], ["--ftp-port", "-"],
                        ["--ftp-port", "-", "--disable-eprt"]):
            out = os.path.join(self.local, "got.bin")
            await self.curl(*options, "-o", out, self.url + "big.bin")
            self.assertEqual(sha256(out), digest, options)
            await self.curl(*options, "-T", source, self.url + "copy.bin")
            self.assertEqual(sha256(os.path.join(self.root, "copy.bin")),
                             digest, options)

    async def test_ipv6(self):
        """
        On C{::1}: EPSV and EPRT, download and upload.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0.01),
                                  interface="::1")
        url = "ftp://[::1]:%d/" % server.port
        for options in ([], ["--ftp-port", "-"]):
            got = await self.curl(*options, url + "text.txt")
            self.assertEqual(got, b"one\ntwo\nthree\n")
            await self.curl(*options, "-T",
                            os.path.join(self.root, "text.txt"),
                            url + "v6.txt")
            self.assertEqual(self.served("v6.txt"), b"one\ntwo\nthree\n")

    async def test_names(self):
        """
        Spaces, UTF-8 and a leading dash in URLs; an empty directory lists
        nothing; C{--list-only} gives bare names.
        """
        got = await self.curl(self.url + quoteURL(
            "dir with space/file with space.txt"))
        self.assertEqual(got, b"spaces\n")
        got = await self.curl(self.url + quoteURL(
            UNICODE_DIR + "/" + UNICODE_FILE))
        self.assertEqual(got, b"unicode\n")
        listed = await self.curl(self.url + quoteURL(UNICODE_DIR) + "/")
        self.assertIn(UNICODE_FILE.encode("utf-8"), listed)
        self.assertEqual(await self.curl(self.url + "-dash.txt"), b"dash\n")
        self.assertEqual(await self.curl(self.url + "emptydir/"), b"")
        names = await self.curl("--list-only", self.url)
        self.assertIn(b"-dash.txt\n", names)
        self.assertIn(b"dir with space\n", names)

    async def test_emptyFiles(self):
        """
        A 0-byte download and upload, and C{-I} on it.
        """
        self.assertEqual(await self.curl(self.url + "empty.txt"), b"")
        source = os.path.join(self.local, "zero")
        open(source, "wb").close()
        await self.curl("-T", source, self.url + "emptydir/zero")
        self.assertEqual(self.served("emptydir/zero"), b"")
        head = await self.curl("-I", self.url + "emptydir/zero")
        self.assertIn(b"Content-Length: 0", head)

    async def test_head(self):
        """
        C{-I} shows the size, and the modification time from MDTM.
        """
        head = await self.curl("-I", self.url + "old.txt")
        self.assertIn(b"Content-Length: 4", head)
        self.assertIn(b"Last-Modified: Mon, 04 Mar 2019 05:06:07 GMT", head)


class AnonymousTests(EdgeTreeMixin, unittest.TestCase):
    """
    Each client's own anonymous login (curl: C{ftp@example.com}, wget:
    C{-wget@}, lftp: C{lftp@}) reads, and cannot upload.
    """

    async def runClient(self, executable, *args):
        if executable is None:
            raise unittest.SkipTest("client not installed")
        return await utils.getProcessOutputAndValue(
            executable, args, env=os.environ, path=self.local)

    async def test_download(self):
        url = "ftp://127.0.0.1:%d/text.txt" % self.server.port
        for executable, args in (
                (CURL, ["-sS", url]), (WGET, ["-q", "-O", "-", url]),
                (LFTP, ["-e", "set ftp:ssl-allow no; set net:max-retries 1; "
                        "cat text.txt; quit",
                        "ftp://127.0.0.1:%d" % self.server.port])):
            out, err, code = await self.runClient(executable, *args)
            self.assertEqual((code, out), (0, b"one\ntwo\nthree\n"),
                             (executable, err))

    async def test_uploadRefused(self):
        out, err, code = await self.runClient(
            CURL, "-sS", "-T", os.path.join(self.root, "text.txt"),
            "ftp://127.0.0.1:%d/new.txt" % self.server.port)
        self.assertEqual(code, 25, err)
        self.assertFalse(os.path.exists(os.path.join(self.root, "new.txt")))


class WgetTests(EdgeTreeMixin, unittest.TestCase):
    """
    wget: one file, a recursive download, active mode.
    """

    if WGET is None:
        skip = "wget is not installed"

    async def wget(self, *args):
        out, err, code = await utils.getProcessOutputAndValue(
            WGET, ["-q", "--tries=1", "--timeout=20", *args],
            env=os.environ, path=self.local)
        self.assertEqual(code, 0, (args, err))

    async def test_download(self):
        url = "ftp://alice:secret@127.0.0.1:%d/" % self.server.port
        await self.wget(url + "big.bin")
        await self.wget("--no-passive-ftp", "-O", "text.txt",
                        url + "text.txt")
        self.assertEqual(sha256(os.path.join(self.local, "big.bin")),
                         hashlib.sha256(self.payload).hexdigest())
        with open(os.path.join(self.local, "text.txt"), "rb") as f:
            self.assertEqual(f.read(), b"one\ntwo\nthree\n")

    async def test_recursive(self):
        """
        C{wget -r} fetches a tree (parsing the LIST lines), with an old
        file's date.
        """
        makeTree(os.path.join(self.root, "tree"), files=12)
        url = "ftp://alice:secret@127.0.0.1:%d/" % self.server.port
        await self.wget("-r", "-l", "10", "-nH", url)
        self.assertEqual(treeDigest(os.path.join(self.local, "tree")),
                         treeDigest(os.path.join(self.root, "tree")))
        self.assertEqual(
            open(os.path.join(self.local, "a/b/c/leaf.bin"), "rb").read(),
            b"leaf" * 1000)
        self.assertEqual(
            os.stat(os.path.join(self.local, "old.txt")).st_mtime // 86400,
            OLD // 86400)


class LftpMoreTests(EdgeTreeMixin, unittest.TestCase):
    """
    lftp: pget, resumed mirrors, LIST instead of MLSD, ASCII mode.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    async def lftp(self, script):
        commands = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                    "set net:max-retries 1; set net:timeout 20; " + script
                    + "; quit")
        out, err, code = await utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(self.server.port), "-e",
                   commands, "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, (script, err))
        return out

    async def test_pget(self):
        """
        C{pget -n 4} fetches four segments at once (REST, then RETR cut
        short); C{pget -c} finishes a partial file.
        """
        digest = hashlib.sha256(self.payload).hexdigest()
        out = os.path.join(self.local, "p.bin")
        await self.lftp("set pget:min-chunk-size 64k; pget -n 4 big.bin -o "
                        + out)
        self.assertEqual(sha256(out), digest)
        with open(out, "r+b") as f:
            f.truncate(1000001)
        await self.lftp("set pget:min-chunk-size 64k; pget -n 4 -c big.bin -o "
                        + out)
        self.assertEqual(sha256(out), digest)

    async def test_mirrorContinue(self):
        """
        C{mirror --continue} both ways finishes partial files with REST.
        """
        down = os.path.join(self.local, "down")
        os.makedirs(down)
        with open(os.path.join(down, "big.bin"), "wb") as f:
            f.write(self.payload[:777777])
        await self.lftp("mirror --continue / " + down)
        self.assertEqual(treeDigest(down), treeDigest(self.root))
        target = os.path.join(self.root, "up")
        os.makedirs(target)
        with open(os.path.join(target, "big.bin"), "wb") as f:
            f.write(self.payload[:999999])
        await self.lftp("mirror -R --continue %s /up" % down)
        self.assertEqual(treeDigest(target), treeDigest(down))

    async def test_mirrorTimesWithoutMLSD(self):
        """
        With MLSD off lftp parses LIST lines and asks MDTM for times; a
        mirror keeps an old file's time, and empty directories.
        """
        down = os.path.join(self.local, "down")
        await self.lftp("set ftp:use-mlsd off; set ftp:prefer-epsv no; "
                        "mirror / " + down)
        self.assertEqual(treeDigest(down), treeDigest(self.root))
        self.assertEqual(os.stat(os.path.join(down, "old.txt")).st_mtime, OLD)
        self.assertTrue(os.path.isdir(os.path.join(down, "emptydir")))

    async def test_ascii(self):
        """
        C{get -a} and C{put -a}: TYPE A sends CRLF line ends and stores
        the server's own.
        """
        got = os.path.join(self.local, "got.txt")
        source = os.path.join(self.local, "source.txt")
        with open(source, "wb") as f:
            f.write(b"x\ny\n")
        await self.lftp("get -a text.txt -o %s; put -a %s -o put.txt"
                        % (got, source))
        with open(got, "rb") as f:
            self.assertEqual(f.read(), b"one\ntwo\nthree\n")
        self.assertEqual(self.served("put.txt"), b"x\ny\n")


class ProcessServerTests(unittest.TestCase):
    """
    lftp and curl against C{python -m ftpkit} with C{--workers 2}, and
    with C{--realm fsspec:memory://}.
    """

    if LFTP is None or CURL is None:
        skip = "lftp or curl is not installed"

    timeout = 120

    async def roundTrip(self, options):
        from tests.serverprocess import ServerProcess

        server = ServerProcess(self, ["--auth", "memory:alice:secret",
                                      *options])
        server.waitForGreeting()
        local = os.path.abspath(self.mktemp())
        makeTree(local, files=12)
        os.makedirs(os.path.join(local, "emptydir"))
        os.utime(os.path.join(local, "d0", "e0", "f00.bin"), (OLD, OLD))
        down = os.path.abspath(self.mktemp())
        segmented = os.path.abspath(self.mktemp())
        script = (
            "set cmd:fail-exit yes; set ftp:ssl-allow no; "
            "set net:max-retries 1; set net:timeout 20; "
            "set pget:min-chunk-size 16k; "
            "mirror -R %s /tree; mirror /tree %s; "
            "pget -n 4 /tree/d4/e1/f04.bin -o %s; quit"
            % (local, down, segmented))
        out, err, code = await utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(server.port), "-e",
                   script, "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, err + server.log().encode())
        self.assertEqual(treeDigest(down), treeDigest(local))
        self.assertTrue(os.path.isdir(os.path.join(down, "emptydir")))
        self.assertEqual(
            os.stat(os.path.join(down, "d0", "e0", "f00.bin")).st_mtime, OLD)
        self.assertEqual(sha256(segmented),
                         sha256(os.path.join(local, "d4", "e1", "f04.bin")))
        partial = os.path.join(down, "d4", "e1", "f04.bin")
        with open(partial, "r+b") as f:
            f.truncate(5000)
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "30", "-u", "alice:secret", "-C",
                   "-", "-o", partial,
                   "ftp://127.0.0.1:%d/tree/d4/e1/f04.bin" % server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertEqual(treeDigest(down), treeDigest(local))

    def test_workers(self):
        """
        A tree goes up and comes back whole through C{--workers 2}.
        """
        root = scratchDirectory(self)
        return self.roundTrip(["--root", root, "--workers", "2"])

    def test_fsspecMemory(self):
        """
        A tree goes up and comes back whole through C{--realm
        fsspec:memory://}.
        """
        return self.roundTrip(["--realm", "fsspec:memory://"])

