"""
Servers, trees and helpers the client matrices share: the tests of what
each client program or library does against C{python -m ftpkit} in a child
process (L{tests.integration.test_clients_resume},
L{tests.integration.test_clients_edgetrees},
L{tests.integration.test_clients_listings},
L{tests.integration.test_clients_curl},
L{tests.integration.test_clients_lftp},
L{tests.integration.test_clients_libraries} and
L{tests.integration.test_clients_tools}).
"""

import ftplib
import os
import shutil
import socket
import subprocess
import unicodedata

from twisted.trial import unittest

from tests.clienttrees import readFile
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import (
    Certificates,
    ImplicitFTPTLS,
    clientContext,
    makeCertificate,
)

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")

LFTP_SETTINGS = ("set cmd:fail-exit yes; set net:max-retries 1; "
                 "set net:timeout 20; set ssl:verify-certificate no; ")
"""Settings every lftp run of L{ClientServerMixin.lftp} starts
with."""

LFTP_MIRROR_SETTINGS = ("set cmd:fail-exit yes; set net:max-retries 1; "
                        "set net:timeout 20; set ssl:verify-certificate no; "
                        "set mirror:set-permissions no; ")
"""Settings every lftp run of the edge mirrors and cut transfers starts
with."""


def run(testCase, args, cwd=None):
    """
    Run a client, which must exit with status 0 within two minutes.

    @return: its standard output.
    """
    done = subprocess.run(args, cwd=cwd, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    testCase.assertEqual(done.returncode, 0, (args, done.stdout, done.stderr))
    return done.stdout


class EndpointServerMixin:
    """
    Starts C{python -m ftpkit} on a scratch root, alice's, with a
    certificate.
    """

    timeout = 300

    def setUp(self):
        from tests.serverprocess import ServerProcess
        self.serverProcess = ServerProcess
        self.root = os.path.abspath(self.mktemp())
        self.local = os.path.abspath(self.mktemp())
        certs = os.path.abspath(self.mktemp())
        for directory in (self.root, self.local, certs):
            os.makedirs(directory)
        self.cert, self.key, _ = makeCertificate(certs)

    def serve(self, listener, *options, host="127.0.0.1"):
        """
        Start a server listening on one endpoint, and wait until it (and
        each worker) is ready.

        @param listener: the C{--listen} endpoint, with C{{port}} and
            C{{tls}} (the certificate's options) to fill in.
        @return: its L{tests.serverprocess.ServerProcess}.
        """
        tls = "privateKey=%s:certKey=%s" % (self.key, self.cert)
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.cert, "--tls-key", self.key,
                   *options],
            listen=lambda port: ["--listen",
                                 listener.format(port=port, tls=tls)],
            host=host)
        server.waitForLog("ftpkit listening on")
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        return server


def freeIPv6Port():
    """
    @return: a TCP port on C{::1} that was free a moment ago.
    """
    from tests.serverprocess import freePort

    return freePort("::1", socket.AF_INET6)


class ClientServerMixin(EndpointServerMixin):
    """
    Starts C{python -m ftpkit} on a scratch root, alice's (and anonymous
    users'), with a certificate (made as L{EndpointServerMixin}'s are): one
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


def writeEdgeFiles(top):
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


UNICODE = "f\u00efl\u00e9 \u20ac.txt"
"""A name with blanks and two- and three-byte UTF-8 characters."""


def readBytes(path):
    """
    @return: the bytes of a local file.
    """
    with open(path, "rb") as f:
        return f.read()


EDGE = {
    "empty.bin": 0,
    "one.bin": 1,
    "k64.bin": 64 << 10,
    "k64 plus one.bin": (64 << 10) + 1,
    "caf\u00e9 \u20ac.txt": 11,
    "-dash.txt": 12,
    "#hash.txt": 13,
    "100%.txt": 14,
    "sub dir/deep/x.bin": 70000,
    "sub dir/empty.bin": 0,
}
"""The edge tree's files, by path, and their sizes."""

EDGE_DIRECTORIES = ("emptydir", "sub dir/empty sub")
"""The edge tree's empty directories."""

BASE_TIME = 1600000000
"""The edge files' times start here (2020-09-13 12:26:40 UTC), one day
and one second apart, so that a time off by a day or a minute shows."""


def writeEdge(top):
    """
    Write the edge tree (L{EDGE}, L{EDGE_DIRECTORIES}) under C{top},
    each file with a time of its own.
    """
    for index, (name, size) in enumerate(sorted(EDGE.items())):
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        when = BASE_TIME + index * 86401
        os.utime(path, (when, when))
    for name in EDGE_DIRECTORIES:
        os.makedirs(os.path.join(top, name))


def treeState(top, times=True):
    """
    @param times: whether each file's time is part of its state.
    @return: a dict from each path below C{top} to its file's bytes and
        whole-second time (or C{None}), C{"dir"} for a directory.
    """
    state = {}
    for directory, subdirectories, names in os.walk(top):
        for name in subdirectories:
            state[os.path.relpath(os.path.join(directory, name), top)] = "dir"
        for name in names:
            path = os.path.join(directory, name)
            state[os.path.relpath(path, top)] = (
                readFile(path), int(os.stat(path).st_mtime) if times else None)
    return state


WORKER_READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

MODES_TREE = {
    " lead.txt": b"blank first\n",
    "trail .txt": b"blank last\n",
    "-dash/zero": b"",
    "sub dir/big.bin": os.urandom(3 * 1024 * 1024 + 7),
    "sub dir/ deeper/small": b"x" * 1000,
}
"""The tree the mirrors fetch, by path; with L{MODES_EMPTY}."""

MODES_EMPTY = "empty dir"
"""The tree's empty directory."""


def writeModesTree(root):
    """
    Write L{MODES_TREE} and L{MODES_EMPTY} under C{root}.

    @param root: a directory.
    """
    for name, data in MODES_TREE.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(root, MODES_EMPTY))


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


class ServerModesMixin(Certificates):
    """
    A trial mixin: a server with explicit FTPS over a root holding
    L{MODES_TREE}, in one process or with C{--workers 2}.
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
        writeModesTree(self.root)
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:u:p",
            "--tls-cert", self.both,
            *(["--workers", "2"] if workers else [])])
        if workers:
            server.waitForLog(WORKER_READY, 2)
        else:
            server.waitForGreeting()
        return server
