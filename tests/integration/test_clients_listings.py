"""
A directory of 10,000 entries listed by every client, against C{python -m
ftpkit} in a child process: curl (C{LIST}, and C{NLST} with
C{--list-only}), lftp (C{MLSD}, then C{LIST} with C{ftp:use-mlsd off}),
ftplib (C{NLST}, C{MLSD}, C{LIST}), wget (its kept C{.listing}), tnftp's
C{ls}, C{ncftpls} and aioftp, through C{--workers 2} in clear on
C{127.0.0.1}, and curl, lftp and ftplib over implicit FTPS on C{::1};
names shaped like listing lines (L{LISTING_LIKE}) fetched by the clients
that parse C{LIST}: lftp with C{ftp:use-mlsd off}, wget's C{-m}, rclone
with C{disable_mlsd}.
"""

import asyncio
import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import CURL, LFTP, ClientServerMixin, machineNames, run
from tests.clienttrees import readFile

try:
    import aioftp
except ImportError:  # pragma: no cover (aioftp is in the dev extra)
    aioftp = None

WGET = shutil.which("wget")
RCLONE = shutil.which("rclone")
TNFTP = shutil.which("tnftp")
NCFTPLS = shutil.which("ncftpls")

MANY = 10000
"""Entries in the large directory."""


LISTING_LIKE = (
    "-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 fake.txt",
    "drwxr-xr-x 2 a b 4096 Jan  1  2020 fakedir",
    "total 12",
    "a -> b.txt",
    "--opt.txt",
    "emoji \U0001F600 \u65e5\u672c.txt",
)
"""Names a client reading C{LIST} could take for something else: a whole
listing line (a file's, a directory's), the C{total} line, a link's
arrow, an option, four-byte UTF-8."""


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


class ManyEntriesTests(ClientServerMixin, unittest.TestCase):
    """
    A directory of L{MANY} entries listed by each client through
    C{--workers 2}.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
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


class PacedLftpTests(ClientServerMixin, unittest.TestCase):
    """
    lftp with its default settings (C{ftp:use-mode-z} on) against a server
    with its defaults but a download rate, which makes the end of a
    transfer come apart from the rest, as a real network does: every
    entry of a listing of L{MANY} (C{MLSD}, C{LIST}) and every byte of a
    compressible file, in clear and under C{PROT P}. lftp drops the end
    of a listing that comes so in C{MODE Z} (docs/protocol.rst, "MODE
    Z"), which the server therefore offers only with C{--mode-z}.
    """

    def setUp(self):
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        ClientServerMixin.setUp(self)
        writeMany(os.path.join(self.root, "many"))
        self.text = b"".join(b"line %d of a compressible file\n" % i
                             for i in range(30000))
        with open(os.path.join(self.root, "text.txt"), "wb") as f:
            f.write(self.text)
        self.serve("--max-download-rate", "4M")

    def listAndGet(self, security):
        """
        lftp's C{cls} over C{MLSD} and over C{LIST}, and its C{get}.

        @param security: lftp settings choosing clear or C{PROT P}.
        """
        for settings in ("", "set ftp:use-mlsd off; "):
            out = self.lftp(security + settings + "cls -1 /many").stdout
            self.assertEqual(lineCount(out), MANY, settings)
        into = os.path.join(self.local, "text.txt")
        self.lftp(security + "get /text.txt -o " + into)
        self.assertEqual(readFile(into), self.text)

    def test_clear(self):
        """
        In clear.
        """
        self.listAndGet("")

    def test_protected(self):
        """
        Over explicit FTPS with C{PROT P}.
        """
        self.listAndGet("set ftp:ssl-force yes; "
                        "set ftp:ssl-protect-data yes; ")


class ListingLikeNamesTests(ClientServerMixin, unittest.TestCase):
    """
    Files named like listing lines (L{LISTING_LIKE}), mirrored by the
    clients that read C{LIST} rather than C{MLSD} (the thirty-seventh
    session's sweep): each must come back whole under its own name.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        os.makedirs(os.path.join(self.root, "names"))
        for name in LISTING_LIKE:
            with open(os.path.join(self.root, "names", name), "wb") as f:
                f.write(name.encode("utf-8") + b"\n")
        self.serve()

    def assertNames(self, directory):
        """
        C{directory} holds every name of L{LISTING_LIKE}, each file with
        its own content (and nothing else but wget's C{.listing}).
        """
        found = sorted(set(os.listdir(directory)) - {".listing"})
        self.assertEqual(found, sorted(LISTING_LIKE))
        for name in LISTING_LIKE:
            self.assertEqual(readFile(os.path.join(directory, name)),
                             name.encode("utf-8") + b"\n", name)

    def test_lftpList(self):
        """
        lftp's C{mirror} with C{ftp:use-mlsd off} (its C{LIST} parser).
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        into = os.path.join(self.local, "lftp")
        self.lftp("set ftp:use-mlsd off; mirror /names " + into)
        self.assertNames(into)

    def test_wgetMirror(self):
        """
        wget's C{-m}, which parses the C{LIST} it keeps as C{.listing}.
        """
        if WGET is None:
            raise unittest.SkipTest("wget is not installed")
        run(self, [WGET, "-q", "-m", "-nH", "--tries=1", "--timeout=30",
                   "ftp://alice:secret@127.0.0.1:%d/names/" % self.port],
            cwd=self.local)
        self.assertNames(os.path.join(self.local, "names"))

    def test_rcloneList(self):
        """
        rclone's C{copy} with C{disable_mlsd} (C{LIST}).
        """
        if RCLONE is None:
            raise unittest.SkipTest("rclone is not installed")
        obscured = run(self, [RCLONE, "obscure", "secret"]).decode().strip()
        into = os.path.join(self.local, "rclone")
        run(self, [RCLONE, "copy", "--config", "/dev/null",
                   ":ftp,host=127.0.0.1,port=%d,user=alice,pass=%s,"
                   "disable_mlsd=true:names" % (self.port, obscured), into])
        self.assertNames(into)
