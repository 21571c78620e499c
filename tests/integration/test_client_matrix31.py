"""
Cells of the thirty-first client sweep that the other client tests leave
out, against C{python -m ftpkit} in one process and with C{--workers 2}:

 - C{SITE UTIME} sent by curl's C{-Q} on a name that begins with a blank
   (it set nothing and got C{550} for the name without its blank);
 - lftp's C{mirror --parallel --use-pget-n}: several files at once, each
   in segments (many C{REST} and C{RETR} of one file at once), in clear
   and under C{PROT P}, over a tree with an empty file, an empty
   directory, names with blanks and a leading dash;
 - lftp cancelling a download (C{kill all}: C{ABOR}), then listing and
   resuming it (C{get -c}) on the same session, in clear and under TLS;
 - Python's ftplib resuming an upload with C{storbinary("APPE name", fp,
   rest=size)}, the C{SIZE} it read first (it got C{503}), in clear and
   after an upload cut under TLS (kept for the resume).
"""

import calendar
import ftplib
import io
import os
import shutil
import ssl
import subprocess

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates, skipUnlessBinary

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

TREE = {
    " lead.txt": b"blank first\n",
    "trail .txt": b"blank last\n",
    "-dash/zero": b"",
    "sub dir/big.bin": os.urandom(3 * 1024 * 1024 + 7),
    "sub dir/ deeper/small": b"x" * 1000,
}
"""The tree the mirrors fetch, by path; with L{EMPTY}."""

EMPTY = "empty dir"
"""The tree's empty directory."""

FEB_24_2004 = calendar.timegm((2004, 2, 24, 8, 36, 0))
"""The time C{SITE UTIME} sets (ProFTPD's example)."""


def writeTree(root):
    """
    Write L{TREE} and L{EMPTY} under C{root}.

    @param root: a directory.
    """
    for name, data in TREE.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(root, EMPTY))


def readTree(root):
    """
    @param root: a directory.
    @return: C{(files, directories)}: every file's bytes by its path
        under C{root}, and the paths of the directories.
    """
    files, directories = {}, set()
    for top, dirs, names in os.walk(root):
        for name in dirs:
            directories.add(os.path.relpath(os.path.join(top, name), root))
        for name in names:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = f.read()
    return files, directories


class _ServerModes(Certificates):
    """
    A trial mixin: a server with explicit FTPS over a root holding
    L{TREE}, in one process or with C{--workers 2}.
    """

    timeout = 180

    def serve(self, workers):
        """
        Start the server; C{self.root} is its root.

        @param workers: run C{--workers 2}, not one process.
        @return: the L{ServerProcess}.
        """
        self.makeCertificates()
        self.root = scratchDirectory(self)
        writeTree(self.root)
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:u:p",
            "--tls-cert", self.both,
            *(["--workers", "2"] if workers else [])])
        if workers:
            server.waitForLog(READY, 2)
        else:
            server.waitForGreeting()
        return server


class CurlSiteUtimeTests(_ServerModes, unittest.TestCase):
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


class LftpSegmentedMirrorTests(_ServerModes, unittest.TestCase):
    """
    lftp's C{mirror --parallel=4 --use-pget-n=4}.
    """

    def setUp(self):
        self.lftp = skipUnlessBinary("lftp")

    def _mirror(self, workers, tls):
        server = self.serve(workers)
        target = os.path.join(scratchDirectory(self), "copy")
        secure = "yes" if tls else "no"
        done = subprocess.run(
            [self.lftp, "-u", "u,p", "-e",
             f"set ssl:verify-certificate no; set ftp:ssl-allow {secure};"
             f" set ftp:ssl-force {secure};"
             f" set ftp:ssl-protect-data {secure};"
             " set net:max-retries 1;"
             f" mirror --parallel=4 --use-pget-n=4 / '{target}'; quit",
             f"127.0.0.1:{server.port}"],
            capture_output=True, timeout=150)
        self.assertEqual((done.returncode, done.stderr), (0, b""))
        self.assertEqual(readTree(target), readTree(self.root))

    def test_clear(self):
        """
        In clear, one process: the copy is the tree.
        """
        self._mirror(workers=False, tls=False)

    def test_tls(self):
        """
        Under C{PROT P}, one process.
        """
        self._mirror(workers=False, tls=True)

    def test_workersClear(self):
        """
        In clear, C{--workers 2}.
        """
        self._mirror(workers=True, tls=False)

    def test_workersTLS(self):
        """
        Under C{PROT P}, C{--workers 2}.
        """
        self._mirror(workers=True, tls=True)


class LftpKillAndResumeTests(_ServerModes, unittest.TestCase):
    """
    lftp's C{kill all} of a download held to 2 MB/s by lftp itself (the
    file takes seconds), then C{cls} and C{get -c} on the same session.
    """

    def setUp(self):
        self.lftp = skipUnlessBinary("lftp")

    def _killResume(self, workers, tls):
        server = self.serve(workers)
        big = os.urandom(12 * 1024 * 1024)
        with open(os.path.join(self.root, "huge.bin"), "wb") as f:
            f.write(big)
        local = os.path.join(scratchDirectory(self), "huge.bin")
        secure = "yes" if tls else "no"
        done = subprocess.run(
            [self.lftp, "-d", "-u", "u,p", "-e",
             f"set ssl:verify-certificate no; set ftp:ssl-allow {secure};"
             f" set ftp:ssl-force {secure}; set net:max-retries 1;"
             " set net:limit-rate 2000000;"
             f" get huge.bin -o '{local}' &; sleep 1; kill all; sleep 1;"
             f" set net:limit-rate 0; cls -1 '/sub dir';"
             f" get -c huge.bin -o '{local}'; quit",
             f"127.0.0.1:{server.port}"],
            capture_output=True, timeout=150)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertIn(b"---> ABOR", done.stderr)
        self.assertIn(b"/sub dir/ deeper/\n", done.stdout)
        with open(local, "rb") as f:
            self.assertTrue(f.read() == big, "the resumed file differs")
        shutil.rmtree(os.path.dirname(local))

    def test_clear(self):
        """
        In clear, one process: C{426} and C{226} to the C{ABOR}, then the
        listing and the resume, whole.
        """
        self._killResume(workers=False, tls=False)

    def test_tls(self):
        """
        Under TLS, C{--workers 2}.
        """
        self._killResume(workers=True, tls=True)


class FtplibRestAppeTests(_ServerModes, unittest.TestCase):
    """
    ftplib's C{storbinary("APPE name", fp, rest=size)} after C{SIZE}.
    """

    DATA = os.urandom(2 * 1024 * 1024)
    """What each upload brings in the end."""

    def _client(self, server, tls):
        """
        @return: an ftplib client logged in to C{server} (under C{PROT P}
            with C{tls}).
        """
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            ftp = ftplib.FTP_TLS(context=context)
        else:
            ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        ftp.login("u", "p")
        if tls:
            ftp.prot_p()
        return ftp

    def _resume(self, workers, tls):
        """
        Upload the first megabyte (under TLS: cut, the data connection
        closed without its close_notify), then C{SIZE}, C{REST} of it and
        C{APPE} of the rest, on a new session.
        """
        server = self.serve(workers)
        half = len(self.DATA) // 2
        first = self._client(server, tls)
        first.voidcmd("TYPE I")
        if tls:
            connection = first.transfercmd("STOR resumed.bin")
            connection.sendall(self.DATA[:half])
            connection.close()
            self.assertRaises(ftplib.error_temp, first.voidresp)
        else:
            first.storbinary("STOR resumed.bin", io.BytesIO(self.DATA[:half]))
        first.quit()
        ftp = self._client(server, tls)
        ftp.voidcmd("TYPE I")
        size = ftp.size("resumed.bin")
        self.assertTrue(0 < size <= half, size)
        reply = ftp.storbinary("APPE resumed.bin",
                               io.BytesIO(self.DATA[size:]), rest=size)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(ftp.size("resumed.bin"), len(self.DATA))
        ftp.quit()
        with open(os.path.join(self.root, "resumed.bin"), "rb") as f:
            self.assertTrue(f.read() == self.DATA, "the file differs")

    def test_clear(self):
        """
        In clear, one process: the file ends whole.
        """
        self._resume(workers=False, tls=False)

    def test_tlsCut(self):
        """
        After an upload cut under TLS, one process: the append continues
        the kept upload, whose size C{SIZE} gave.
        """
        self._resume(workers=False, tls=True)

    def test_workersTLSCut(self):
        """
        The same with C{--workers 2}.
        """
        self._resume(workers=True, tls=True)
