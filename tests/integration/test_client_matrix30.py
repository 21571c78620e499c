"""
Cells of the thirtieth client sweep that the other client tests leave out,
against a server in this process:

 - C{PBSZ} and C{PROT} after C{CCC}, from ftplib and curl: refused (the
   protection level cannot change over a control connection in clear),
   with a reply that says so rather than asking for C{AUTH TLS} the
   client already sent;
 - uploads cut by killing the client process half-way (SIGKILL: in clear
   its data connection ends with a FIN, which FTP cannot tell from the
   end of the file; under TLS without a close_notify, which it can), then
   resumed with lftp C{put -c}, lftp C{mirror -R --continue}, curl C{-C -
   -T} and ftplib C{REST} + C{STOR} and C{APPE}, on C{--realm memory}
   (L{ftpkit.shells.keptuploads}) and on the disk realm, in clear, under
   explicit C{PROT P} and implicit TLS, C{PASV}, C{EPSV}, C{PORT} and
   C{EPRT}, over 127.0.0.1 and ::1: the bytes end whole, and no listing
   shows a hidden name;
 - a tree of empty files, an empty directory, names with spaces, UTF-8
   and leading dashes, through lftp C{mirror} both ways, curl's three
   C{--ftp-method}s with C{-Q} quote commands, C{wget -r}, ncftpput and
   ncftpget C{-R}, busybox ftpput and ftpget, aria2c and tnftp.
"""

import ftplib
import io
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse

from twisted.internet import reactor, utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_hardening import hardClose
from tests.scratch import scratchDirectory
from tests.tlssupport import (
    Certificates,
    FTPSTestsMixin,
    ImplicitLoopbackServer,
    hasIPv6,
    skipUnlessBinary,
)

BIG = os.urandom(1500000)
"""What each cut upload sends, then its resume."""

RATE = 300000
"""Bytes a second the cut uploads are held to, so that the kill, after
L{CUT_AFTER} seconds, comes half-way."""

CUT_AFTER = 1.5
"""Seconds an upload runs before its client is killed."""

TREE = {
    "zero.bin": b"",
    "with space.txt": b"hello\n",
    "-dash.txt": b"dash\n",
    "\u00fcn\u00ef c\u00f6d\u00e9/\u540d\u524d.txt": "\u540d\u524d\n".encode(),
    "sub/--two.bin": bytes(range(256)) * 300,
    "sub/deeper/zero2": b"",
}
"""The edge tree's files, by their path; with L{EMPTY_DIRECTORIES}."""

EMPTY_DIRECTORIES = ("empty dir", "sub/deeper/emptier")
"""The edge tree's empty directories."""


def replyTo(ftp, line):
    """
    @return: the whole reply to C{line}, whether ftplib took it as an
        error or not.
    """
    try:
        return ftp.sendcmd(line)
    except ftplib.Error as e:
        return str(e)


class AfterCCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{PBSZ} and C{PROT} once C{CCC} has ended TLS on the control
    connection.
    """

    def test_ftplibProtAfterCCC(self):
        """
        ftplib: after C{PROT P} and C{CCC}, C{PBSZ 0}, C{PROT C} and
        C{PROT P} each get C{503} naming C{CCC} and the level that stays
        (Private), not "requires AUTH TLS first" (it had come); a
        download then still goes under TLS. Before C{AUTH TLS} the old
        text stands.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.ccc()
            replies = [replyTo(ftp, line)
                       for line in ("PBSZ 0", "PROT C", "PROT P")]
            data = []
            ftp.retrbinary("RETR big.bin", data.append)
            ftp.quit()
            plain = ftplib.FTP()
            plain.connect("127.0.0.1", self.server.port, timeout=20)
            replies.append(replyTo(plain, "PROT P"))
            plain.quit()
            return replies, b"".join(data)

        def check(result):
            replies, data = result
            after = "is not allowed after CCC (the control connection is " \
                    "in clear); data protection stays Private"
            self.assertEqual(replies, [
                "503 PBSZ " + after, "503 PROT " + after,
                "503 PROT " + after, "503 PROT requires AUTH TLS first"])
            self.assertTrue(data == self.payload, "%d bytes" % len(data))
        return self.inThread(client).addCallback(check)

    async def test_curlQuoteProtAfterCCC(self):
        """
        curl C{--ftp-ssl-ccc} with C{-Q "PROT C"} (sent after login, so
        after C{CCC}): the quote command's C{503} says why, and curl
        stops (exit 21, "QUOT command failed with 503").
        """
        curl = skipUnlessBinary("curl")
        self.serve(tlsAllowCCC=True)
        out, err, code = await utils.getProcessOutputAndValue(
            curl, ["-sS", "-v", "-k", "--ssl-reqd", "--ftp-ssl-ccc",
                   "--ftp-ssl-ccc-mode", "active", "-Q", "PROT C",
                   "ftp://alice:secret@127.0.0.1:%d/big.bin"
                   % (self.server.port,), "-o", "/dev/null"],
            reactor=reactor)
        self.assertEqual(code, 21, err[-2000:])
        self.assertIn(b"< 503 PROT is not allowed after CCC", err)


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


def killAfter(argv, seconds=CUT_AFTER):
    """
    Run C{argv} for C{seconds}, then kill it (SIGKILL, its whole process
    group): a client cut as a crash or a closed laptop cuts it.
    """
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               start_new_session=True)
    time.sleep(seconds)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(argv, cwd=None):
    """
    Run a client to its end (blocking).

    @return: its exit status and output, stderr after stdout.
    """
    done = subprocess.run(argv, capture_output=True, timeout=120, cwd=cwd)
    return done.returncode, (done.stdout + done.stderr).decode("utf-8",
                                                               "replace")


def lftpSettings(security, mode):
    """
    @param security: C{"clear"}, C{"explicit"} or C{"implicit"}.
    @param mode: C{"pasv"}, C{"epsv"} or C{"active"}.
    @return: the lftp commands setting them.
    """
    settings = ["set ssl:verify-certificate no", "set net:max-retries 2",
                "set net:reconnect-interval-base 1", "set net:timeout 20",
                {"clear": "set ftp:ssl-allow no",
                 "explicit": "set ftp:ssl-force true; "
                             "set ftp:ssl-protect-data true",
                 "implicit": "set ftp:ssl-protect-data true"}[security]]
    if mode == "active":
        settings.append("set ftp:passive-mode off")
    else:
        settings.append("set ftp:passive-mode on; set ftp:prefer-epsv %s"
                        % ("yes" if mode == "epsv" else "no"))
    return "; ".join(settings) + "; "


def curlOptions(security, mode):
    """
    @param security: C{"clear"}, C{"explicit"} or C{"implicit"} (the URL
        says which of the last two).
    @param mode: C{"pasv"}, C{"epsv"}, C{"active"} (C{EPRT}) or
        C{"port"}.
    @return: curl's options for them.
    """
    options = ["-sS", "-k"] + (["--ssl-reqd"] if security == "explicit"
                               else [])
    return options + {"pasv": ["--disable-epsv"], "epsv": [],
                      "active": ["-P", "-"],
                      "port": ["-P", "-", "--disable-eprt"]}[mode]


class SweepMixin(Certificates, LoopbackServerMixin):
    """
    One realm (C{makeRealm}) served on 127.0.0.1 (explicit FTPS), ::1
    when there is one, and 127.0.0.1 again with implicit TLS; alice's.
    """

    timeout = 300

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.local = scratchDirectory(self)
        realm = self.makeRealm()
        config = ServerConfig(loginFailureDelay=0,
                              tlsContextFactory=makeContextFactory(self.both))
        self.ports = {"4": self.startServer(realm, config).port}
        if hasIPv6():
            self.ports["6"] = self.startServer(realm, config,
                                               interface="::1").port
        implicit = ImplicitLoopbackServer(realm, config.tlsContextFactory,
                                          config)
        implicit.start()
        self.addCleanup(implicit.stop)
        self.ports["implicit"] = implicit.port
        self.big = os.path.join(self.local, "big.bin")
        with open(self.big, "wb") as f:
            f.write(BIG)

    def url(self, security, family):
        """
        @return: the base URL of alice's files over C{security} and
            C{family} (C{"4"}, C{"6"}; implicit TLS is on 127.0.0.1).
        """
        if security == "implicit":
            return "ftps://alice:secret@127.0.0.1:%d" % (
                self.ports["implicit"],)
        if family == "6":
            if "6" not in self.ports:
                raise unittest.SkipTest("no IPv6 loopback")
            return "ftp://alice:secret@[::1]:%d" % (self.ports["6"],)
        return "ftp://alice:secret@127.0.0.1:%d" % (self.ports["4"],)

    def client(self, security="clear"):
        """
        @return: ftplib logged in as alice on 127.0.0.1, in C{TYPE I},
            under C{PROT P} unless C{security} is C{"clear"}.
        """
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        ftp = {"clear": ftplib.FTP, "explicit": ftplib.FTP_TLS}[security](
            **({} if security == "clear" else {"context": context}))
        ftp.connect("127.0.0.1", self.ports["4"], timeout=20)
        ftp.login("alice", "secret")
        if security != "clear":
            ftp.prot_p()
        ftp.voidcmd("TYPE I")
        return ftp

    def fetched(self, path):
        """
        @return: C{(the bytes of path, the names in its directory's
            LIST -a that are hidden ones)}, in clear.
        """
        ftp = self.client()
        try:
            lines = []
            ftp.retrlines("LIST -a " + os.path.dirname("/" + path),
                          lines.append)
            out = io.BytesIO()
            ftp.retrbinary("RETR " + path, out.write)
        finally:
            ftp.close()
        return out.getvalue(), [line for line in lines if ".ftpkit" in line]

    def assertWhole(self, path, cell):
        """
        C{path} holds L{BIG}, and its directory lists no hidden name.
        """
        data, hidden = self.fetched(path)
        self.assertEqual(hidden, [], cell)
        self.assertTrue(data == BIG, "%s: %d bytes" % (cell, len(data)))

    def cells(self, function, cells):
        """
        Run C{function(*cell)} for each cell, in a thread.
        """
        def runAll():
            for cell in cells:
                function(*cell)
        return self.inThread(runAll)

    def test_lftpPutResumed(self):
        """
        lftp's C{put} killed half-way, then C{put -c}: whole.
        """
        lftp = skipUnlessBinary("lftp")

        def cell(security, family, mode):
            name = "put-%s-%s-%s.bin" % (security, family, mode)
            url = self.url(security, family)
            settings = lftpSettings(security, mode)
            killAfter([lftp, "-e", settings + "set net:limit-rate %d; put %s "
                       "-o %s; bye" % (RATE, self.big, name), url])
            code, out = run([lftp, "-e", settings + "put -c %s -o %s; bye"
                             % (self.big, name), url])
            self.assertEqual(code, 0, out)
            self.assertWhole(name, (security, family, mode))
        return self.cells(cell, [("explicit", "4", "epsv"),
                                 ("implicit", "4", "pasv"),
                                 ("clear", "6", "active"),
                                 ("explicit", "6", "active")])

    def test_lftpMirrorResumed(self):
        """
        lftp's C{mirror -R} killed half-way through a tree with an empty
        directory, then C{mirror -R --continue}: whole, the empty
        directory made.
        """
        lftp = skipUnlessBinary("lftp")

        def cell(security, family, mode):
            name = "mirror-%s-%s-%s" % (security, family, mode)
            source = os.path.join(self.local, name)
            os.makedirs(os.path.join(source, "sub", "empty"))
            shutil.copy(self.big, os.path.join(source, "sub", "big.bin"))
            url = self.url(security, family)
            settings = lftpSettings(security, mode)
            killAfter([lftp, "-e", settings + "set net:limit-rate %d; "
                       "mirror -R %s /%s; bye" % (RATE, source, name), url])
            code, out = run([lftp, "-e", settings + "mirror -R --continue "
                             "%s /%s; bye" % (source, name), url])
            self.assertEqual(code, 0, out)
            self.assertWhole(name + "/sub/big.bin", (security, family, mode))
            ftp = self.client()
            self.assertEqual(ftp.nlst(name + "/sub/empty"), [])
            ftp.close()
        return self.cells(cell, [("explicit", "6", "pasv"),
                                 ("implicit", "4", "epsv"),
                                 ("clear", "4", "active")])

    def test_curlResumed(self):
        """
        curl's C{-T} killed half-way, then C{-C - -T}: whole. (Active mode
        under TLS is left out: curl 7.87 to 7.88.1 cannot, see
        docs/tls.rst.)
        """
        curl = skipUnlessBinary("curl")

        def cell(security, family, mode):
            name = "curl-%s-%s-%s.bin" % (security, family, mode)
            target = self.url(security, family) + "/" + name
            options = [curl] + curlOptions(security, mode)
            killAfter(options + ["--limit-rate", str(RATE), "-T", self.big,
                                 target])
            code, out = run(options + ["-C", "-", "-T", self.big, target])
            self.assertEqual(code, 0, out)
            self.assertWhole(name, (security, family, mode))
        return self.cells(cell, [("explicit", "4", "epsv"),
                                 ("implicit", "4", "pasv"),
                                 ("clear", "6", "active"),
                                 ("clear", "4", "port")])

    def test_ftplibResumed(self):
        """
        ftplib killed half-way through a C{STOR}, then C{SIZE} and C{REST}
        + C{STOR}, or C{APPE}, from a new session: whole.
        """
        def cell(security, verb, passive):
            name = "ftplib-%s-%s-%s.bin" % (security, verb, passive)
            script = (
                "import ftplib, ssl, sys, time\n"
                "c = ssl.create_default_context(); c.check_hostname = False\n"
                "c.verify_mode = ssl.CERT_NONE\n"
                "f = ftplib.FTP_TLS(context=c) if %r else ftplib.FTP()\n"
                "f.connect('127.0.0.1', %d, timeout=20)\n"
                "f.login('alice', 'secret')\n"
                "%s\n"
                "f.set_pasv(%r); f.voidcmd('TYPE I')\n"
                "s = f.transfercmd('STOR %s')\n"
                "s.sendall(sys.stdin.buffer.read()); time.sleep(60)\n" % (
                    security != "clear", self.ports["4"],
                    "f.prot_p()" if security != "clear" else "", passive,
                    name))
            process = subprocess.Popen(
                [sys.executable, "-c", script], stdin=subprocess.PIPE,
                start_new_session=True)
            process.stdin.write(BIG[:len(BIG) // 2])
            process.stdin.close()
            time.sleep(CUT_AFTER)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            ftp = self.client(security)
            ftp.set_pasv(passive)
            size = ftp.size(name)
            self.assertTrue(0 < size <= len(BIG) // 2, size)
            if verb == "REST":
                ftp.storbinary("STOR " + name, io.BytesIO(BIG[size:]),
                               rest=size)
            else:
                ftp.storbinary("APPE " + name, io.BytesIO(BIG[size:]))
            ftp.close()
            self.assertWhole(name, (security, verb, passive))
        return self.cells(cell, [("explicit", "REST", True),
                                 ("explicit", "APPE", False),
                                 ("clear", "APPE", True),
                                 ("clear", "REST", False)])

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
            code, out = run([lftp, "-e", lftpSettings(security, mode)
                             + "mirror -R --no-perms %s /%s; mirror /%s %s; "
                             "bye" % (tree, name, name, back),
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
                    code, out = run(options + method + ["-T", source, url])
                    self.assertEqual(code, 0, (method, name, out))
                    code, out = run(options + method + ["-o", source, url])
                    self.assertEqual(code, 0, (method, name, out))
                    with open(source, "rb") as f:
                        self.assertEqual(f.read(), content, (method, name))
                code, out = run(options + method + [
                    "-Q", "MKD %s/q dir" % (top,),
                    "-Q", "RNFR %s/q dir" % (top,),
                    "-Q", "RNTO %s/q-dir" % (top,),
                    "-Q", "-RMD %s/q-dir" % (top,), "-l", base + "/"])
                self.assertEqual((code, names(out)), (0, ["a b", "q-dir"]),
                                 out)
                code, out = run(options + method + ["-l", base + "/"])
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
            code, out = run([binary("wget"), "-q", "-r", "-nH",
                             "--no-remove-listing", "--no-check-certificate"]
                            + options + [self.url(security, "4").replace(
                                "ftp:", "ftps:") + "/w/"
                                if security == "explicit" else
                                self.url(security, "4") + "/w/"], cwd=into)
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
                code, out = run([binary("ncftpput"), "-m", "-R"] + login
                                + ["/nc", tree])
                self.assertEqual(code, 0, out)
                for active in ([], ["-E"]):
                    back = os.path.join(into, "-".join(active) or "p")
                    os.makedirs(back)
                    code, out = run([binary("ncftpget"), "-R"] + active
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
                code, out = run([binary("busybox"), "ftpput"] + login
                                + ["bb" + name, source])
                self.assertEqual(code, 0, (name, out))
                code, out = run([binary("busybox"), "ftpget"] + login
                                + [source, "bb" + name])
                self.assertEqual(code, 0, (name, out))
                with open(source, "rb") as f:
                    self.assertEqual(f.read(), TREE[name], name)
        if shutil.which("aria2c"):
            for family in ("4", "6"):
                for passive in ("true", "false"):
                    for name, content in TREE.items():
                        into = scratchDirectory(self)
                        code, out = run([
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


class MemoryRealmSweepTests(SweepMixin, unittest.TestCase):
    """
    On C{--realm memory}.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)


class DiskRealmSweepTests(SweepMixin, unittest.TestCase):
    """
    On the disk realm.
    """

    def makeRealm(self):
        """
        @return: the disk realm on the scratch root.
        """
        return FilesystemRealm(self.root)

    def test_timeSetAfterUpload(self):
        """
        A cut upload kept as the partial upload, then a whole upload of
        the file and C{MFMT} setting its time back (as rclone and lftp's
        C{mirror -R} do after each upload): the partial upload is stale,
        and C{SIZE} answers the file's size. It answered the partial
        upload's, the file's time being older than it, and a resume from
        it (lftp's C{mirror -R --continue}) replaced the file.
        """
        def client():
            ftp = self.client()
            connection = ftp.transfercmd("STOR t.bin")
            connection.sendall(BIG[:100000])
            hardClose(connection)
            try:
                ftp.voidresp()
            except ftplib.error_temp:
                pass
            cut = ftp.size("t.bin")
            ftp.storbinary("STOR t.bin", io.BytesIO(BIG))
            ftp.voidcmd("MFMT 20200101000000 t.bin")
            whole = ftp.size("t.bin")
            ftp.close()
            return cut, whole
        return self.inThread(client).addCallback(
            self.assertEqual, (100000, len(BIG)))
