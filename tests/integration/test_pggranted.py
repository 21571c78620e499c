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

    def firstFeatures(self, *options):
        """
        Start a server whose one user may not set times, and ask C{FEAT}
        on two connections before login, each the first thing sent.

        @param options: more options of the server.
        @return: the two replies.
        """
        self.addUser("max", "pw", "--permissions", "list,read,write")
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", f"pg:{self.dsn}",
            "--realm", f"pg:{self.dsn}", *options])
        server.waitForGreeting()
        replies = []
        for _ in range(2):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            self.addCleanup(ftp.close)
            replies.append(ftp.sendcmd("FEAT"))
        ftp.login("max", "pw")
        replies.append(ftp.sendcmd("FEAT"))
        ftp.quit()
        return replies

    def test_notGranted(self):
        """
        C{FEAT} before login leaves out C{MFMT}, C{MFF} and C{SITE
        MKDIR}, as C{FEAT} after login does, from the very first: it
        waits for the database's first answer (the first offered them all
        while the table was read, and lftp keeps the first answer).
        """
        for features in self.firstFeatures():
            self.assertNotIn("MFMT", features)
            self.assertNotIn("MFF", features)
            self.assertNotIn("SITE MKDIR", features)

    def test_otherOffers(self):
        """
        So do C{HELP}, C{HELP SITE} and C{OPTS REST STOR}, each the first
        command of a new server: they did not wait, and offered them all.
        """
        self.addUser("max", "pw", "--permissions", "list,read,write")
        for command, offered in (("HELP", "MFMT"), ("HELP SITE", "CHMOD"),
                                 ("OPTS REST STOR", "200 ")):
            server = ServerProcess(self, [
                "--root", scratchDirectory(self), "--auth", f"pg:{self.dsn}",
                "--realm", f"pg:{self.dsn}"])
            server.waitForGreeting()
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            self.addCleanup(ftp.close)
            try:
                reply = ftp.sendcmd(command)
            except ftplib.error_perm as e:
                reply = str(e)
            self.assertNotIn(offered, reply, command)
            ftp.quit()
            server.stop()

    def test_workers(self):
        """
        So does the first C{FEAT} of each worker of C{--workers}: each
        asks its own database connection.
        """
        for features in self.firstFeatures("--workers", "2"):
            self.assertNotIn("MFMT", features)
            self.assertNotIn("MFF", features)
