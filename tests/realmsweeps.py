"""
A realm (the memory realm, or the disk realm) served in this process on
127.0.0.1 (explicit FTPS), on ::1 and with implicit TLS, and what the
client sweeps run against it share: how a client is cut half-way, run to
its end, and told its security and data connection mode
(L{tests.integration.test_clients_resume},
L{tests.integration.test_clients_edgetrees}).
"""

import ftplib
import io
import os
import signal
import ssl
import subprocess
import time

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.loopback import LoopbackServerMixin
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.tlssupport import Certificates, ImplicitLoopbackServer

BIG = os.urandom(1500000)
"""What each cut upload sends, then its resume."""

RATE = 300000
"""Bytes a second the cut uploads are held to, so that the kill, after
L{CUT_AFTER} seconds, comes half-way."""

CUT_AFTER = 1.5
"""Seconds an upload runs before its client is killed."""


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


def runClient(argv, cwd=None):
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


class RealmSweepMixin(Certificates, LoopbackServerMixin):
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


class MemoryRealmMixin:
    """
    A L{RealmSweepMixin}'s realm: C{--realm memory}.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)


class DiskRealmMixin:
    """
    A L{RealmSweepMixin}'s realm: the disk realm.
    """

    def makeRealm(self):
        """
        @return: the disk realm on the scratch root.
        """
        return FilesystemRealm(self.root)
