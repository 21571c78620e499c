"""
Directories of C{--realm fsspec:memory://} have no modification time (nor
have an object store's, which are only key prefixes). Every listing gave
them the epoch, C{1970-01-01}, and C{lftp}'s C{mirror} set the local
directories it made to 1970. Now C{MLSD} and C{MLST} leave the
C{modify} fact out, C{MDTM} answers 550, and C{LIST} and C{STAT} show
the time of the listing.
"""

import ftplib
import os
import shutil
import time
import uuid
from datetime import datetime, timezone

from twisted.internet import utils
from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm

LFTP = shutil.which("lftp")

FILE_TIME = 1_000_000_000
"""The time of the tree's file (2001-09-09 01:46:40 UTC)."""

YEAR = 365 * 86400


class MemoryDirectoryTimeTests(LoopbackServerMixin, unittest.TestCase):
    """
    A C{fsspec:memory://} root holding C{d/e/f.txt}, the file with
    L{FILE_TIME}, seen by ftplib and lftp.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    timeout = 60

    def setUp(self):
        # fsspec's memory store is one per process: a root of our own.
        self.where = "/times-" + uuid.uuid4().hex
        self.fs = fsspec.filesystem("memory")
        self.addCleanup(self.fs.rm, self.where, recursive=True)
        self.fs.mkdir(self.where + "/d/e")
        self.fs.pipe(self.where + "/d/e/f.txt", b"f")
        self.fs.store[self.where + "/d/e/f.txt"].modified = (
            datetime.fromtimestamp(FILE_TIME, timezone.utc))
        self.server = self.startServer(
            makeFsspecRealm(
                "memory://" + self.where + "?global_store=true", {}),
            ServerConfig(loginFailureDelay=0))

    @inlineCallbacks
    def test_ftplib(self):
        """
        C{MLSD} and C{MLST} give a directory no C{modify} fact (and the
        file its own), C{MDTM} of a directory is 550 and of the file its
        time, and C{LIST} and C{STAT} date the directory at the listing.
        """
        def session():
            ftp = ftplibLogin(self, self.server.port, timeout=10)
            before = time.time()
            seen = {
                "mlsd": list(ftp.mlsd("d")),
                "mlst": ftp.sendcmd("MLST d/e"),
                "mdtm": ftp.sendcmd("MDTM d/e/f.txt"),
                "stat": ftp.sendcmd("STAT d"),
            }
            lines = []
            ftp.retrlines("LIST d", lines.append)
            seen["list"] = lines
            try:
                ftp.sendcmd("MDTM d/e")
            except ftplib.error_perm as e:
                seen["mdtmDirectory"] = str(e)
            return before, time.time(), seen

        before, after, seen = yield self.inThread(session)
        facts = dict(seen["mlsd"])
        self.assertEqual(set(facts), {".", "..", "e"})
        for name in facts:
            self.assertNotIn("modify", facts[name], name)
        self.assertNotIn("modify=", seen["mlst"])
        self.assertIn("type=dir;", seen["mlst"])
        self.assertEqual(seen["mdtm"], "213 20010909014640")
        self.assertTrue(seen["mdtmDirectory"].startswith("550 "))
        dates = {time.strftime("%b %e %H:%M", time.gmtime(when))
                 for when in (before, after)}
        [line] = seen["list"]
        self.assertTrue(line.startswith("d"), line)
        self.assertIn(line[-14:-2], dates)
        [statLine] = [text for text in seen["stat"].splitlines()
                      if text.endswith(" e")]
        self.assertIn(statLine[-14:-2], dates)

    @inlineCallbacks
    def test_lftpMirror(self):
        """
        C{lftp -e "mirror / out"} leaves the directories it makes dated
        when it made them, and gives the file its time: they were dated
        1970.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        out = os.path.abspath(self.mktemp())
        script = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                  "set net:max-retries 1; set net:timeout 20; "
                  f"mirror / {out}; quit")
        before = time.time()
        output, err, code = yield utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(self.server.port), "-e",
                   script, "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, err)
        for directory in (out + "/d", out + "/d/e"):
            self.assertGreater(os.stat(directory).st_mtime, before - YEAR,
                               directory)
        self.assertEqual(os.stat(out + "/d/e/f.txt").st_mtime, FILE_TIME)
