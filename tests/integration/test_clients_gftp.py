"""
gftp-text 2.9.1b (Debian's C{gftp-text}, gFTP's command-line client)
against C{python -m ftpkit} in a child process, in one process and with
C{--workers 2}, in clear and over explicit FTPS (its C{ftps://}: C{AUTH
TLS}, C{PBSZ 0}, C{PROT P}): a download named on its command line
(C{-d}), then a session read from its standard input that fetches a tree
(C{mget *}: an empty file, an empty directory, a UTF-8 name), makes a
directory and uploads into it (C{mput}, then C{SITE CHMOD}).
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import UNICODE, ClientServerMixin, readTree
from tests.clienttrees import writeTree

GFTP = shutil.which("gftp-text")

TREE = {
    "one.txt": b"one\n",
    "empty.bin": b"",
    UNICODE: b"utf-8\n",
    "sub/deep/x.bin": os.urandom(70000),
}
"""The served tree, by path, beside an empty directory, C{emptydir}."""


class GFTPMixin(ClientServerMixin):
    """
    gftp-text's downloads and uploads.
    """

    if GFTP is None:
        skip = "gftp-text is not installed"

    workers = ()

    def setUp(self):
        ClientServerMixin.setUp(self)
        writeTree(os.path.join(self.root, "site"), TREE, "emptydir")
        self.serve(*self.workers)
        self.home = os.path.join(self.local, "home")
        os.makedirs(self.home)

    def gftp(self, url, *args, script=None, cwd=None):
        """
        Run gftp-text as alice, with a home of its own (where it writes
        its settings, which verify no certificate by default).

        @param url: the URL's scheme, C{ftp} or C{ftps}, and path.
        @param script: commands for its standard input.
        @return: its output, colours and all.
        """
        done = subprocess.run(
            [GFTP, *args, "%s://alice:secret@127.0.0.1:%d/%s"
             % (url[0], self.port, url[1])] if url else [GFTP],
            input=script, capture_output=True, timeout=120, cwd=cwd,
            env=dict(os.environ, HOME=self.home))
        self.assertEqual(done.returncode, 0, (done.stdout, done.stderr))
        return done.stdout

    def roundTrip(self, scheme):
        """
        One file down by URL; the tree down, a directory made and a file
        up, in one session.
        """
        into = os.path.join(self.local, scheme)
        os.makedirs(into)
        self.gftp((scheme, "site/sub/deep/x.bin"), "-d", cwd=into)
        self.assertEqual(readTree(into)[0], {"x.bin": TREE["sub/deep/x.bin"]})
        os.remove(os.path.join(into, "x.bin"))
        script = ("open %s://alice:secret@127.0.0.1:%d/site\n"
                  "lcd %s\nmget *\nmkdir up %s\ncd up %s\nmput %s\nquit\n"
                  % (scheme, self.port, into, scheme, scheme, UNICODE))
        self.gftp(None, script=script.encode("utf-8"), cwd=into)
        files, directories = readTree(into)
        self.assertEqual(files, TREE)
        self.assertIn("emptydir", directories)
        self.assertEqual(self.served("site", "up " + scheme, UNICODE),
                         TREE[UNICODE])

    def test_clear(self):
        """
        In clear.
        """
        self.roundTrip("ftp")

    def test_explicitTLS(self):
        """
        Over explicit FTPS.
        """
        self.roundTrip("ftps")


class SingleProcessTests(GFTPMixin, unittest.TestCase):
    """
    Against one process.
    """


class TwoWorkersTests(GFTPMixin, unittest.TestCase):
    """
    Against C{--workers 2}.
    """

    workers = ("--workers", "2")
