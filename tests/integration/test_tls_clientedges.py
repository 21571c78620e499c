"""
Real FTPS clients at the edges they hit, against C{twistd ftpkit} in a
child process, in one process on C{127.0.0.1} and through C{--workers 2}
on C{::1}:

 - Python's C{ftplib.FTP_TLS} with C{PROT P} (resuming the control
   connection's session) and C{PROT C}, passive and active: a 0-byte file
   fetched and stored, an empty directory's C{NLST}, C{LIST} and C{MLSD},
   C{REST} at the exact end of a file then C{RETR};
 - the commands around TLS: C{AUTH TLS} twice, C{AUTH SSL}, C{REIN} and
   C{PROT P} before C{PBSZ} (ftplib and C{openssl s_client -starttls
   ftp}), C{ABOR} in the middle of a C{PROT P} download, and an upload
   whose client closes its data connection without a C{close_notify}
   after the last byte (C{426}, no file: docs/tls.rst);
 - under C{--tls-require-session-reuse}, a data connection refused
   before its transfer command arrives (C{426} at once, TLS 1.2 and 1.3);
 - curl's C{--ftp-skip-pasv-ip}, and its C{--sessionid} (the default) and
   C{--no-sessionid} under C{--tls-require-session-reuse};
 - a certificate reload (C{SIGHUP}) while sessions resuming their TLS
   session under C{--tls-require-session-reuse} (TLS 1.2 and 1.3) and a
   curl download are open;
 - lftp mirroring 0-byte files and empty directories both ways (C{PROT P}
   and C{PROT C}, passive and active, C{ftp:prefer-epsv} on and off),
   and copying between two servers that require session reuse.
"""

import ftplib
import io
import os
import signal
import socket
import ssl
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import WORKER_READY
from tests.ftpclient import ftplibLogin
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import (
    Certificates,
    ReusingFTPTLS,
    clientContext,
    makeCertificate,
    skipUnlessBinary,
)

PAYLOAD = bytes(range(256)) * 400
"""The content of C{f.bin} on the server (100 KiB)."""

REFUSED = "refused (no session reuse)"
"""What the server logs of a data connection that did not resume."""


class EdgeServerMixin(Certificates):
    """
    A trial mixin: C{twistd ftpkit} with explicit FTPS over a root holding
    C{f.bin} (L{PAYLOAD}), C{empty.bin} (0 bytes) and C{emptydir}.
    """

    timeout = 240

    def serve(self, *options, workers=False, ipv6=False):
        """
        Start the server and wait until it (and each worker) is ready.

        @param options: more ftpkit options.
        @param workers: run C{--workers 2}.
        @param ipv6: listen on C{::1} (skipped where it has none).
        @return: its L{ServerProcess}.
        """
        if ipv6 and not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.makeCertificates()
        self.root = scratchDirectory(self)
        os.makedirs(os.path.join(self.root, "emptydir"))
        with open(os.path.join(self.root, "empty.bin"), "wb"):
            pass
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(PAYLOAD)
        listen = ("tcp6:{}:interface=\\:\\:1" if ipv6
                  else "tcp:{}:interface=127.0.0.1")
        server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:u:p",
                   "--tls-cert", self.both,
                   *(["--workers", "2"] if workers else []), *options],
            twistd=True, host="::1" if ipv6 else "127.0.0.1",
            listen=lambda port: ["--listen", listen.format(port)])
        if workers:
            server.waitForLog(WORKER_READY, 2)
        else:
            server.waitForGreeting()
        return server

    def ftps(self, server, protect=True, version=None):
        """
        @param protect: C{PROT P} (data connections resuming the control
            connection's TLS session), else C{PROT C}.
        @param version: the highest TLS version offered, or C{None}.
        @return: an ftplib client logged in under TLS.
        """
        context = clientContext()
        if version is not None:
            context.maximum_version = version
        client = (ReusingFTPTLS if protect else ftplib.FTP_TLS)(
            context=context)
        return ftplibLogin(self, server.port, "u", "p", host=server.host,
                           client=client, protect=protect, binary=True)

    def url(self, server, path=""):
        """
        @return: the C{ftp://} URL of C{path} on C{server}.
        """
        host = "[::1]" if server.host == "::1" else server.host
        return "ftp://%s:%d/%s" % (host, server.port, path)


class FtplibEdgesTests(EdgeServerMixin, unittest.TestCase):
    """
    Empty files and directories, C{REST} at the end, and the commands
    around TLS, with ftplib (and C{openssl s_client}).
    """

    def emptyEntries(self, server):
        """
        Under C{PROT P} and C{PROT C}, passive and active: a 0-byte
        file fetched and stored, an empty directory listed three ways, and
        C{REST} at the end of C{f.bin} then C{RETR}: nothing to move, and
        C{226} every time.
        """
        for protect in (True, False):
            ftp = self.ftps(server, protect)
            for passive in (True, False):
                ftp.set_pasv(passive)
                where = (protect, passive)
                fetched = []
                self.assertEqual(ftp.retrbinary("RETR empty.bin",
                                                fetched.append)[:3], "226")
                self.assertEqual(b"".join(fetched), b"", where)
                name = "up-%s-%s.bin" % where
                self.assertEqual(ftp.storbinary("STOR " + name,
                                                io.BytesIO())[:3], "226")
                self.assertEqual(
                    os.path.getsize(os.path.join(self.root, name)), 0)
                self.assertEqual(ftp.nlst("emptydir"), [], where)
                listed = []
                self.assertEqual(ftp.retrlines("LIST emptydir",
                                               listed.append)[:3], "226")
                self.assertEqual(listed, [], where)
                facts = [fact for name, fact in ftp.mlsd("emptydir")]
                self.assertEqual(sorted(fact["type"] for fact in facts),
                                 ["cdir", "pdir"], where)
                fetched = []
                self.assertEqual(ftp.retrbinary(
                    "RETR f.bin", fetched.append, rest=len(PAYLOAD))[:3],
                    "226")
                self.assertEqual(b"".join(fetched), b"", where)
            if protect:
                self.assertTrue(all(ftp.reused), ftp.reused)
            ftp.quit()

    def test_emptyEntriesOneProcess(self):
        """
        In one process on C{127.0.0.1} (C{PASV}, C{PORT}).
        """
        self.emptyEntries(self.serve())

    def test_emptyEntriesWorkersIPv6(self):
        """
        Through C{--workers 2} on C{::1} (C{EPSV}, C{EPRT}), with session
        reuse required.
        """
        self.emptyEntries(self.serve("--tls-require-session-reuse",
                                     workers=True, ipv6=True))

    def commandEdges(self, server):
        """
        C{AUTH TLS} again gets C{503} and the session goes on; C{REIN}
        under TLS gets C{502}; C{PROT P} before C{PBSZ} gets C{503};
        C{AUTH SSL} is C{AUTH TLS}; C{ABOR} in the middle of a C{PROT P}
        download ends it with C{426}, then C{226} or C{225}, and the
        next transfer works.
        """
        ftp = self.ftps(server, protect=False)
        with self.assertRaises(ftplib.error_perm) as refused:
            ftp.sendcmd("AUTH TLS")
        self.assertTrue(str(refused.exception).startswith("503"))
        with self.assertRaises(ftplib.error_perm) as refused:
            ftp.sendcmd("REIN")
        self.assertTrue(str(refused.exception).startswith("502"))
        with self.assertRaises(ftplib.error_perm) as refused:
            ftp.sendcmd("PROT P")
        self.assertEqual(str(refused.exception),
                         "503 PROT requires PBSZ first")
        self.assertEqual(ftp.pwd(), "/")
        ftp.quit()

        ftp = ReusingFTPTLS(context=clientContext())
        self.addCleanup(ftp.close)
        ftp.connect(server.host, server.port, timeout=30)
        self.assertEqual(ftp.voidcmd("AUTH SSL")[:3], "234")
        ftp.sock = ftp.context.wrap_socket(ftp.sock,
                                           server_hostname=server.host)
        ftp.file = ftp.sock.makefile("r", encoding=ftp.encoding)
        ftp.login("u", "p")
        ftp.prot_p()
        ftp.voidcmd("TYPE I")
        # Larger than what the sockets between them hold: the server is
        # still sending when the ABOR arrives.
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.truncate(64 << 20)
        data = ftp.transfercmd("RETR big.bin")
        self.assertTrue(data.recv(1000))
        # As ftplib's abort() sends it, without the Telnet "urgent"
        # bytes (TLS cannot carry them); abort() reads one reply only.
        ftp.putcmd("ABOR")
        first = ftp.getmultiline()
        data.close()
        second = ftp.getmultiline()
        self.assertEqual(first[:3], "426")
        self.assertIn(second[:3], ("225", "226"))
        fetched = []
        ftp.retrbinary("RETR f.bin", fetched.append)
        self.assertEqual(b"".join(fetched), PAYLOAD)
        self.assertEqual(ftp.reused, [True, True])
        ftp.quit()

    def test_commandEdgesOneProcess(self):
        """
        In one process on C{127.0.0.1}.
        """
        self.commandEdges(self.serve())

    def test_commandEdgesWorkersIPv6(self):
        """
        Through C{--workers 2} on C{::1}, with session reuse required,
        and what C{openssl s_client -starttls ftp} is answered.
        """
        server = self.serve("--tls-require-session-reuse", workers=True,
                            ipv6=True)
        self.commandEdges(server)
        openssl = skipUnlessBinary("openssl")
        done = subprocess.run(
            [openssl, "s_client", "-quiet", "-starttls", "ftp", "-connect",
             "[::1]:%d" % server.port],
            input=b"USER u\r\nPASS p\r\nPROT P\r\nPBSZ 0\r\nPROT P\r\n"
                  b"AUTH TLS\r\nREIN\r\nNOOP\r\nQUIT\r\n",
            capture_output=True, timeout=60, check=False)
        # Whether s_client shows the greeting depends on when it reads.
        codes = [line[:3] for line in done.stdout.decode().splitlines()
                 if line[:3].isdigit() and line[3:4] == " "
                 and line[:3] != "220"]
        self.assertEqual(
            codes, ["331", "230", "503", "200", "200", "503", "502",
                    "200", "221"], done.stdout)

    def test_uploadWithoutCloseNotify(self):
        """
        An upload whose client closes its data connection (a FIN) without
        a C{close_notify} right after the last byte gets C{426} and does
        not become the file, through C{--workers 2} on C{::1}, as
        docs/tls.rst says; the session goes on.
        """
        server = self.serve(workers=True, ipv6=True)
        ftp = self.ftps(server)
        data = ftp.transfercmd("STOR cut.bin")
        data.sendall(PAYLOAD)
        data.close()
        with self.assertRaises(ftplib.error_temp) as cut:
            ftp.voidresp()
        self.assertTrue(str(cut.exception).startswith("426"))
        self.assertFalse(os.path.exists(os.path.join(self.root, "cut.bin")))
        self.assertEqual(ftp.storbinary("STOR cut.bin",
                                        io.BytesIO(PAYLOAD))[:3], "226")
        with open(os.path.join(self.root, "cut.bin"), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD)
        ftp.quit()


class RefusedBeforeCommandTests(EdgeServerMixin, unittest.TestCase):
    """
    Under C{--tls-require-session-reuse}, a client whose data connection
    completes its handshake, and is refused, before its transfer command
    arrives (curl after C{CCC} under TLS 1.3: its handshake ends on its
    side before it sends C{RETR}).
    """

    def refusedFirst(self, server, version, command):
        """
        Open a passive data connection with a full handshake (no session
        resumed), wait until the server drops it, then send C{command}.

        @return: the final reply to C{command}.
        """
        context = clientContext()
        context.maximum_version = version
        ftp = ftplibLogin(self, server.port, "u", "p", host=server.host,
                          client=ftplib.FTP_TLS(context=context),
                          protect=True, binary=True)
        host, port = ftp.makepasv()
        raw = socket.create_connection((host, port), timeout=30)
        self.addCleanup(raw.close)
        try:
            data = context.wrap_socket(raw, server_hostname=server.host)
            self.addCleanup(data.close)
            # TLS 1.3: the client's handshake ends first; the server's
            # refusal then ends the connection.
            self.assertEqual(data.recv(10), b"")
        except ConnectionResetError:
            pass  # TLS 1.2: refused within the handshake
        server.waitForLog(REFUSED)
        ftp.putcmd(command)
        reply = ftp.getmultiline()
        if reply.startswith("150 "):
            # As when the refusal comes after the command.
            reply = ftp.getmultiline()
        self.assertEqual(ftp.voidcmd("NOOP")[:3], "200")
        ftp.quit()
        return reply

    def test_refusedBeforeCommand(self):
        """
        The transfer command gets C{426} at once, saying why: it waited
        for a data connection that would never come, then (60 seconds
        later, after the client had given up) got C{425 Data connection
        timed out}. Downloads, uploads and listings, TLS 1.2 and 1.3.
        """
        server = self.serve("--tls-require-session-reuse", "--tls-allow-1.3")
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            for command in ("RETR f.bin", "STOR refused.bin", "LIST"):
                reply = self.refusedFirst(server, version, command)
                self.assertTrue(reply.startswith("426 "), reply)
                self.assertIn("session reuse required", reply)
        self.assertFalse(os.path.exists(os.path.join(self.root,
                                                     "refused.bin")))


class CurlEdgesTests(EdgeServerMixin, unittest.TestCase):
    """
    curl's options at the edges of FTPS.
    """

    def setUp(self):
        self.curl = skipUnlessBinary("curl")
        self.local = scratchDirectory(self)

    def curlRun(self, *args):
        """
        Run curl under explicit FTPS (C{--ssl-reqd}).

        @return: the finished process.
        """
        return subprocess.run(
            [self.curl, "-sS", "-k", "--ssl-reqd", "-u", "u:p",
             "--max-time", "60", *args],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
            check=False)

    def test_skipPasvIP(self):
        """
        C{--ftp-skip-pasv-ip} with C{PASV} (C{--disable-epsv}): curl
        connects to the control connection's address, not the one in the
        C{227}; a download, an upload and a listing, through C{--workers
        2}.
        """
        server = self.serve(workers=True)
        source = os.path.join(self.local, "source.bin")
        with open(source, "wb") as f:
            f.write(PAYLOAD)
        got = os.path.join(self.local, "got.bin")
        done = self.curlRun(
            "--disable-epsv", "--ftp-skip-pasv-ip",
            "-o", got, self.url(server, "f.bin"),
            "-o", os.path.join(self.local, "list"),
            self.url(server, "emptydir/"))
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.curlRun("--disable-epsv", "--ftp-skip-pasv-ip",
                            "-T", source, self.url(server, "up.bin"))
        self.assertEqual(done.returncode, 0, done.stderr)
        for path in (got, os.path.join(self.root, "up.bin")):
            with open(path, "rb") as f:
                self.assertEqual(f.read(), PAYLOAD)

    def test_sessionIdWithReuseRequired(self):
        """
        Under C{--tls-require-session-reuse}, curl's default
        C{--sessionid} resumes on every data connection (TLS 1.2 and 1.3);
        with C{--no-sessionid} each data connection makes a full handshake
        and is refused: curl fails, the server logs the refusal and the
        upload does not become a file.
        """
        server = self.serve("--tls-require-session-reuse", "--tls-allow-1.3")
        source = os.path.join(self.local, "source.bin")
        with open(source, "wb") as f:
            f.write(PAYLOAD)
        for version in ("1.2", "1.3"):
            # curl gives its nth -T (and -o) to its nth URL: one command
            # each.
            done = self.curlRun(
                "--tls-max", version,
                "-o", os.path.join(self.local, version),
                self.url(server, "f.bin"), self.url(server, "emptydir/"))
            self.assertEqual(done.returncode, 0, done.stderr)
            done = self.curlRun("--tls-max", version, "-T", source,
                                self.url(server, "up%s.bin" % version))
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(os.path.join(self.root, "up%s.bin" % version),
                      "rb") as f:
                self.assertEqual(f.read(), PAYLOAD)
        self.assertNotIn(REFUSED, server.log())
        for version in ("1.2", "1.3"):
            done = self.curlRun("--no-sessionid", "--tls-max", version,
                                "-T", source,
                                self.url(server, "no%s.bin" % version))
            self.assertNotEqual(done.returncode, 0, done.stderr)
            self.assertFalse(os.path.exists(
                os.path.join(self.root, "no%s.bin" % version)))
        server.waitForLog(REFUSED, 2)


class ReloadWithSessionsTests(EdgeServerMixin, unittest.TestCase):
    """
    C{SIGHUP} reloads the certificate while sessions are open.
    """

    def test_reuseRequired(self):
        """
        Through C{--workers 2} on C{::1} with C{--tls-require-session-reuse}
        and TLS 1.3 offered: the sessions open at the reload (one under
        TLS 1.2, one under 1.3) keep resuming their TLS session on every
        data connection after it, a curl download running across it
        completes, and a new session gets the new certificate.
        """
        curl = skipUnlessBinary("curl")
        server = self.serve("--tls-require-session-reuse", "--tls-allow-1.3",
                            workers=True, ipv6=True)
        big = os.path.join(self.root, "big.bin")
        with open(big, "wb") as f:
            f.write(PAYLOAD * 60)
        sessions = [self.ftps(server, version=version) for version in
                    (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)]
        for ftp in sessions:
            ftp.retrbinary("RETR f.bin", lambda data: None)
        got = os.path.join(scratchDirectory(self), "big.bin")
        download = subprocess.Popen(
            [curl, "-sS", "-k", "--ssl-reqd", "-u", "u:p", "--max-time",
             "60", "--limit-rate", "2M", "-o", got,
             self.url(server, "big.bin")],
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(download.wait)
        self.addCleanup(download.kill)
        newCert, newKey, newBoth = makeCertificate(self.certDir, "new")
        server.waitFor(lambda: os.path.exists(got), "curl's download")
        os.replace(newBoth, self.both)
        server.signal(signal.SIGHUP)
        server.waitForLog("reloaded the TLS certificate")
        for ftp in sessions:
            for _ in range(3):
                fetched = []
                ftp.retrbinary("RETR f.bin", fetched.append)
                self.assertEqual(b"".join(fetched), PAYLOAD)
                self.assertEqual(ftp.storbinary(
                    "STOR up.bin", io.BytesIO(PAYLOAD))[:3], "226")
                self.assertEqual(ftp.nlst("emptydir"), [])
            self.assertTrue(all(ftp.reused), ftp.reused)
            self.assertEqual(len(ftp.reused), 10)
            ftp.quit()
        self.assertEqual(download.wait(120), 0, download.stderr.read())
        with open(got, "rb") as f:
            self.assertEqual(f.read(), PAYLOAD * 60)
        self.assertNotIn(REFUSED, server.log())
        fresh = self.ftps(server)
        with open(newCert) as f:
            self.assertEqual(fresh.sock.getpeercert(binary_form=True),
                             ssl.PEM_cert_to_DER_cert(f.read()))
        fresh.quit()


class LftpTests(EdgeServerMixin, unittest.TestCase):
    """
    lftp mirroring empty files and directories, and copying a file
    between two servers (FXP) that both require session reuse.
    """

    def test_mirrorEmptyEntries(self):
        """
        A tree of a 0-byte file, an empty directory and one holding only
        an empty directory, mirrored up and back through C{--workers 2}
        on C{::1}, under C{PROT P} and C{PROT C} (C{ftp:ssl-protect-data}),
        passive and active, with C{ftp:prefer-epsv} on and off.
        """
        lftp = skipUnlessBinary("lftp")
        server = self.serve(workers=True, ipv6=True)
        local = scratchDirectory(self)
        tree = os.path.join(local, "tree")
        os.makedirs(os.path.join(tree, "emptydir"))
        os.makedirs(os.path.join(tree, "sub", "emptysub"))
        with open(os.path.join(tree, "zero.bin"), "wb"):
            pass
        runs = 0
        for protect in ("yes", "no"):
            for epsv in ("yes", "no"):
                for passive in ("yes", "no"):
                    runs += 1
                    back = os.path.join(local, "back%d" % runs)
                    done = subprocess.run(
                        [lftp, "-u", "u,p", "-e",
                         "set cmd:fail-exit yes; set net:max-retries 1; "
                         "set net:timeout 20; set ssl:verify-certificate no; "
                         "set ftp:ssl-force yes; set mirror:set-permissions "
                         "no; set ftp:ssl-protect-data %s; set "
                         "ftp:prefer-epsv %s; set ftp:passive-mode %s; "
                         "mirror -R %s /m%d; mirror /m%d %s; quit"
                         % (protect, epsv, passive, tree, runs, runs, back),
                         self.url(server)],
                        capture_output=True, timeout=120,
                        stdin=subprocess.DEVNULL, check=False)
                    self.assertEqual(done.returncode, 0, done.stderr)
                    served = os.path.join(self.root, "m%d" % runs)
                    self.assertTrue(os.path.isdir(
                        os.path.join(served, "sub", "emptysub")))
                    for top in (served, back):
                        self.assertEqual(os.path.getsize(
                            os.path.join(top, "zero.bin")), 0)
                    for directory in ("emptydir", "sub/emptysub"):
                        self.assertEqual(
                            os.listdir(os.path.join(back, directory)), [])

    def test_copyThroughClient(self):
        """
        lftp's protected FXP needs C{CPSV} or C{SSCN}, refused with
        C{--tls-require-session-reuse} (lftp 4.9 sends C{CPSV} even where
        C{FEAT} does not list it, and then gives the copy up); with
        C{ftp:use-fxp no} it copies through itself, under TLS on both
        sides (docs/tls.rst).
        """
        lftp = skipUnlessBinary("lftp")
        first = self.serve("--tls-require-session-reuse")
        second = self.serve("--tls-require-session-reuse")
        settings = ("set ssl:verify-certificate no; set ftp:ssl-force yes; "
                    "set ftp:ssl-protect-data yes; set net:max-retries 1; "
                    "set net:timeout 20; set cmd:fail-exit yes; ")
        source = self.url(first, "f.bin").replace("ftp://", "ftp://u:p@")
        target = self.url(second, "copy.bin").replace("ftp://", "ftp://u:p@")
        done = subprocess.run(
            [lftp, "-e", settings + "set ftp:use-fxp no; get %s -o %s; quit"
             % (source, target)],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
            check=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(self.root, "copy.bin"), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD)
        self.assertNotIn(REFUSED, first.log() + second.log())

