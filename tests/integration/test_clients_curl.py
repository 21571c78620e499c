"""
curl's own options against C{python -m ftpkit} in a child process:

 - C{-Q} with its C{+}, C{-} and C{*} prefixes, C{-T} with a C{[1-3]}
   glob, C{-B} both ways, and its exit codes for C{550};
 - its own listing commands (C{-X MLSD}, C{-X "LIST -la"}, C{-X "NLST
   -R"}, C{;type=d}), an upload under a temporary name renamed and
   stamped after the transfer (C{-Q "-RNFR"}, C{"-RNTO"}, C{"-MFMT"})
   with C{--ftp-method multicwd} and C{singlecwd}, and several URLs in
   one command, passive and active (C{-P -});
 - C{SITE UTIME} sent by C{-Q} on a name that begins with a blank (it set
   nothing and got C{550} for the name without its blank), in one process
   and with C{--workers 2}.
"""

import calendar
import os
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import (
    CURL,
    EDGE,
    ClientServerMixin,
    ServerModesMixin,
    writeEdge,
)
from tests.clienttrees import readFile
from tests.tlssupport import skipUnlessBinary

FEB_24_2004 = calendar.timegm((2004, 2, 24, 8, 36, 0))
"""The time C{SITE UTIME} sets (ProFTPD's example)."""


class CurlOptionsTests(ClientServerMixin, unittest.TestCase):
    """
    curl's quote prefixes, upload globs, ASCII mode and exit codes, in
    one process.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
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
        (C{STOR}'s C{550}, shown); nothing is made. With
        C{--ftp-create-dirs}, C{singlecwd}'s C{MKD missing/a/b} makes one
        directory, so none here (9), and C{nocwd} sends no C{MKD} (25), as
        vsftpd, ProFTPD and Pure-FTPd answer (docs/protocol.rst).
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
        for method, code in (("singlecwd", 9), ("nocwd", 25)):
            done = self.curl("--ftp-create-dirs", "--ftp-method", method,
                             "-T", source, "{url}missing/a/b/x.txt",
                             ok=False)
            self.assertEqual(done.returncode, code, (method, done.stderr))
        self.assertFalse(os.path.exists(os.path.join(self.root, "missing")))


class CurlTests(ClientServerMixin, unittest.TestCase):
    """
    curl's own listing commands, quoted commands after an upload, and
    several URLs in one command, in one process.
    """

    if CURL is None:
        skip = "curl is not installed"

    def setUp(self):
        ClientServerMixin.setUp(self)
        writeEdge(os.path.join(self.root, "tree"))
        self.serve()

    def test_listings(self):
        """
        C{-X} replaces curl's C{LIST} with any listing command; C{;type=d}
        asks for C{NLST} (of the directory, after C{CWD}: curl drops a
        last segment not ending with C{/}).
        """
        names = sorted(os.listdir(os.path.join(self.root, "tree")))
        machine = self.curl("-X", "MLSD", "{url}tree/").stdout.decode()
        self.assertEqual(sorted(line.split("; ", 1)[1] for line in
                                machine.splitlines()
                                if "type=cdir" not in line
                                and "type=pdir" not in line), names)
        long = self.curl("-X", "LIST -la", "{url}tree/").stdout.decode()
        self.assertEqual(sorted(line.split(None, 8)[8]
                                for line in long.splitlines()), names)
        recursive = self.curl("-X", "NLST -R", "{url}tree/").stdout.decode()
        self.assertIn("./sub dir/deep:\nx.bin\n", recursive)
        self.assertEqual(
            sorted(self.curl("{url}tree/;type=d").stdout.decode()
                   .splitlines()), names)

    def test_renamedAfterUpload(self):
        """
        An upload under a temporary name, renamed and stamped by quoted
        commands after the transfer (in the directory curl changed into),
        with each C{--ftp-method} that changes directory.
        """
        source = os.path.join(self.root, "tree", "k64 plus one.bin")
        for method in ("multicwd", "singlecwd"):
            self.curl("--ftp-method", method, "--ftp-create-dirs",
                      "-T", source, "{url}up/%s/f.tmp" % method,
                      "-Q", "-RNFR f.tmp", "-Q", "-RNTO f final.bin",
                      "-Q", "-MFMT 20200101000000 f final.bin")
            self.assertEqual(os.listdir(os.path.join(self.root, "up",
                                                     method)),
                             ["f final.bin"])
            self.assertEqual(self.served("up", method, "f final.bin"),
                             self.served("tree", "k64 plus one.bin"))
            self.assertEqual(os.stat(os.path.join(
                self.root, "up", method, "f final.bin")).st_mtime,
                1577836800)

    def test_severalURLs(self):
        """
        Several files in one command (one control connection), passive
        and active.
        """
        names = sorted(name for name in EDGE if "/" not in name)
        for mode in ([], ["-P", "-"]):
            command = list(mode)
            for index, name in enumerate(names):
                command += ["{url}tree/" + name.replace("%", "%25")
                            .replace("#", "%23").replace(" ", "%20"),
                            "-o", os.path.join(self.local, str(index))]
            self.curl(*command)
            for index, name in enumerate(names):
                self.assertEqual(readFile(os.path.join(self.local,
                                                       str(index))),
                                 self.served("tree", name), (mode, name))


class CurlSiteUtimeTests(ServerModesMixin, unittest.TestCase):
    """
    curl's C{-Q 'SITE UTIME YYYYMMDDhhmm path'} on names that begin
    with blanks.
    """

    def setUp(self):
        self.curl = skipUnlessBinary("curl")

    def _check(self, workers):
        server = self.serve(workers)
        url = f"ftp://u:p@127.0.0.1:{server.port}/"
        done = subprocess.run(
            [self.curl, "-sS", "--list-only",
             "-Q", "SITE UTIME 200402240836  lead.txt",
             "-Q", "SITE UTIME 200402240836 trail .txt", url],
            capture_output=True, timeout=60)
        self.assertEqual((done.returncode, done.stderr), (0, b""))
        self.assertEqual(
            [os.stat(os.path.join(self.root, name)).st_mtime
             for name in (" lead.txt", "trail .txt")],
            [FEB_24_2004] * 2)

    def test_oneProcess(self):
        """
        One process: both times set, curl exits 0 (it exited 21, C{550}
        for C{lead.txt}).
        """
        self._check(workers=False)

    def test_workers(self):
        """
        The same with C{--workers 2}.
        """
        self._check(workers=True)
