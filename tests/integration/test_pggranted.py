"""
C{--realm pg:DSN} and C{FEAT} before login: the commands of C{set-time},
C{chmod} and C{append} (C{MFMT}, C{SITE CHMOD}, C{OPTS REST STOR}...)
are offered only where some user of the database is granted them
somewhere (L{ftpkit.auth.pgusers.PostgresUsers.granted}), as a users
file's are. The database's realm offered them all before login: lftp
asks C{FEAT} before C{USER} and keeps its answer.
"""

import ftplib

from twisted.internet import defer

from ftpkit.auth.pgusers import PostgresUsers
from tests.integration.test_pgusers import PostgresTestCase
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


class GrantedQueryTests(PostgresTestCase):
    """
    L{PostgresUsers.granted} on a real table.
    """

    @defer.inlineCallbacks
    def test_grantedSomewhere(self):
        """
        A permission counts where a user is granted it by default or in
        one directory; not where only a read-only user, or C{anonymous},
        has it.
        """
        self.addUser("kim", "pw", "--permissions", "list,read",
                     "--directory", "/in=list,write,set-time")
        self.addUser("lou", "pw", "--permissions", "list,read,chmod")
        self.assertEqual(self.admin("set", "lou", "--read-only")[0], 0)
        self.addUser("anonymous", "pw", "--permissions", "list,read,append")
        database = PostgresUsers(self.dsn)
        self.addCleanup(database.close)
        database.granted()
        self.assertTrue((yield waitFor(
            lambda: database.grantedRead[0] is not None, timeout=30)))
        self.assertEqual(database.granted(), frozenset(["set-time"]))


class FeatBeforeLoginTests(PostgresTestCase):
    """
    A C{--auth pg:DSN --realm pg:DSN} server whose one user may not set
    times, change modes or append.
    """

    timeout = 120

    @defer.inlineCallbacks
    def test_notGranted(self):
        """
        C{FEAT} before login leaves out C{MFMT} and C{MFF} once the
        database answered (the first may still offer them, while it is
        read), as C{FEAT} after login does.
        """
        self.addUser("max", "pw", "--permissions", "list,read,write")
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", f"pg:{self.dsn}",
            "--realm", f"pg:{self.dsn}"])
        server.waitForGreeting()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(ftp.close)
        self.assertTrue((yield waitFor(
            lambda: "MFMT" not in ftp.sendcmd("FEAT"), timeout=30)))
        self.assertNotIn("MFF", ftp.sendcmd("FEAT"))
        ftp.login("max", "pw")
        features = ftp.sendcmd("FEAT")
        self.assertNotIn("MFMT", features)
        self.assertNotIn("MFF", features)
        ftp.quit()
