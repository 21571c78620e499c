"""
Transfers cut part of the way (the client killed, or cancelling), then
resumed, by each client that can:

 - curl's C{-C -} both ways, lftp's C{get -c} and C{put -c}, wget's
   C{-c}: each killed (C{SIGKILL}) in the middle of a transfer over
   implicit FTPS through C{--workers 2}, then resuming it in a new
   session, against C{python -m ftpkit} in a child process;
 - lftp cancelling a download (C{kill all}: C{ABOR}), then listing and
   resuming it (C{get -c}) on the same session, in clear and under TLS;
 - Python's ftplib resuming an upload with C{storbinary("APPE name", fp,
   rest=size)}, the C{SIZE} it read first (it got C{503}), in clear and
   after an upload cut under TLS (kept for the resume);
 - uploads cut by killing the client process half-way (SIGKILL: in clear
   its data connection ends with a FIN, which FTP cannot tell from the
   end of the file; under TLS without a close_notify, which it can), then
   resumed with lftp C{put -c}, lftp C{mirror -R --continue}, curl C{-C -
   -T} and ftplib C{REST} + C{STOR} and C{APPE}, on C{--realm memory}
   (L{ftpkit.shells.keptuploads}) and on the disk realm, served in this
   process, in clear, under explicit C{PROT P} and implicit TLS, C{PASV},
   C{EPSV}, C{PORT} and C{EPRT}, over 127.0.0.1 and ::1: the bytes end
   whole, and no listing shows a hidden name.
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

from twisted.trial import unittest

from tests.clientmatrix import (
    CURL,
    LFTP,
    LFTP_MIRROR_SETTINGS,
    EndpointServerMixin,
    ServerModesMixin,
    run,
)
from tests.clienttrees import readFile
from tests.polling import waitUntil
from tests.realmsweeps import (
    BIG,
    RATE,
    DiskRealmMixin,
    MemoryRealmMixin,
    RealmSweepMixin,
    curlOptions,
    killAfter,
    lftpSettings,
    runClient,
)
from tests.resets import hardClose
from tests.scratch import scratchDirectory
from tests.tcptable import readByOtherEnd
from tests.tlssupport import skipUnlessBinary

WGET = shutil.which("wget")


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


class CutResumeTests(EndpointServerMixin, unittest.TestCase):
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
        EndpointServerMixin.setUp(self)
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
                LFTP_MIRROR_SETTINGS + command + "; quit", self.url]

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


class LftpKillAndResumeTests(ServerModesMixin, unittest.TestCase):
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


class FtplibRestAppeTests(ServerModesMixin, unittest.TestCase):
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


class ResumeSweepMixin(RealmSweepMixin):
    """
    Uploads cut half-way by killing their client, then resumed.
    """

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
            code, out = runClient([lftp, "-e", settings
                                   + "put -c %s -o %s; bye"
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
            code, out = runClient([lftp, "-e", settings
                                   + "mirror -R --continue %s /%s; bye"
                                   % (source, name), url])
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
            code, out = runClient(options + ["-C", "-", "-T", self.big,
                                             target])
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
                "s.sendall(sys.stdin.buffer.read())\n"
                "print(*s.getsockname()[:2], *s.getpeername()[:2], "
                "flush=True); time.sleep(60)\n" % (
                    security != "clear", self.ports["4"],
                    "f.prot_p()" if security != "clear" else "", passive,
                    name))
            process = subprocess.Popen(
                [sys.executable, "-c", script], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, start_new_session=True)
            process.stdin.write(BIG[:len(BIG) // 2])
            process.stdin.close()
            # Killed once the server read all it sent, not a fixed time
            # after it took its input (a server that read nothing of it
            # by then, on a loaded machine, left no upload to resume).
            ends = process.stdout.readline().split()
            self.assertEqual(len(ends), 4, ends)
            local, remote = ((ends[0].decode(), int(ends[1])),
                             (ends[2].decode(), int(ends[3])))
            self.assertTrue(waitUntil(lambda: readByOtherEnd(local, remote)))
            os.killpg(process.pid, signal.SIGKILL)
            process.stdout.close()
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


class MemoryRealmResumeTests(MemoryRealmMixin, ResumeSweepMixin,
                             unittest.TestCase):
    """
    On C{--realm memory}.
    """


class DiskRealmResumeTests(DiskRealmMixin, ResumeSweepMixin,
                           unittest.TestCase):
    """
    On the disk realm.
    """

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
