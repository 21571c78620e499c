"""
After C{twistd} switches to C{--uid}/C{--gid} the interpreter may no
longer be able to read its own library: every module a session needs must
be imported before. Tested by a server that refuses every import from the
moment privileges would be dropped, serving a session that uses most of
what a session can.
"""

import ftplib
import io
import os
import shutil
import signal
import socket
import tempfile

from twisted.trial import unittest

from ftpkit.auth.users import hashPassword
from tests.ftpclient import ftplibLogin
from tests.integration.test_passwd import runCommand
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sockreads import readToEnd
from tests.tlssupport import clientContext, makeCertificate

_BLOCKING_TWISTD = """
import sys

from twisted.application import app

_startApplication = app.startApplication


class RefuseImports:
    def find_spec(self, name, path=None, target=None):
        sys.stderr.write("LAZY IMPORT %s\\n" % name)
        raise ImportError("refused lazy import of %s" % name)


def startApplication(application, save):
    sys.meta_path.insert(0, RefuseImports())
    _startApplication(application, save)


app.startApplication = startApplication
sys.argv[0] = "twistd"
from twisted.scripts.twistd import run
run()
"""
"""C{twistd}, refusing every import once privileges would be dropped."""


def _get(path, page):
    """
    @param path: a Unix socket an HTTP server listens on.
    @param page: the page to ask for.
    @return: its whole answer (the connection closes).
    """
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(30)
        client.connect(path)
        client.sendall(b"GET " + page + b" HTTP/1.1\r\nHost: localhost\r\n"
                       b"Connection: close\r\n\r\n")
        return readToEnd(client)


class LazyImportTests(unittest.TestCase):
    """
    A server with imports refused after start serves a whole session.
    """

    def test_session(self):
        """
        Users-file login, listings, uploads, downloads, renames, hashes,
        TLS and C{SIGHUP}: no reply is an error, no import is attempted
        (the filesystem shell, grp and pwd were imported at the first
        login).
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "alice"))
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{hashPassword("pw")}"\n'
                    'permissions = ["list", "read", "write", "append", "delete",'
                    ' "rename", "mkdir", "chmod"]\nquota = 1000000\n')
        cert, key, _ = makeCertificate(root)
        server = ServerProcess(self, [
            "--root", root, "--realm", f"users:{users}",
            "--auth", f"users:{users}",
            "--tls-cert", cert, "--tls-key", key],
            twistd=True, python=["-c", _BLOCKING_TWISTD])
        server.waitForGreeting()
        ftp = ftplibLogin(self, server.port, "alice", "pw", protect=True,
                          client=ftplib.FTP_TLS(context=clientContext()))
        self.exercise(ftp)
        ftp.prot_c()
        self.exercise(ftp)
        ftp.quit()
        server.signal(signal.SIGHUP)
        server.waitForLog("SIGHUP: reloading")
        server.login("alice", "pw").quit()
        self.assertNotIn("LAZY IMPORT", server.log())
        self.assertNotIn("Traceback", server.log())

    def test_metrics(self):
        """
        Scrapes of C{--metrics} (C{/metrics}, C{/sessions}) import
        nothing: the first one imported C{prometheus_client.core}, and
        under C{--uid}, with an interpreter that account may not read,
        every scrape got C{500} and logged a C{ModuleNotFoundError}.
        """
        directory = tempfile.mkdtemp(prefix="ftpkit-m")
        self.addCleanup(shutil.rmtree, directory)
        path = os.path.join(directory, "m.sock")
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--metrics", f"unix:{path}"],
            twistd=True, python=["-c", _BLOCKING_TWISTD])
        server.waitForGreeting()
        ftp = server.login()
        for page in (b"/metrics", b"/sessions", b"/metrics"):
            self.assertEqual(_get(path, page)[:12], b"HTTP/1.1 200")
        ftp.quit()
        self.assertNotIn("LAZY IMPORT", server.log())
        self.assertNotIn("Traceback", server.log())

    def exercise(self, ftp):
        """
        Run most commands of a session on C{ftp}.
        """
        data = os.urandom(100000)
        ftp.sendcmd("TYPE I")
        ftp.mkd("d")
        ftp.cwd("d")
        ftp.storbinary("STOR f.bin", io.BytesIO(data))
        ftp.storbinary("APPE f.bin", io.BytesIO(b"tail"))
        ftp.storlines("STOR f.txt", io.BytesIO(b"a\nb\n"))
        out = io.BytesIO()
        ftp.retrbinary("RETR f.bin", out.write)
        self.assertEqual(out.getvalue(), data + b"tail")
        ftp.retrbinary("RETR f.bin", out.write, rest=10)
        ftp.retrlines("RETR f.txt", lambda line: None)
        ftp.sendcmd("TYPE I")
        self.assertEqual(ftp.size("f.bin"), len(data) + 4)
        ftp.sendcmd("MDTM f.bin")
        ftp.sendcmd("HASH f.bin")
        ftp.sendcmd("OPTS HASH SHA-1")
        ftp.sendcmd("HASH f.bin")
        ftp.retrlines("LIST", lambda line: None)
        ftp.retrlines("MLSD", lambda line: None)
        ftp.nlst()
        ftp.sendcmd("MLST f.bin")
        ftp.sendcmd("STAT")
        ftp.sendcmd("FEAT")
        ftp.sendcmd("HELP")
        ftp.sendcmd("SYST")
        ftp.sendcmd("NOOP")
        ftp.sendcmd("EPSV")
        ftp.retrlines("LIST", lambda line: None)
        ftp.rename("f.txt", "g.txt")
        ftp.delete("g.txt")
        ftp.delete("f.bin")
        self.assertRaises(ftplib.error_perm, ftp.delete, "missing")
        ftp.cwd("/")
        ftp.rmd("d")
        ftp.pwd()

    def test_unixLogin(self):
        """
        A login checked by C{--auth unix} imports nothing (it imported
        C{spwd} at the first login).
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--auth", "unix"],
                               twistd=True, python=["-c", _BLOCKING_TWISTD])
        server.waitForGreeting()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.assertRaises(ftplib.error_perm, ftp.login, "nobody", "wrong")
        ftp.close()
        server.waitForLog("failed login")
        self.assertNotIn("LAZY IMPORT", server.log())


class ServiceAccountTests(unittest.TestCase):
    """
    A server running as a service account (C{--uid}/C{--gid}) after
    C{python -m ftpkit.passwd} rewrote its users file as root.
    """

    def test_deletedUserRefused(self):
        """
        A user deleted with C{--delete} can no longer log in: the file
        stays readable by the server, which reloads it.
        """
        if os.getuid() != 0:
            raise unittest.SkipTest("needs root to switch to another account")
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "alice"))
        os.makedirs(os.path.join(root, "bob"))
        os.chmod(os.path.dirname(root), 0o755)
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            for name in ("alice", "bob"):
                f.write(f'[users.{name}]\npassword = "{hashPassword("pw")}"\n')
        for path in (root, users, os.path.join(root, "alice"),
                     os.path.join(root, "bob")):
            os.chown(path, 65534, 65534)
        os.chmod(users, 0o600)
        server = ServerProcess(
            self, ["--root", root, "--realm", f"users:{users}",
                   "--auth", f"users:{users}"],
            twistd=True, twistdOptions=["-n", "--pidfile=", "--uid=65534",
                                        "--gid=65534"], cwd=root)
        server.waitForGreeting()
        server.login("alice", "pw").quit()
        code, out, err = runCommand(users, "--delete", "alice")
        self.assertEqual(code, 0, err)
        server.signal(signal.SIGHUP)
        server.waitForLog("reloaded 1 user from")
        self.assertRaises(ftplib.error_perm, server.login, "alice", "pw")
        server.login("bob", "pw").quit()
