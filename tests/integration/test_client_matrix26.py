"""
Cells of the twenty-sixth client sweep's matrix that the other client
tests leave out, each against C{python -m ftpkit} in a child process:

 - a directory of 10,000 entries listed by every client: curl (C{LIST},
   and C{NLST} with C{--list-only}), lftp (C{MLSD}, then C{LIST} with
   C{ftp:use-mlsd off}), ftplib (C{NLST}, C{MLSD}, C{LIST}), wget (its
   kept C{.listing}), tnftp's C{ls}, C{ncftpls} and aioftp, through
   C{--workers 2} in clear on C{127.0.0.1}, and curl, lftp and ftplib
   over implicit FTPS on C{::1};
 - names with C{?}, C{#}, C{%} and a blank, NFC and NFD accents, names of
   exactly 255 bytes (ASCII, and two-byte UTF-8), an empty file, files of
   64 KiB and of 1 MiB and one byte, and an empty directory, through
   C{--workers 2}: curl's three C{--ftp-method}s both ways (explicit FTPS
   on C{127.0.0.1}, implicit on C{::1}), C{wget -r} over explicit FTPS,
   ftplib's C{FTP_TLS} over implicit FTPS on C{::1}, and aioftp in clear;
 - curl's C{-Q} with its C{+}, C{-} and C{*} prefixes, C{-T} with a
   C{[1-3]} glob, C{-B} both ways, and its exit codes for C{550};
 - lftp's C{net:limit-rate}, C{glob}, C{mmv} and C{mrm}, and
   C{ftp:ssl-protect-list no} (C{PROT C} for listings, C{PROT P} for
   files, switched on one session);
 - busybox's C{ftpget} and C{ftpput} (which connect the data connection
   before C{SIZE} and C{REST}), C{-c}, on C{127.0.0.1} and C{::1}.
"""

import asyncio
import ftplib
import io
import os
import shutil
import socket
import subprocess
import unicodedata
from urllib.parse import quote

from twisted.trial import unittest

from tests.integration.test_client_matrix20 import ServerMixin as Matrix20Server
from tests.integration.test_client_matrix20 import run
from tests.integration.test_client_threshold import readFile
from tests.tlssupport import (
    ImplicitFTPTLS,
    clientContext,
    hasIPv6,
)

try:
    import aioftp
except ImportError:  # pragma: no cover (aioftp is in the dev extra)
    aioftp = None

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
WGET = shutil.which("wget")
TNFTP = shutil.which("tnftp")
NCFTPLS = shutil.which("ncftpls")
BUSYBOX = shutil.which("busybox")

MANY = 10000
"""Entries in the large directory."""

EDGE_SIZES = {
    "empty.bin": 0,
    "k64.bin": 64 << 10,
    "m1 plus one.bin": (1 << 20) + 1,
    unicodedata.normalize("NFC", "caf\u00e9 nfc.txt"): 4,
    unicodedata.normalize("NFD", "caf\u00e9 nfd.txt"): 5,
    "what?.txt": 6,
    "#hash.txt": 7,
    "100%.txt": 8,
    "a#b?c%d e.txt": 9,
    "L" * 251 + ".txt": 10,
    "\u00e9" * 127 + "x": 11,
}
"""The edge directory's files and their sizes: the last two names are 255
bytes long in UTF-8, the most a Linux file name holds."""

LFTP_SETTINGS = ("set cmd:fail-exit yes; set net:max-retries 1; "
                 "set net:timeout 20; set ssl:verify-certificate no; ")
"""Settings every lftp run here starts with."""


def freeIPv6Port():
    """
    @return: a TCP port on C{::1} that was free a moment ago.
    """
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


def writeEdge(top):
    """
    Write the edge files (L{EDGE_SIZES}) and an empty directory,
    C{emptydir}, into C{top}.

    @return: the files' contents by name.
    """
    os.makedirs(os.path.join(top, "emptydir"))
    contents = {}
    for name, size in EDGE_SIZES.items():
        contents[name] = os.urandom(size)
        with open(os.path.join(top, name), "wb") as f:
            f.write(contents[name])
    return contents


def writeMany(top):
    """
    Write L{MANY} empty files into C{top}.
    """
    os.makedirs(top)
    for i in range(MANY):
        open(os.path.join(top, "f%05d" % i), "wb").close()


def lineCount(output):
    """
    @return: the lines in a client's output, C{bytes}.
    """
    return len(output.splitlines())


class ServerMixin(Matrix20Server):
    """
    Starts C{python -m ftpkit} on a scratch root, alice's (and anonymous
    users'), with a certificate (made as the twentieth sweep's are): one
    listener in clear (where C{AUTH TLS} is offered) on C{127.0.0.1}, and
    an implicit FTPS one on C{::1} where there is IPv6.
    """

    timeout = 240

    def serve(self, *options):
        """
        Start the server, and wait until it (and each worker) is ready;
        set C{port} and C{implicitPort} (C{None} without IPv6).
        """
        tls = "privateKey=%s:certKey=%s" % (self.key, self.cert)
        self.implicitPort = freeIPv6Port() if hasIPv6() else None
        implicit = [] if self.implicitPort is None else [
            "--listen", "ssl:%d:interface=\\:\\:1:%s"
            % (self.implicitPort, tls)]
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.cert, "--tls-key", self.key,
                   *options],
            listen=lambda port: ["--listen",
                                 "tcp:%d:interface=127.0.0.1" % port,
                                 *implicit])
        server.waitForLog("ftpkit listening on", 1 + len(implicit) // 2)
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        self.port = server.port
        return server

    def needIPv6(self):
        """
        @raise SkipTest: without an implicit listener on C{::1}.
        """
        if self.implicitPort is None:
            raise unittest.SkipTest("no IPv6 loopback")

    def curl(self, *args, implicit=False, ok=True):
        """
        Run curl as alice: on the clear listener, or over implicit FTPS on
        C{::1}; URLs are relative to the root (C{{url}} in an argument).

        @return: its C{subprocess.CompletedProcess}.
        """
        if implicit:
            url = "ftps://[::1]:%d/" % self.implicitPort
        else:
            url = "ftp://127.0.0.1:%d/" % self.port
        command = [CURL, "-sS", "-k", "--max-time", "60", "-u",
                   "alice:secret", *(a.replace("{url}", url) for a in args)]
        if ok:
            return subprocess.CompletedProcess(command, 0, run(self, command))
        return subprocess.run(command, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def lftp(self, script, implicit=False, ok=True):
        """
        Run lftp as alice, on the clear listener (TLS not used unless the
        script says so) or over implicit FTPS on C{::1}.

        @return: its C{subprocess.CompletedProcess}.
        """
        if implicit:
            url = "ftps://[::1]:%d" % self.implicitPort
        else:
            url = "ftp://127.0.0.1:%d" % self.port
            if "ssl-force" not in script:
                script = "set ftp:ssl-allow no; " + script
        command = [LFTP, "-u", "alice,secret", "-e",
                   LFTP_SETTINGS + script + "; quit", url]
        if ok:
            return subprocess.CompletedProcess(command, 0, run(self, command))
        return subprocess.run(command, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def ftplib(self, implicit=False, explicit=False):
        """
        @return: an C{ftplib} client logged in as alice: in clear, under
            explicit FTPS with C{PROT P}, or over implicit FTPS on C{::1}.
        """
        if implicit:
            client = ImplicitFTPTLS(context=clientContext(), timeout=30)
            client.connect("::1", self.implicitPort, 30)
        elif explicit:
            client = ftplib.FTP_TLS(context=clientContext(), timeout=30)
            client.connect("127.0.0.1", self.port)
        else:
            client = ftplib.FTP(timeout=30)
            client.connect("127.0.0.1", self.port)
        self.addCleanup(client.close)
        client.login("alice", "secret")
        if implicit or explicit:
            client.prot_p()
        return client

    def served(self, *segments):
        """
        @return: the bytes of a served file.
        """
        return readFile(os.path.join(self.root, *segments))


def machineNames(client, path):
    """
    @return: the names C{MLSD path} gives, without the C{cdir} and
        C{pdir} entries.
    """
    return [name for name, facts in client.mlsd(path)
            if facts["type"] not in ("cdir", "pdir")]


class ManyEntriesTests(ServerMixin, unittest.TestCase):
    """
    A directory of L{MANY} entries listed by each client through
    C{--workers 2}.
    """

    def setUp(self):
        ServerMixin.setUp(self)
        writeMany(os.path.join(self.root, "many"))
        self.serve("--workers", "2")

    def test_clear(self):
        """
        In clear on C{127.0.0.1}: every entry, once, from each client.
        """
        checked = []
        if CURL is not None:
            self.assertEqual(lineCount(self.curl("{url}many/").stdout), MANY)
            self.assertEqual(lineCount(
                self.curl("--list-only", "{url}many/").stdout), MANY)
            checked.append("curl")
        if LFTP is not None:
            for settings in ("", "set ftp:use-mlsd off; "):
                out = self.lftp(settings + "cls -1 /many").stdout
                self.assertEqual(lineCount(out), MANY, settings)
            checked.append("lftp")
        client = self.ftplib()
        self.assertEqual(len(client.nlst("many")), MANY)
        self.assertEqual(len(machineNames(client, "many")), MANY)
        lines = []
        client.retrlines("LIST many", lines.append)
        self.assertEqual(len(lines), MANY)
        client.quit()
        if WGET is not None:
            run(self, [WGET, "-q", "--tries=1", "--no-remove-listing",
                       "-O", "many.html",
                       "ftp://alice:secret@127.0.0.1:%d/many/" % self.port],
                cwd=self.local)
            self.assertEqual(
                lineCount(readFile(os.path.join(self.local, ".listing"))),
                MANY)
            checked.append("wget")
        if TNFTP is not None:
            done = subprocess.run(
                [TNFTP, "-n", "127.0.0.1", str(self.port)],
                input=b"user alice secret\nls many\nquit\n",
                capture_output=True, timeout=120)
            self.assertEqual(
                sum(b" f" in line for line in done.stdout.splitlines()),
                MANY, done.stderr)
            checked.append("tnftp")
        if NCFTPLS is not None:
            out = run(self, [NCFTPLS, "-u", "alice", "-p", "secret", "-P",
                             str(self.port), "-1",
                             "ftp://127.0.0.1/many/"])
            self.assertEqual(lineCount(out), MANY)
            checked.append("ncftpls")
        if aioftp is not None:
            self.assertEqual(asyncio.run(self.aioftpCount()), MANY)
            checked.append("aioftp")
        if not checked:
            raise unittest.SkipTest("no client but ftplib is installed")

    async def aioftpCount(self):
        """
        @return: the entries aioftp lists in C{many}.
        """
        async with aioftp.Client.context(
                "127.0.0.1", self.port, "alice", "secret",
                socket_timeout=30) as client:
            return len(await client.list("many"))

    def test_implicitIPv6(self):
        """
        Over implicit FTPS on C{::1}: curl's C{LIST}, lftp's C{MLSD} and
        ftplib's C{MLSD} and C{NLST}.
        """
        self.needIPv6()
        if CURL is not None:
            out = self.curl("{url}many/", implicit=True).stdout
            self.assertEqual(lineCount(out), MANY)
        if LFTP is not None:
            out = self.lftp("cls -1 /many", implicit=True).stdout
            self.assertEqual(lineCount(out), MANY)
        client = self.ftplib(implicit=True)
        self.assertEqual(len(machineNames(client, "many")), MANY)
        self.assertEqual(len(client.nlst("many")), MANY)
        client.quit()


class EdgeNamesTests(ServerMixin, unittest.TestCase):
    """
    The edge files (L{EDGE_SIZES}) through C{--workers 2}, both ways.
    """

    def setUp(self):
        ServerMixin.setUp(self)
        self.contents = writeEdge(os.path.join(self.root, "edge"))
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


class CurlOptionsTests(ServerMixin, unittest.TestCase):
    """
    curl's quote prefixes, upload globs, ASCII mode and exit codes, in
    one process.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        with open(os.path.join(self.root, "text.txt"), "wb") as f:
            f.write(b"a\nb\n")
        self.serve()

    def test_quotePrefixes(self):
        """
        C{-Q CMD} runs before the transfer, C{-Q +CMD} after the C{CWD}s
        just before it, C{-Q -CMD} after it; a C{*} prefix lets a command
        fail. Without it a failing quote command ends curl with 21.
        """
        got = self.curl("-Q", "MKD q", "-Q", "+MKD q/plus", "-Q",
                        "*DELE nothing", "-Q", "-RNFR text.txt", "-Q",
                        "-RNTO q/moved.txt", "{url}text.txt").stdout
        self.assertEqual(got, b"a\nb\n")
        self.assertTrue(os.path.isdir(os.path.join(self.root, "q", "plus")))
        self.assertEqual(self.served("q", "moved.txt"), b"a\nb\n")
        failed = self.curl("-Q", "DELE nothing", "{url}", ok=False)
        self.assertEqual(failed.returncode, 21, failed.stderr)

    def test_uploadGlob(self):
        """
        C{-T "file[1-3].txt"} uploads the three files into a directory
        that C{--ftp-create-dirs} makes.
        """
        for i in (1, 2, 3):
            with open(os.path.join(self.local, "file%d.txt" % i), "wb") as f:
                f.write(b"%d" % i)
        self.curl("--ftp-create-dirs", "-T",
                  os.path.join(self.local, "file[1-3].txt"), "{url}glob/")
        for i in (1, 2, 3):
            self.assertEqual(self.served("glob", "file%d.txt" % i), b"%d" % i)

    def test_ascii(self):
        """
        C{-B} (C{TYPE A}): curl turns LF into CRLF going up and back
        coming down, the server the other way round: a text file
        arrives with the line ends it left with, either way.
        """
        self.assertEqual(self.curl("-B", "{url}text.txt").stdout, b"a\nb\n")
        self.assertEqual(self.curl("{url}text.txt;type=a").stdout,
                         b"a\nb\n")
        source = os.path.join(self.local, "lines.txt")
        with open(source, "wb") as f:
            f.write(b"x\ny\n")
        self.curl("-B", "-T", source, "{url}up.txt")
        self.assertEqual(self.served("up.txt"), b"x\ny\n")

    def test_refusals(self):
        """
        A missing file: curl exits with 78 (C{RETR}'s C{550}); a missing
        directory: 9 (C{CWD}'s C{550}), and with C{--ftp-method nocwd} 25
        (C{STOR}'s C{550}, shown); nothing is made.
        """
        done = self.curl("{url}missing.bin", ok=False)
        self.assertEqual(done.returncode, 78, done.stderr)
        source = os.path.join(self.root, "text.txt")
        done = self.curl("-T", source, "{url}missing/x.txt", ok=False)
        self.assertEqual(done.returncode, 9, done.stderr)
        done = self.curl("--ftp-method", "nocwd", "-T", source,
                         "{url}missing/x.txt", ok=False)
        self.assertEqual(done.returncode, 25, done.stderr)
        self.assertIn(b"550", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "missing")))


class LftpSettingsTests(ServerMixin, unittest.TestCase):
    """
    lftp's rate limit, wildcard commands, and listings in clear beside
    protected file transfers, through C{--workers 2}.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        self.data = os.urandom((1 << 20) + 1)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.data)
        self.serve("--workers", "2")

    def test_rateLimitAndWildcards(self):
        """
        C{net:limit-rate} paces a download and an upload, which arrive
        whole; C{glob}, C{mmv} and C{mrm} expand patterns the server
        lists.
        """
        got = os.path.join(self.local, "big.bin")
        self.lftp("set net:limit-rate 4M; get /big.bin -o %s; "
                  "put %s -o /paced.bin" % (got, got))
        self.assertTrue(readFile(got) == self.data)
        self.assertTrue(self.served("paced.bin") == self.data)
        out = self.lftp("mkdir -p /w; cd /w; put %s -o a1.txt; "
                        "put %s -o a2.txt; put %s -o b.txt; glob echo a*.txt; "
                        "mmv a*.txt /; mrm /a*.txt" % (got, got, got)).stdout
        self.assertEqual(out.split(), [b"a1.txt", b"a2.txt"])
        self.assertEqual(os.listdir(os.path.join(self.root, "w")), ["b.txt"])
        self.assertFalse(os.path.exists(os.path.join(self.root, "a1.txt")))

    def test_clearListingsProtectedFiles(self):
        """
        C{ftp:ssl-protect-list no} under explicit FTPS: C{PROT C} before
        each listing, C{PROT P} before each file, on one session; a mirror
        both ways, and C{pget -n 4} over implicit FTPS on C{::1}.
        """
        down = os.path.join(self.local, "down")
        log = os.path.join(self.local, "lftp.log")
        self.lftp("set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
                  "set ftp:ssl-protect-list no; debug -o %s 5; "
                  "mirror / %s; mirror -R %s /back" % (log, down, down))
        sent = [line.split(b"---> ", 1)[1] for line in
                readFile(log).splitlines() if b"---> " in line]
        self.assertIn(b"PROT C", sent)
        self.assertIn(b"PROT P", sent)
        self.assertTrue(readFile(os.path.join(down, "big.bin")) == self.data)
        self.assertTrue(self.served("back", "big.bin") == self.data)
        if self.implicitPort is not None:
            got = os.path.join(self.local, "segments.bin")
            self.lftp("set pget:min-chunk-size 64k; pget -n 4 /big.bin -o "
                      + got, implicit=True)
            self.assertTrue(readFile(got) == self.data)


class BusyboxTests(ServerMixin, unittest.TestCase):
    """
    busybox's C{ftpget} and C{ftpput}, on C{127.0.0.1} and C{::1}.
    busybox connects the data connection (C{EPSV}) before it sends
    C{SIZE}, C{REST} and C{RETR}.
    """

    if BUSYBOX is None:
        skip = "busybox is not installed"

    def setUp(self):
        ServerMixin.setUp(self)
        self.contents = writeEdge(os.path.join(self.root, "edge"))
        server = self.serve()
        self.hosts = [("127.0.0.1", server.port)]
        if hasIPv6():
            self.hosts.append(("::1", self.v6Port()))

    def v6Port(self):
        """
        Start a second server on C{::1}, on the same root.

        @return: its port.
        """
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret"],
            listen=lambda port: ["--listen",
                                 "tcp6:%d:interface=\\:\\:1" % port],
            host="::1")
        server.waitForLog("ftpkit listening on")
        return server.port

    def busybox(self, applet, host, port, *args, ok=True):
        """
        Run one of busybox's applets as alice.

        @return: its C{subprocess.CompletedProcess}.
        """
        command = [BUSYBOX, applet, "-u", "alice", "-p", "secret", "-P",
                   str(port), host, *args]
        if ok:
            return subprocess.CompletedProcess(command, 0, run(self, command))
        return subprocess.run(command, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def test_getAndPut(self):
        """
        Each edge file down and up again.
        """
        got = os.path.join(self.local, "got")
        for host, port in self.hosts:
            os.makedirs(os.path.join(self.root, host))
            for name, data in self.contents.items():
                self.busybox("ftpget", host, port, got, "edge/" + name)
                self.assertTrue(readFile(got) == data, (host, name))
                self.busybox("ftpput", host, port, host + "/" + name, got)
                self.assertTrue(self.served(host, name) == data, (host, name))

    def test_continueAndRefusal(self):
        """
        C{ftpget -c} fetches the rest of a partial file (C{REST}); a
        missing file fails with C{RETR}'s C{550} shown.
        """
        data = self.contents["m1 plus one.bin"]
        got = os.path.join(self.local, "partial")
        for host, port in self.hosts:
            with open(got, "wb") as f:
                f.write(data[:65536])
            self.busybox("ftpget", host, port, "-c", got,
                         "edge/m1 plus one.bin")
            self.assertTrue(readFile(got) == data, host)
            done = self.busybox("ftpget", host, port, got, "missing",
                                ok=False)
            self.assertNotEqual(done.returncode, 0, host)
            self.assertIn(b"550", done.stderr, host)
