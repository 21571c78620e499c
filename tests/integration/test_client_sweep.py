"""
What a sweep of every client on Debian 12 found untested: wget over FTPS
(C{-m} with C{--ftp-user}, explicit and implicit), lftp's mirrors,
C{reput}, C{reget} and C{pget} under C{PROT P} with session reuse
required, curl's C{--ftp-skip-pasv-ip} behind a C{--passive-address},
GNU inetutils' C{ftp} (C{PASV}, C{PORT}, C{EPSV}, C{EPRT}, C{STOU},
C{APPE}, C{REST}), and netkit's C{ftp-ssl}.
"""

import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import SESSION_CACHE_SIZE, makeContextFactory
from tests.clienttrees import treeDigest, writeTree
from tests.integration.test_clients import ClientTestMixin
from tests.ipv6 import hasIPv6
from tests.tlssupport import FTPSTestsMixin, skipUnlessBinary

INETUTILS_FTP = shutil.which("inetutils-ftp")

TREE = {
    "a/b/c/leaf.bin": os.urandom(200000),
    "dir with space/f\u00efl\u00e9 \u20ac #%.txt": b"odd\n",
    "-dash.txt": b"dash\n",
    "empty.txt": b"",
}
"""The tree the tests copy (an empty directory L{EMPTY} too)."""

EMPTY = "emptydir"


def withoutListings(top):
    """
    Remove the C{.listing} files C{wget -m} keeps.
    """
    for directory, _, names in os.walk(top):
        if ".listing" in names:
            os.remove(os.path.join(directory, ".listing"))


async def run(executable, *args, path=None):
    """
    Run a client.

    @return: C{(out, err, code)}.
    """
    return await utils.getProcessOutputAndValue(
        executable, args, env=os.environ, path=path)


class WgetFTPSTests(FTPSTestsMixin, unittest.TestCase):
    """
    wget 1.21's FTPS: C{ftps://} is explicit (C{AUTH TLS}, C{PROT P}),
    C{--ftps-implicit} implicit.
    """

    async def test_mirror(self):
        """
        C{wget -m --ftp-user} over explicit FTPS, passive and active,
        brings the tree back whole, its empty file and directory
        included.
        """
        wget = skipUnlessBinary("wget")
        self.serve(tlsRequired=True)
        writeTree(os.path.join(self.root, "tree"), TREE, EMPTY)
        for mode in ("--passive-ftp", "--no-passive-ftp"):
            local = self.mktemp()
            os.makedirs(local)
            out, err, code = await run(
                wget, "-q", "-m", "-nH", "--tries=1", "--timeout=20",
                "--no-check-certificate", "--ftp-user=alice",
                "--ftp-password=secret", mode,
                "ftps://127.0.0.1:%d/tree/" % self.server.port, path=local)
            self.assertEqual(code, 0, (mode, err))
            withoutListings(os.path.join(local, "tree"))
            self.assertEqual(treeDigest(os.path.join(local, "tree")),
                             treeDigest(os.path.join(self.root, "tree")),
                             mode)
            self.assertTrue(os.path.isdir(
                os.path.join(local, "tree", EMPTY)), mode)

    async def test_implicit(self):
        """
        C{--ftps-implicit}: a file and an empty one.
        """
        wget = skipUnlessBinary("wget")
        self.serveImplicit()
        open(os.path.join(self.root, "empty.bin"), "wb").close()
        local = self.mktemp()
        os.makedirs(local)
        for name in ("big.bin", "empty.bin"):
            out, err, code = await run(
                wget, "-q", "--tries=1", "--timeout=20", "--ftps-implicit",
                "--no-check-certificate",
                "ftps://alice:secret@127.0.0.1:%d/%s"
                % (self.server.port, name), path=local)
            self.assertEqual(code, 0, (name, err))
            with open(os.path.join(local, name), "rb") as f:
                self.assertEqual(f.read(), self.readFile(name))


    async def test_mirrorOneTicket(self):
        """
        C{wget -m} under TLS 1.3 with session reuse required fetches more
        files than the control connection's session cache holds: wget
        resumes the ticket it saved after the control connection's
        handshake on every data connection, and a new ticket per transfer
        pushed that one out (the 64th data connection was refused).
        """
        wget = skipUnlessBinary("wget")
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)
        files = {"f%d.txt" % n: b"%d\n" % n
                 for n in range(SESSION_CACHE_SIZE + 6)}
        writeTree(os.path.join(self.root, "many"), files)
        local = self.mktemp()
        os.makedirs(local)
        out, err, code = await run(
            wget, "-q", "-m", "-nH", "--tries=1", "--timeout=20",
            "--no-check-certificate", "--ftp-user=alice",
            "--ftp-password=secret",
            "ftps://127.0.0.1:%d/many/" % self.server.port, path=local)
        self.assertEqual(code, 0, err)
        withoutListings(os.path.join(local, "many"))
        self.assertEqual(treeDigest(os.path.join(local, "many")),
                         treeDigest(os.path.join(self.root, "many")))


class LftpTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    lftp under C{PROT P} (session reuse required): C{mirror -R
    --parallel=4} and back, C{reput}, C{reget}, C{pget -n 4}.
    """

    timeout = 120

    async def roundTrip(self, url, settings):
        """
        Mirror a tree up and back, then finish a cut upload and download
        and fetch a file in four segments.

        @param url: the server's URL.
        @param settings: lftp C{set} commands for the TLS mode.
        """
        lftp = skipUnlessBinary("lftp")
        local = self.mktemp()
        writeTree(os.path.join(local, "tree"), TREE, EMPTY)
        down = os.path.abspath(self.mktemp())
        leaf = os.path.abspath(os.path.join(local, "tree", "a", "b", "c",
                                            "leaf.bin"))
        script = (
            "set cmd:fail-exit yes; set net:max-retries 1; "
            "set net:timeout 20; set ssl:verify-certificate no; "
            "set pget:min-chunk-size 16k; %s; "
            "mirror -R --parallel=4 %s /tree; mirror --parallel=4 /tree %s; "
            "quit" % (settings, os.path.abspath(
                os.path.join(local, "tree")), down))
        out, err, code = await run(lftp, "-u", "alice,secret", "-e", script,
                                   url)
        self.assertEqual(code, 0, err)
        self.assertEqual(treeDigest(down), treeDigest(os.path.join(
            local, "tree")))
        self.assertTrue(os.path.isdir(os.path.join(down, EMPTY)))
        served = os.path.join(self.root, "tree", "a", "b", "c", "leaf.bin")
        os.truncate(served, 50000)
        got = os.path.join(down, "a", "b", "c", "leaf.bin")
        os.truncate(got, 70000)
        segmented = os.path.abspath(self.mktemp())
        script = (
            "set cmd:fail-exit yes; set net:max-retries 1; "
            "set net:timeout 20; set ssl:verify-certificate no; "
            "set pget:min-chunk-size 16k; %s; "
            "lcd %s; cd /tree/a/b/c; reput leaf.bin; "
            "lcd %s; reget leaf.bin; pget -n 4 /big.bin -o %s; quit"
            % (settings, os.path.dirname(leaf), os.path.dirname(got),
               segmented))
        out, err, code = await run(lftp, "-u", "alice,secret", "-e", script,
                                   url)
        self.assertEqual(code, 0, err)
        for path in (served, got):
            with open(path, "rb") as f:
                self.assertEqual(f.read(), TREE["a/b/c/leaf.bin"], path)
        with open(segmented, "rb") as f:
            self.assertEqual(f.read(), self.payload)

    def test_explicit(self):
        """
        Explicit FTPS (C{AUTH TLS}), C{EPSV}.
        """
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        return self.roundTrip(
            "ftp://127.0.0.1:%d" % self.server.port,
            "set ftp:ssl-force yes; set ftp:ssl-protect-data yes")

    def test_implicit(self):
        """
        Implicit FTPS, C{PASV}.
        """
        self.serveImplicit(tlsRequireSessionReuse=True)
        return self.roundTrip(
            "ftps://127.0.0.1:%d" % self.server.port,
            "set ftp:ssl-protect-data yes; set ftp:prefer-epsv no")


class CurlSkipPasvIPTests(ClientTestMixin, unittest.TestCase):
    """
    A server behind NAT (C{--passive-address}) seen from inside it: curl's
    C{--ftp-skip-pasv-ip} (its default since 7.74) connects to the control
    connection's host instead of the C{227} reply's address, and the
    server takes that connection.
    """

    async def test_skipPasvIP(self):
        curl = skipUnlessBinary("curl")
        server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0.01,
                         passiveAddress="192.0.2.1"))
        url = "ftp://127.0.0.1:%d/" % server.port
        options = ["-sS", "--max-time", "30", "-u", "alice:secret",
                   "--disable-epsv", "--ftp-skip-pasv-ip"]
        out, err, code = await run(curl, "-v", *options, url + "big.bin")
        self.assertEqual((code, out == self.payload), (0, True), err)
        self.assertIn(b"(192,0,2,1,", err)
        source = os.path.join(self.root, "big.bin")
        out, err, code = await run(curl, *options, "-T", source,
                                   url + "copy.bin")
        self.assertEqual(code, 0, err)
        with open(os.path.join(self.root, "copy.bin"), "rb") as f:
            self.assertEqual(f.read(), self.payload)


class InetutilsFtpTests(ClientTestMixin, unittest.TestCase):
    """
    GNU inetutils' C{ftp} (C{inetutils-ftp}): active by default, C{PASV}
    with C{passive}; C{EPRT} and C{EPSV} over IPv6; C{sunique} uploads
    with C{STOU}, C{append} with C{APPE}, C{reget} with C{REST}.
    """

    if INETUTILS_FTP is None:
        skip = "inetutils-ftp is not installed"

    async def session(self, host, port, mode):
        """
        Run one session of every command tried.

        @param mode: C{""} (active) or C{"passive"}.
        @return: the client's output.
        """
        source = os.path.join(self.local, "s p#%.bin")
        with open(source, "wb") as f:
            f.write(self.payload[:100000])
        open(os.path.join(self.local, "zero"), "wb").close()
        with open(os.path.join(self.local, "part.bin"), "wb") as f:
            f.write(self.payload[:12345])
        script = (
            "user alice secret\nbinary\n%s\nmkdir \"d i r\"\ncd \"d i r\"\n"
            "put \"s p#%%.bin\"\nput zero\nsunique\nput zero\nsunique\n"
            "append zero \"s p#%%.bin\"\nmkdir empty\nls empty\n"
            "get zero got-zero\ncd ..\nreget big.bin part.bin\n"
            "rmdir \"d i r/empty\"\nquit\n" % (mode,))
        scriptPath = os.path.join(self.local, "script")
        with open(scriptPath, "w") as f:
            f.write(script)
        out, err, code = await utils.getProcessOutputAndValue(
            "sh", ["-c", "%s -v -n %s %d < script"
                   % (INETUTILS_FTP, host, port)],
            env=os.environ, path=self.local)
        self.assertEqual(code, 0, err)
        return out

    def checkSession(self, out):
        """
        Every transfer of L{session} came out whole.
        """
        served = os.path.join(self.root, "d i r")
        self.assertEqual(sorted(os.listdir(served)),
                         ["s p#%.bin", "zero", "zero.1"], out)
        with open(os.path.join(served, "s p#%.bin"), "rb") as f:
            self.assertEqual(f.read(), self.payload[:100000])
        self.assertEqual(os.path.getsize(os.path.join(served, "zero.1")), 0)
        self.assertEqual(
            os.path.getsize(os.path.join(self.local, "got-zero")), 0)
        with open(os.path.join(self.local, "part.bin"), "rb") as f:
            self.assertEqual(f.read(), self.payload)
        self.assertNotIn(b"\n5", out)
        self.assertNotIn(b"\n4", out)

    async def test_ipv4(self):
        """
        Active (C{PORT}) and passive (C{PASV}) on C{127.0.0.1}.
        """
        for mode in ("", "passive"):
            out = await self.session("127.0.0.1", self.server.port, mode)
            self.assertIn(b"227 " if mode else b"200 PORT", out)
            self.checkSession(out)
            shutil.rmtree(os.path.join(self.root, "d i r"))

    async def test_ipv6(self):
        """
        Active (C{EPRT}) and passive (C{EPSV}) on C{::1}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(loginFailureDelay=0.01),
                                  interface="::1")
        for mode in ("", "passive"):
            out = await self.session("::1", server.port, mode)
            self.assertIn(b"229 " if mode else b"200 ", out)
            self.checkSession(out)
            shutil.rmtree(os.path.join(self.root, "d i r"))


class FtpSslTests(FTPSTestsMixin, unittest.TestCase):
    """
    netkit ftp-ssl 0.17 (Debian's C{ftp-ssl}) under C{PROT P}: its
    downloads and listings work; it closes an upload's data connection
    before sending its C{close_notify} (C{docs/tls.rst}), so its uploads
    are cut, and kept as partial uploads, unless C{--tls-allow-upload-eof}
    takes them.
    """

    timeout = 120

    async def session(self, host, options, commands):
        """
        Run ftp-ssl as alice with C{commands}.

        @return: its output.
        """
        ftpSsl = skipUnlessBinary("ftp-ssl")
        script = os.path.join(self.certDir, "script")
        with open(script, "w") as f:
            f.write("user alice secret\nbinary\n%squit\n" % (commands,))
        local = os.path.join(self.certDir, "local")
        os.makedirs(local, exist_ok=True)
        out, err, code = await utils.getProcessOutputAndValue(
            "sh", ["-c", "%s -v -n -i -z secure -z verify=0 %s %s %d < %s"
                   % (ftpSsl, options, host, self.server.port, script)],
            env=os.environ, path=local)
        self.assertEqual(code, 0, err)
        return out

    async def test_downloads(self):
        """
        C{RETR} (a file, an empty one, a resumed one) and listings of an
        empty directory, passive and active, on C{127.0.0.1} (C{PASV},
        C{PORT}) and C{::1} (C{EPSV}, C{EPRT}).
        """
        hosts = [("127.0.0.1", "127.0.0.1")]
        if hasIPv6():
            hosts.append(("::1", "::1"))
        open(os.path.join(self.root, "empty.bin"), "wb").close()
        os.mkdir(os.path.join(self.root, "emptydir"))
        local = os.path.join(self.certDir, "local")
        for interface, host in hosts:
            self.serve(interface=interface, tlsRequired=True)
            for options in ("-p", ""):
                os.makedirs(local, exist_ok=True)
                with open(os.path.join(local, "part.bin"), "wb") as f:
                    f.write(self.payload[:7777])
                out = await self.session(
                    host, options, "get big.bin\nget empty.bin\n"
                    "reget big.bin part.bin\nls emptydir\nnlist emptydir\n")
                self.assertEqual(out.count(b"\n226 "), 5, out)
                for name, expected in (("big.bin", self.payload),
                                       ("empty.bin", b""),
                                       ("part.bin", self.payload)):
                    with open(os.path.join(local, name), "rb") as f:
                        self.assertEqual(f.read(), expected,
                                         (host, options, name))
                shutil.rmtree(local)

    async def test_uploadWithAllowUploadEOF(self):
        """
        With C{--tls-allow-upload-eof} (C{tlsAllowUploadEOF}) ftp-ssl's
        uploads, passive and active, are complete: C{226} and the file.
        """
        self.serve(tlsAllowUploadEOF=True)
        local = os.path.join(self.certDir, "local")
        os.makedirs(local)
        with open(os.path.join(local, "up.bin"), "wb") as f:
            f.write(self.payload)
        out = await self.session("127.0.0.1", "-p", "put up.bin p.bin\n")
        out += await self.session("127.0.0.1", "", "put up.bin a.bin\n")
        self.assertEqual(out.count(b"\n226 "), 2, out)
        for name in ("p.bin", "a.bin"):
            self.assertTrue(self.readFile(name) == self.payload, name)

    async def test_removeAfterUpload(self):
        """
        A directory ftp-ssl uploaded into lists empty (its upload was cut
        and kept hidden), and lftp's C{rm -r} removes it: its C{RMD} got
        C{550 Directory not empty}.
        """
        lftp = skipUnlessBinary("lftp")
        self.serve()
        os.mkdir(os.path.join(self.root, "d"))
        local = os.path.join(self.certDir, "local")
        os.makedirs(local)
        with open(os.path.join(local, "up.bin"), "wb") as f:
            f.write(self.payload)
        await self.session("127.0.0.1", "-p", "put up.bin d/up.bin\n")
        self.assertNotEqual(os.listdir(os.path.join(self.root, "d")), [])
        out, err, code = await run(
            lftp, "-u", "alice,secret", "-e",
            "set cmd:fail-exit yes; set net:max-retries 1; "
            "set ssl:verify-certificate no; set ftp:ssl-force yes; "
            "rm -r d; quit", "ftp://127.0.0.1:%d" % self.server.port)
        self.assertEqual(code, 0, err)
        self.assertFalse(os.path.exists(os.path.join(self.root, "d")))


class NewlineNameTests(ClientTestMixin, unittest.TestCase):
    """
    lftp 4.9 and ncftp 3.2 send a name holding a newline as it is:
    uploading a local file named C{a}, newline, C{DELE victim.txt}
    stored it as C{a} and deleted C{victim.txt}. lftp, one command at a
    time (its default C{ftp:sync-mode}), awaits a reply to each piece
    the LF cuts; ncftp sends the line whole and awaits one reply.
    """

    def victimAndTree(self):
        """
        A file C{victim.txt} on the server and a local tree holding the
        name and C{ok.txt}.

        @return: C{(victim, tree)}, their paths.
        """
        tree = os.path.join(self.local, "tree")
        os.makedirs(tree)
        for name in ("a\nDELE victim.txt", "ok.txt"):
            with open(os.path.join(tree, name), "wb") as f:
                f.write(b"x\n")
        victim = os.path.join(self.root, "victim.txt")
        with open(victim, "wb") as f:
            f.write(b"keep\n")
        return victim, tree

    async def test_mirrorRefusesNewlineName(self):
        """
        Each piece is refused: C{victim.txt} stays, no C{a} is made, lftp
        reports the failure, and the rest of the tree arrives.
        """
        lftp = skipUnlessBinary("lftp")
        victim, tree = self.victimAndTree()
        out, err, code = await run(
            lftp, "-u", "alice,secret", "-e",
            "set net:max-retries 1; set net:timeout 5; "
            "set net:reconnect-interval-base 1; "
            "mirror -R %s /up; quit" % tree, self.url)
        self.assertNotEqual(code, 0, err)
        self.assertIn(b"501", err)
        self.assertTrue(os.path.exists(victim))
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "up"))),
                         ["ok.txt"])

    async def test_ncftpputRefusesNewlineName(self):
        """
        ncftp's line, read whole, gets one reply refusing the name:
        C{victim.txt} stays, no C{a} is made, ncftpput reports the
        failure and goes on with the rest of the tree.
        """
        ncftpput = skipUnlessBinary("ncftpput")
        victim, tree = self.victimAndTree()
        out, err, code = await run(
            ncftpput, "-R", "-m", "-t", "20", "-u", "alice", "-p", "secret",
            "-P", str(self.server.port), "127.0.0.1", "/up", tree)
        self.assertNotEqual(code, 0, err)
        self.assertIn(b"File name not allowed", err)
        self.assertTrue(os.path.exists(victim))
        self.assertEqual(
            sorted(os.listdir(os.path.join(self.root, "up", "tree"))),
            ["ok.txt"])
