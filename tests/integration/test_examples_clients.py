"""
The storage tutorial's SQLite backend (C{examples/ftpkit_sqlite.py},
C{--realm sqlite:FILE}) driven as an operator's users drive it, by
ftplib and lftp: its directories, whose L{ftpkit.fileinfo.FileInfo}
gives no mode (as a shell written from the tutorial gives none), were
listed C{drw-r--r--} and C{UNIX.mode=0644}, a directory nobody may
enter, and lftp's C{mirror}, which gives what it makes the modes the
listing shows, made local directories its user could not enter.
"""

import io
import os
import stat

from twisted.internet import defer, utils
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from tests.clientprograms import LFTP
from tests.ftpclient import ftplibLogin
from tests.integration.test_examples import ExamplesOnPathMixin


class SQLiteDirectoryModeTests(ExamplesOnPathMixin, LoopbackServerMixin,
                               unittest.TestCase):
    """
    Directories of C{--realm sqlite:FILE} are shown searchable.
    """

    def startSQLite(self):
        """
        Start a server on a fresh database holding C{docs/a.txt}.

        @return: the server's port.
        """
        realm = self.makeRealm("sqlite:" + os.path.join(self.root, "f.db"))
        self.addCleanup(realm.shell.pool.stop)
        server = self.startServer(realm, anonymous=False,
                                  users={"alice": "secret"})
        return server.port

    def seed(self, port):
        """
        Upload C{docs/a.txt} with ftplib.

        @param port: the server's port.
        @return: a L{defer.Deferred} firing when it is done.
        """
        def client():
            ftp = ftplibLogin(self, port, "alice", "secret")
            ftp.mkd("docs")
            ftp.storbinary("STOR docs/a.txt", io.BytesIO(b"hello"))
            ftp.quit()
        return self.inThread(client)

    @defer.inlineCallbacks
    def test_listings(self):
        """
        C{LIST} shows a directory as C{drwxr-xr-x} and a file as
        C{-rw-r--r--}; C{MLSD} and C{MLST} give a directory
        C{UNIX.mode=0755}.
        """
        port = self.startSQLite()
        yield self.seed(port)

        def client():
            ftp = ftplibLogin(self, port, "alice", "secret")
            lines = []
            ftp.retrlines("LIST", lines.append)
            ftp.retrlines("LIST docs", lines.append)
            facts = dict(ftp.mlsd(facts=["type", "unix.mode"]))
            mlst = ftp.sendcmd("MLST docs")
            ftp.quit()
            return lines, facts, mlst

        lines, facts, mlst = yield self.inThread(client)
        self.assertEqual([line.split()[0] for line in lines],
                         ["drwxr-xr-x", "-rw-r--r--"])
        self.assertEqual(facts["docs"]["unix.mode"], "0755")
        self.assertIn("UNIX.mode=0755;", mlst)

    @defer.inlineCallbacks
    def test_lftpMirror(self):
        """
        lftp's C{mirror} of the tree makes local directories that can be
        entered (mode C{0755}), holding the file.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        port = self.startSQLite()
        yield self.seed(port)
        target = os.path.join(self.root, "mirror")
        out, err, code = yield utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(port), "-e",
                   "set cmd:fail-exit yes; set net:max-retries 1; "
                   "set ftp:ssl-allow no; mirror / " + target + "; quit",
                   "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, (out, err))
        mode = stat.S_IMODE(os.stat(os.path.join(target, "docs")).st_mode)
        self.assertEqual(mode, 0o755)
        with open(os.path.join(target, "docs", "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello")
