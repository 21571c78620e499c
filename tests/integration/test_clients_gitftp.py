"""
Git's ways to a server over FTP, against C{python -m ftpkit} in a child
process, in one process and with C{--workers 2}:

 - git-ftp 1.6 (Debian's C{git-ftp}), which deploys a Git work tree:
   C{init} uploads every tracked file with one curl command (C{-T} of each
   file, C{--ftp-create-dirs}) and then C{.git-ftp.log}, the commit's
   SHA1; C{push} reads that file back, uploads what changed since and
   deletes what went with C{-Q "-*DELE path"}; C{snapshot} makes a
   repository of a served directory with lftp's C{mirror}. In clear
   (passive, C{--disable-epsv}, active C{-A}), over explicit FTPS
   (C{ftpes://}) and over implicit FTPS (C{ftps://});
 - git's own C{ftp://} and C{ftps://} transport (libcurl, the "dumb"
   protocol: C{info/refs}, then each object, asking for files that are
   not there), cloning a bare repository the server holds.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import EndpointServerMixin, readTree
from tests.clienttrees import writeTree
from tests.serverprocess import freePort

GIT = shutil.which("git")
GIT_FTP = shutil.which("git-ftp")
CURL = shutil.which("curl")
LFTP = shutil.which("lftp")

AUTHOR = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
          "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
          "GIT_CONFIG_NOSYSTEM": "1", "GIT_SSL_NO_VERIFY": "1"}
"""The environment every git and git-ftp run gets: who commits, no system
configuration, and no verification of the test's certificate (git's own
transport)."""

FIRST = {
    "index.html": b"<p>one</p>\n",
    "empty.txt": b"",
    "caf\u00e9\u20ac.txt": b"utf-8\n",
    "#hash.txt": b"hash\n",
    "100%.txt": b"percent\n",
    "-dash.txt": b"dash\n",
    "css/deep/site.css": b"p {}\n",
    "gone/only.txt": b"alone\n",
    "big.bin": os.urandom(300000),
}
"""The work tree of the first commit, by path (git-ftp 1.6 cannot upload a
name holding a blank: see docs/protocol.rst)."""

SECOND = {
    "index.html": b"<p>two</p>\n",
    "empty.txt": b"",
    "caf\u00e9\u20ac.txt": b"",
    "css/deep/site.css": b"p { margin: 0 }\n",
    "js/new/app.js": b"go()\n",
    "-dash.txt": b"dash\n",
    "100%.txt": b"percent\n",
    "big.bin": os.urandom(300001),
}
"""The second commit's: changed, emptied, new in a new directory, and
C{#hash.txt}, C{gone/only.txt} deleted."""


class GitFTPMixin(EndpointServerMixin):
    """
    A server with a clear listener (explicit FTPS offered) and an
    implicit FTPS one, both on C{127.0.0.1}; a Git work tree to deploy.
    """

    if GIT is None or CURL is None:
        skip = "git or curl is not installed"

    workers = ()

    cloneOptions = ()

    def setUp(self):
        EndpointServerMixin.setUp(self)
        server = self.serverProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.cert, "--tls-key", self.key,
                   *self.workers],
            listen=self.listeners)
        server.waitForLog("ftpkit listening on", 2)
        if "--workers" in self.workers:
            server.waitForLog(" ready\n", 2)
        self.port = server.port
        self.work = os.path.join(self.local, "work")
        os.makedirs(self.work)
        self.config = os.path.join(self.local, "config")
        os.makedirs(os.path.join(self.config, "lftp"))
        with open(os.path.join(self.config, "lftp", "rc"), "w") as f:
            f.write("set ssl:verify-certificate no\n")
        self.git("init", "-q")

    def listeners(self, port):
        """
        The server's C{--listen} options, the implicit port picked again
        each time it starts (a start on a port taken meanwhile is made
        again, on new ports: L{tests.serverprocess.ServerProcess}).

        @param port: the clear listener's port.
        @return: the options: that port and L{implicitPort} (implicit
            FTPS), both on C{127.0.0.1}.
        """
        self.implicitPort = freePort()
        tls = "privateKey=%s:certKey=%s" % (self.key, self.cert)
        return ["--listen", "tcp:%d:interface=127.0.0.1" % port,
                "--listen", "ssl:%d:interface=127.0.0.1:%s"
                % (self.implicitPort, tls)]

    def runIn(self, args, cwd=None):
        """
        Run a program in the work tree (or C{cwd}) with L{AUTHOR}'s
        environment, and an lftp configuration that verifies no
        certificate (git-ftp's C{--insecure} sets that for lftp after lftp
        has tried the first connection: see docs/protocol.rst); it must
        succeed.

        @return: its C{subprocess.CompletedProcess}.
        """
        done = subprocess.run(args, cwd=cwd or self.work, capture_output=True,
                              timeout=120, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, XDG_CONFIG_HOME=self.config,
                                       **AUTHOR))
        self.assertEqual(done.returncode, 0, (args, done.stdout, done.stderr))
        return done

    def git(self, *args, cwd=None):
        """
        Run git.
        """
        return self.runIn([GIT, *args], cwd=cwd)

    def commit(self, files):
        """
        Make the work tree hold C{files} alone, and commit it.
        """
        for name in os.listdir(self.work):
            if name != ".git":
                path = os.path.join(self.work, name)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
        for name, data in files.items():
            path = os.path.join(self.work, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "deploy")
        return self.git("rev-parse", "HEAD").stdout.decode().strip()

    def gitFTP(self, action, url, *options):
        """
        Run git-ftp as alice.
        """
        return self.runIn([GIT_FTP, action, "--insecure", "-u", "alice", "-p",
                         "secret", *options, url])

    def assertDeployed(self, site, files, head):
        """
        The served directory holds C{files} and the deployed commit.
        """
        served, _ = readTree(os.path.join(self.root, site))
        self.assertEqual(served.pop(".git-ftp.log").strip(), head.encode())
        self.assertEqual(served, files)

    def deploy(self, url, site, *options):
        """
        C{init} the first commit, then C{push} the second.
        """
        if GIT_FTP is None:
            raise unittest.SkipTest("git-ftp is not installed")
        head = self.commit(FIRST)
        self.gitFTP("init", url, *options)
        self.assertDeployed(site, FIRST, head)
        head = self.commit(SECOND)
        self.gitFTP("push", url, *options)
        self.assertDeployed(site, SECOND, head)
        self.assertEqual(os.listdir(os.path.join(self.root, site, "gone")),
                         [])
        shown = self.gitFTP("show", url, *options).stdout
        self.assertIn(head.encode(), shown)
        self.assertIn(b"Everything up-to-date",
                      self.gitFTP("push", url, *options).stdout)

    def test_explicitTLS(self):
        """
        The same over explicit FTPS (C{ftpes://}: curl's C{--ssl}, C{AUTH
        TLS} and C{PROT P}).
        """
        self.deploy("ftpes://127.0.0.1:%d/site" % self.port, "site")

    def test_cloneOverFTP(self):
        """
        C{git clone} of a bare repository the server holds, over C{ftp://}
        and over implicit FTPS.
        """
        head = self.commit(FIRST)
        bare = os.path.join(self.root, "repo.git")
        self.git("clone", "-q", "--bare", self.work, bare)
        self.git("update-server-info", cwd=bare)
        urls = ["ftp://alice:secret@127.0.0.1:%d/repo.git" % self.port,
                "ftps://alice:secret@127.0.0.1:%d/repo.git"
                % self.implicitPort]
        for index, url in enumerate(urls):
            into = os.path.join(self.local, "clone%d" % index)
            self.git(*self.cloneOptions, "clone", "-q", url, into,
                     cwd=self.local)
            self.assertEqual(self.git("rev-parse", "HEAD", cwd=into)
                             .stdout.decode().strip(), head, url)
            files, _ = readTree(into)
            self.assertEqual({name: data for name, data in files.items()
                              if not name.startswith(".git/")}, FIRST, url)


class SingleProcessTests(GitFTPMixin, unittest.TestCase):
    """
    Against one process.
    """

    def test_clearPassive(self):
        """
        C{init} and C{push} in clear, C{EPSV}, into a directory that does
        not exist yet.
        """
        self.deploy("ftp://127.0.0.1:%d/www/site" % self.port, "www/site")

    def test_clearPASVAndActive(self):
        """
        C{init} with C{PASV} only (C{--disable-epsv}), then C{push} in
        active mode (C{-A}: C{EPRT}).
        """
        if GIT_FTP is None:
            raise unittest.SkipTest("git-ftp is not installed")
        url = "ftp://127.0.0.1:%d/site" % self.port
        head = self.commit(FIRST)
        self.gitFTP("init", url, "--disable-epsv")
        self.assertDeployed("site", FIRST, head)
        head = self.commit(SECOND)
        self.gitFTP("push", url, "-A")
        self.assertDeployed("site", SECOND, head)

    def test_implicitTLS(self):
        """
        C{init} and C{push} over implicit FTPS (C{ftps://}).
        """
        self.deploy("ftps://127.0.0.1:%d/site" % self.implicitPort, "site")

    def test_snapshot(self):
        """
        C{snapshot} of a served directory (lftp's C{mirror}, C{LIST -a}
        set as its listing options) makes a repository of it, empty file
        and UTF-8 name included, and records its commit there.
        """
        if GIT_FTP is None or LFTP is None:
            raise unittest.SkipTest("git-ftp or lftp is not installed")
        site = os.path.join(self.root, "site")
        writeTree(site, FIRST)
        into = os.path.join(self.local, "snap")
        os.makedirs(into)
        self.runIn([GIT_FTP, "snapshot", "--insecure", "-u", "alice",
                    "-p", "secret", "ftp://127.0.0.1:%d/site" % self.port],
                   cwd=into)
        files, _ = readTree(os.path.join(into, "site"))
        files = {name: data for name, data in files.items()
                 if not name.startswith(".git/")}
        self.assertEqual(files, FIRST)
        head = self.git("rev-parse", "HEAD",
                        cwd=os.path.join(into, "site")).stdout.strip()
        self.assertEqual(readTree(site)[0][".git-ftp.log"].strip(), head)


class TwoWorkersTests(GitFTPMixin, unittest.TestCase):
    """
    Against C{--workers 2} with C{--tls-require-session-reuse} (the cells
    of L{SingleProcessTests} hold there too; left out for time). git
    clones with one connection at a time (C{http.maxRequests=1}): with
    several, libcurl's data connections present the TLS session another
    control connection stored last, which the option refuses (see
    docs/tls.rst).
    """

    workers = ("--workers", "2", "--tls-require-session-reuse")

    cloneOptions = ("-c", "http.maxRequests=1")
