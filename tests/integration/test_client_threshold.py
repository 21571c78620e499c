"""
Real clients uploading files on both sides of the size below which an
upload's bytes move at once through Python rather than a splice pipe
(L{ftpkit.data.movers._splicebatch.SHORT_BATCH_SIZE}): empty, one byte, a
few KiB, the threshold, one byte past it, and a few MiB, each downloaded
back; in clear (every data connection curl makes, lftp, ncftpput, tnftp,
inetutils ftp), over explicit and implicit FTPS, resumed and appended
across the threshold, refused past C{--max-upload-size} set at it, and
through C{--workers 2} with a passive port range narrow enough that
parallel mirrors reuse the pool's listeners (one data connection per
C{PASV}) and meet its per-address limit (C{425}, which lftp retries).
"""

import os
import shutil

from twisted.internet import defer, utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.movers._splicebatch import SHORT_BATCH_SIZE
from tests.clienttrees import makeTree, readFile, treeDigest
from tests.integration.test_clients import ClientTestMixin
from tests.tlssupport import FTPSTestsMixin

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")

SIZES = (0, 1, 16 << 10, SHORT_BATCH_SIZE, SHORT_BATCH_SIZE + 1,
         (3 << 20) + 7)
"""Upload sizes: both sides of the threshold, and around it."""


def writeSizes(directory):
    """
    Write one file of each of L{SIZES} into C{directory}.

    @return: a dict of file name to its bytes.
    """
    files = {}
    for size in SIZES:
        name = "s%d.bin" % size
        files[name] = os.urandom(size)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(files[name])
    return files




async def run(testCase, program, args, path=None, stdin=None):
    """
    Run a client, which must exit with status 0.

    @param stdin: bytes for its standard input (through C{sh -c}).
    @return: its standard output.
    """
    if stdin is not None:
        script = os.path.abspath(testCase.mktemp())
        with open(script, "wb") as f:
            f.write(stdin)
        args = ["-c", '"$0" "$@" < %s' % (script,), program, *args]
        program = "/bin/sh"
    out, err, code = await utils.getProcessOutputAndValue(
        program, args, env=os.environ, path=path)
    testCase.assertEqual(code, 0, (program, args, out, err))
    return out


class CurlThresholdTests(ClientTestMixin, unittest.TestCase):
    """
    curl uploads and downloads each size over every data connection,
    resumes and appends across the threshold, and meets
    C{--max-upload-size} set at it.
    """

    if CURL is None:
        skip = "curl is not installed"

    def curl(self, *args):
        """
        @return: a Deferred firing with curl's C{(out, err, code)}.
        """
        return utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "60", "-u", "alice:secret", *args],
            env=os.environ)

    async def test_everyDataConnection(self):
        """
        EPSV, PASV, EPRT and PORT each carry every size up and back.
        """
        files = writeSizes(self.local)
        for options in ([], ["--disable-epsv"], ["--ftp-port", "127.0.0.1"],
                        ["--ftp-port", "127.0.0.1", "--disable-eprt"]):
            for name, data in files.items():
                out, err, code = await self.curl(
                    *options, "-T", os.path.join(self.local, name),
                    self.url + name)
                self.assertEqual(code, 0, (options, name, err))
                self.assertEqual(readFile(os.path.join(self.root, name)),
                                 data, (options, name))
                out, err, code = await self.curl(*options, self.url + name)
                self.assertEqual((code, out), (0, data), (options, name))

    async def test_resumeAndAppend(self):
        """
        An upload stopped at the threshold resumes (C{SIZE}, C{REST},
        C{STOR}) to one byte past it, and C{APPE} adds a byte and then
        the threshold's worth.
        """
        whole = os.urandom(SHORT_BATCH_SIZE + 1)
        part = os.path.join(self.local, "part")
        full = os.path.join(self.local, "full")
        with open(part, "wb") as f:
            f.write(whole[:SHORT_BATCH_SIZE])
        with open(full, "wb") as f:
            f.write(whole)
        for args in (["-T", part], ["-C", "-", "-T", full],
                     ["--append", "-T", full], ["--append", "-T", part]):
            out, err, code = await self.curl(*args, self.url + "grown")
            self.assertEqual(code, 0, (args, err))
        self.assertEqual(readFile(os.path.join(self.root, "grown")),
                         whole + whole + whole[:SHORT_BATCH_SIZE])

    async def test_uploadSizeLimit(self):
        """
        With C{--max-upload-size} at the threshold, an upload of that size
        is stored, one of a byte more (or a few MiB more) is refused and
        nothing of it is kept.
        """
        server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0.01,
                         maxUploadSize=SHORT_BATCH_SIZE))
        url = "ftp://127.0.0.1:%d/" % server.port
        files = writeSizes(self.local)
        for name, data in files.items():
            out, err, code = await self.curl(
                "-T", os.path.join(self.local, name), url + name)
            stored = readFile(os.path.join(self.root, name))
            if len(data) <= SHORT_BATCH_SIZE:
                self.assertEqual((code, stored), (0, data), (name, err))
            else:
                # 552 (curl: "Exceeded storage allocation"), or the
                # data connection reset under a large upload still sent.
                self.assertIn(code, (55, 70), (name, err))
                self.assertIsNone(stored, name)


class ClassicThresholdTests(ClientTestMixin, unittest.TestCase):
    """
    lftp, ncftpput, tnftp and inetutils ftp put each size, passive and
    active.
    """

    def check(self, directory, files):
        for name, data in files.items():
            self.assertEqual(readFile(os.path.join(self.root, directory,
                                                   name)),
                             data, (directory, name))

    async def test_lftp(self):
        """
        lftp's C{mput} and C{mget}, passive and active.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        files = writeSizes(self.local)
        for passive in ("true", "false"):
            back = os.path.abspath(self.mktemp())
            os.makedirs(back)
            await run(self, LFTP, [
                "-u", "alice,secret", "-p", str(self.server.port), "-e",
                "set cmd:fail-exit yes; set ftp:ssl-allow no; "
                "set net:max-retries 1; set ftp:passive-mode %s; "
                "mkdir l%s; cd l%s; lcd %s; mput *.bin; lcd %s; "
                "mget *.bin; quit"
                % (passive, passive, passive, self.local, back),
                "127.0.0.1"])
            self.check("l" + passive, files)
            for name, data in files.items():
                self.assertEqual(readFile(os.path.join(back, name)), data)

    async def test_ncftpput(self):
        """
        ncftpput, passive and active (C{-E}).
        """
        ncftpput = shutil.which("ncftpput")
        if ncftpput is None:
            raise unittest.SkipTest("ncftpput is not installed")
        files = writeSizes(self.local)
        for mode in ("-F", "-E"):
            await run(self, ncftpput, [
                "-u", "alice", "-p", "secret", "-P", str(self.server.port),
                mode, "-m", "-t", "30", "127.0.0.1", "/n" + mode,
                *(os.path.join(self.local, name) for name in files)])
            self.check("n" + mode, files)

    async def test_tnftpAndInetutils(self):
        """
        tnftp and inetutils ftp, scripted, C{put} then C{get}, passive
        and active.
        """
        clients = [(shutil.which(name), name)
                   for name in ("tnftp", "inetutils-ftp")]
        clients = [(path, name) for path, name in clients if path]
        if not clients:
            raise unittest.SkipTest("neither tnftp nor inetutils-ftp")
        files = writeSizes(self.local)
        for program, name in clients:
            for passive in (True, False):
                directory = "%s-%s" % (name, passive)
                back = os.path.abspath(self.mktemp())
                os.makedirs(back)
                mode = ("passive on\n" if passive else "passive off\n")
                options = ["-n"]
                if name == "inetutils-ftp":
                    # Its "passive" toggles; -p starts passive.
                    mode = ""
                    options += ["-p"] if passive else []
                lines = ["user alice secret", "binary", "mkdir " + directory,
                         "cd " + directory, "lcd " + self.local]
                lines += ["put " + each for each in files]
                lines += ["lcd " + back]
                lines += ["get " + each for each in files]
                script = (mode + "\n".join(lines) + "\nquit\n").encode()
                await run(self, program,
                          options + ["127.0.0.1", str(self.server.port)],
                          stdin=script)
                self.check(directory, files)
                for each, data in files.items():
                    self.assertEqual(readFile(os.path.join(back, each)),
                                     data, (directory, each))


class TLSThresholdTests(FTPSTestsMixin, unittest.TestCase):
    """
    Every size over explicit and implicit FTPS (C{PROT P}): curl up and
    back, lftp's mirror both ways.
    """

    timeout = 180

    async def test_curl(self):
        """
        curl, C{--ssl-reqd} with EPSV and PASV, and C{ftps://}.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        local = os.path.abspath(self.mktemp())
        os.makedirs(local)
        files = writeSizes(local)
        explicit = self.serve()
        implicit = self.serveImplicit()
        for url, options in (
                ("ftp://127.0.0.1:%d/" % explicit.port, ["--ssl-reqd"]),
                ("ftp://127.0.0.1:%d/" % explicit.port,
                 ["--ssl-reqd", "--disable-epsv"]),
                ("ftps://127.0.0.1:%d/" % implicit.port, [])):
            for name, data in files.items():
                await run(self, CURL, [
                    "-sS", "-k", "--max-time", "60", "-u", "alice:secret",
                    *options, "-T", os.path.join(local, name), url + name])
                self.assertEqual(self.readFile(name), data, (url, name))
                got = await run(self, CURL, [
                    "-sS", "-k", "--max-time", "60", "-u", "alice:secret",
                    *options, url + name])
                self.assertEqual(got, data, (url, options, name))

    async def test_lftpMirror(self):
        """
        lftp mirrors a tree of every size up and back over explicit FTPS,
        four transfers at once.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        local = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(local, "sub", "emptydir"))
        writeSizes(local)
        writeSizes(os.path.join(local, "sub"))
        back = os.path.abspath(self.mktemp())
        server = self.serve()
        await run(self, LFTP, [
            "-u", "alice,secret", "-p", str(server.port), "-e",
            "set cmd:fail-exit yes; set ftp:ssl-force yes; "
            "set ftp:ssl-protect-data yes; set ssl:verify-certificate no; "
            "set net:max-retries 1; mirror -R --parallel=4 %s /t; "
            "mirror --parallel=4 /t %s; quit" % (local, back),
            "127.0.0.1"])
        self.assertEqual(treeDigest(os.path.join(self.root, "t")),
                         treeDigest(local))
        self.assertEqual(treeDigest(back), treeDigest(local))
        self.assertTrue(os.path.isdir(os.path.join(back, "sub",
                                                   "emptydir")))


class WorkersPoolTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{--workers 2} with six passive ports: three lftp processes mirror
    trees of every size up and back at once, four transfers each, in clear
    and over FTPS; listeners are reused from the pool and some C{PASV} are
    refused past the per-address limit (lftp retries them).
    """

    if LFTP is None:
        skip = "lftp is not installed"

    timeout = 300

    async def test_parallelMirrors(self):
        from tests.serverprocess import ServerProcess, freeRange

        # Six ports free now, below the ephemeral ports: freePort checked
        # one of them, among the ports other tests' connections take,
        # and they could hold the five after it.
        low, high = freeRange(6)
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both,
            "--passive-ports", "%d-%d" % (low, high)])
        server.waitForGreeting()
        local = os.path.abspath(self.mktemp())
        makeTree(local, files=15)
        writeSizes(os.path.join(local, "d0"))
        os.makedirs(os.path.join(local, "emptydir"))
        runs, backs = [], []
        for i, tls in enumerate(("no", "yes", "no")):
            back = os.path.abspath(self.mktemp())
            backs.append((i, back))
            secure = ("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
                      "set ssl:verify-certificate no; " if tls == "yes"
                      else "set ftp:ssl-allow no; ")
            runs.append(run(self, LFTP, [
                "-u", "alice,secret", "-p", str(server.port), "-e",
                "set cmd:fail-exit yes; %s"
                "set net:max-retries 30; set net:reconnect-interval-base 1; "
                "set net:reconnect-interval-multiplier 1; "
                "set net:timeout 20; "
                "mirror -R --parallel=4 %s /m%d; "
                "mirror --parallel=4 /m%d %s; quit"
                % (secure, local, i, i, back), "127.0.0.1"]))
        await defer.gatherResults([defer.ensureDeferred(each)
                                   for each in runs], consumeErrors=True)
        expected = treeDigest(local)
        for i, back in backs:
            self.assertEqual(treeDigest(os.path.join(self.root, "m%d" % i)),
                             expected, server.log())
            self.assertEqual(treeDigest(back), expected)
            self.assertTrue(os.path.isdir(os.path.join(back, "emptydir")))
