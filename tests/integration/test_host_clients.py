"""
C{HOST} (RFC 7151) against a real server process: lftp (which sends
C{HOST} with the name it connected to when C{FEAT} lists it) and Python's
ftplib (which has no HOST method: C{sendcmd} sends it).
"""

import ftplib
import io
import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

LFTP = shutil.which("lftp")


class VirtualHostServerTests(unittest.TestCase):
    """
    A server with two virtual hosts, each with its own directory, and a
    default directory for clients that send no HOST (or another name).
    """

    def setUp(self):
        self.roots = {}
        for name in ("default", "a", "b"):
            root = os.path.abspath(self.mktemp())
            os.makedirs(os.path.join(root, "alice"))
            with open(os.path.join(root, "here-" + name), "wb") as f:
                f.write(name.encode())
            self.roots[name] = root
        self.server = ServerProcess(self, [
            "--root", self.roots["default"], "--home-per-user",
            "--auth", "anonymous", "--auth", "memory:alice:secret",
            "--vhost", f"a.example,www.a.example=filesystem:{self.roots['a']}",
            "--vhost", f"b.example=filesystem:{self.roots['b']}",
            "--vhost", f"localhost=filesystem:{self.roots['b']}",
            "--vhost-banner", "b.example=Welcome to B",
        ], twistd=True)
        self.server.waitForGreeting()

    def connect(self, host=None):
        """
        @param host: the name to send with HOST, if any.
        @return: a connected C{ftplib.FTP}, not yet logged in.
        """
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        if host is not None:
            self.assertTrue(ftp.sendcmd("HOST " + host).startswith("220"))
        return ftp

    def test_anonymousPerHost(self):
        """
        Anonymous users see the directory of the host they named; without
        HOST, the default one.
        """
        for host, name in ((None, "default"), ("a.example", "a"),
                           ("WWW.A.EXAMPLE", "a"), ("b.example", "b")):
            ftp = self.connect(host)
            ftp.login()
            self.assertEqual(ftp.nlst(), ["alice", "here-" + name], host)

    def test_userHomePerHost(self):
        """
        With C{--home-per-user}, a user's home is under the virtual host's
        directory; an upload lands there. Anonymous users stay read-only
        on every host.
        """
        ftp = self.connect()
        self.assertEqual(ftp.sendcmd("HOST b.example"), "220 Welcome to B")
        ftp.login("alice", "secret")
        ftp.storbinary("STOR up.txt", io.BytesIO(b"data"))
        with open(os.path.join(self.roots["b"], "alice", "up.txt"),
                  "rb") as f:
            self.assertEqual(f.read(), b"data")
        anonymous = self.connect("b.example")
        anonymous.login()
        self.assertRaises(ftplib.error_perm, anonymous.storbinary,
                          "STOR x", io.BytesIO(b"x"))

    def test_rules(self):
        """
        FEAT lists HOST; an unknown name gets 504; HOST after USER gets
        503; REIN goes back to the default host.
        """
        ftp = self.connect()
        self.assertIn(" HOST\n", ftp.sendcmd("FEAT") + "\n")
        with self.assertRaises(ftplib.error_perm) as e:
            ftp.sendcmd("HOST c.example")
        self.assertTrue(str(e.exception).startswith("504"))
        ftp.sendcmd("HOST a.example")
        ftp.login()
        with self.assertRaises(ftplib.error_perm) as e:
            ftp.sendcmd("HOST b.example")
        self.assertTrue(str(e.exception).startswith("503"))
        self.assertIn("here-a", ftp.nlst())
        self.assertTrue(ftp.sendcmd("REIN").startswith("220"))
        ftp.login()
        self.assertIn("here-default", ftp.nlst())

    def lftp(self, host):
        """
        List the root directory with lftp as an anonymous user.

        @param host: the name lftp connects to (and sends with HOST).
        @return: lftp's output.
        """
        commands = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                    "set dns:order inet; set net:max-retries 1; "
                    "set net:timeout 20; cls; quit")
        done = subprocess.run(
            [LFTP, "-u", "anonymous,x", "-p", str(self.server.port), "-e",
             commands, host], capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_lftp(self):
        """
        lftp sends HOST with the name it was given: C{localhost} is a
        virtual host here, C{127.0.0.1} the server's own address (the
        default realm).
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        self.assertIn("here-b", self.lftp("localhost").split())
        self.assertIn("here-default", self.lftp("127.0.0.1").split())
        self.server.waitForLog("chose virtual host localhost")


class TLSServerNameTests(unittest.TestCase):
    """
    After C{AUTH TLS}, HOST must name the host the client's handshake
    named (SNI), as ftplib sends it when it connects by name.
    """

    def setUp(self):
        from tests.tlssupport import makeCertificate

        certificates = scratchDirectory(self)
        _, _, both = makeCertificate(certificates)
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "here-localhost"), "wb"):
            pass
        self.server = ServerProcess(self, [
            "--realm", "memory", "--auth", "anonymous", "--tls-cert", both,
            "--vhost", f"localhost=filesystem:{self.root}",
            "--vhost", "a.example=memory",
        ], twistd=True)
        self.server.waitForGreeting()

    def connect(self, host):
        """
        @param host: the name or address to connect to (and, for a name,
            to send as SNI).
        @return: an C{ftplib.FTP_TLS} after C{AUTH TLS}.
        """
        from tests.tlssupport import clientContext

        ftp = ftplib.FTP_TLS(context=clientContext())
        ftp.connect(host, self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.auth()
        return ftp

    def test_serverNameMustMatch(self):
        """
        With SNI C{localhost}, HOST a.example gets 504 and HOST localhost
        220 (and its realm).
        """
        ftp = self.connect("localhost")
        with self.assertRaises(ftplib.error_perm) as e:
            ftp.sendcmd("HOST a.example")
        self.assertTrue(str(e.exception).startswith("504"))
        self.assertTrue(ftp.sendcmd("HOST LOCALHOST").startswith("220"))
        ftp.login()
        ftp.prot_p()
        self.assertEqual(ftp.nlst(), ["here-localhost"])

    def test_withoutServerName(self):
        """
        Connected by address, the client sends no SNI: any served name
        will do.
        """
        ftp = self.connect("127.0.0.1")
        self.assertTrue(ftp.sendcmd("HOST a.example").startswith("220"))
