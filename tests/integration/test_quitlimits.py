"""
A download whose client sent C{QUIT} and closed its control connection
goes on to its end (L{ftpkit.control.connectionlife}); until it ends its
session counts for C{--max-sessions-per-user}, C{--max-connections-per-ip}
and C{--max-connections}, is listed by C{/sessions} (C{leaving}) and
counted in C{ftpkit_sessions}, in one process and under C{--workers}. A
client sending C{QUIT} after each C{RETR} and leaving had as many
downloads at once as it liked, each at the whole per-session rate.
"""

import ftplib
import os
import urllib.request

from tests.ftpclient import ftplibLogin
from tests.integration.test_metrics import MetricsTestCase
from tests.integration.test_quitleave import leave
from tests.serverprocess import startServer

RATE = 1 << 16
"""The server's C{--max-download-rate}, bytes a second: the download
cannot end while a test looks (the client ends it, closing its data
connection)."""

SIZE = 64 * RATE
"""The size of the file downloaded: a minute at L{RATE}."""


class QuitLeaveLimitTests(MetricsTestCase):
    """
    A session whose client left after C{QUIT} while its download goes on
    counts until the download ends.
    """

    timeout = 120

    def startLeaving(self, user, *options):
        """
        Start a server, log C{user} in, start a download paced by
        L{RATE}, send C{QUIT} and close the control connection, and wait
        until the server has seen the client leave: its session gone from
        C{/sessions}, or listed as C{leaving}.

        @param user: C{"alice"} or C{"anonymous"}.
        @param options: more of the server's options.
        @return: C{(server, data, records)}: the server, the data
            connection (unread), the last records of C{/sessions}.
        """
        server, root = startServer(self, "--max-download-rate", str(RATE),
                                   *options, metrics=True)
        # The connection that saw the greeting (waitForGreeting) counts
        # for the limits until the server read its end: a login before
        # then was refused under a limit of 1.
        server.waitFor(lambda: not server.sessionRecords(),
                       "the greeting's connection gone from /sessions")
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(b"b" * SIZE)
        ftp = server.login(user, "secret" if user == "alice" else "x")
        ftp.voidcmd("TYPE I")
        data = ftp.transfercmd("RETR big.bin")
        self.addCleanup(data.close)
        data.recv(1)
        # Under --workers each worker's snapshot comes in its own time.
        server.waitFor(lambda: any(record["transfer"] for record in
                                   server.sessionRecords()),
                       "the download in /sessions")
        leave(ftp)

        def left():
            records = server.sessionRecords()
            if all(record.get("leaving") for record in records):
                return [records]
            return None

        [records] = server.waitFor(left, "the client gone in /sessions")
        return server, data, records

    def endAndWait(self, server, data):
        """
        End the download (its client closes the data connection) and wait
        until its session is gone from C{/sessions}.

        @param server: the server.
        @param data: the download's data connection.
        """
        data.close()
        server.waitFor(lambda: not server.sessionRecords(),
                       "no session in /sessions")

    def checkUserLimit(self, *options):
        """
        With C{--max-sessions-per-user 1}, alice's next login is refused
        while her download goes on, and admitted once it ended.

        @param options: more of the server's options.
        """
        server, data, records = self.startLeaving(
            "alice", "--max-sessions-per-user", "1", *options)
        with self.assertRaises(ftplib.error_temp) as refused:
            ftplibLogin(self, server.port, "alice", "secret")
        self.assertIn("Too many sessions for this user", str(refused.exception))
        [record] = records
        self.assertEqual((record["user"], record["leaving"],
                          record["transfer"]["command"]),
                         ("alice", True, "RETR"))
        self.endAndWait(server, data)
        ftplibLogin(self, server.port, "alice", "secret").quit()

    def checkAddressLimit(self, *options):
        """
        With C{--max-connections-per-ip 1}, a new client of the same
        address is refused while the download goes on, and greeted once it
        ended; C{ftpkit_sessions} counts the session meanwhile.

        @param options: more of the server's options.
        """
        server, data, records = self.startLeaving(
            "anonymous", "--max-connections-per-ip", "1", *options)
        self.assertIn(b"421 Too many connections from your address",
                      server.greeting())
        self.assertEqual([record["leaving"] for record in records], [True])
        with urllib.request.urlopen(server.metricsURL(),
                                    timeout=30) as response:
            self.assertIn("\nftpkit_sessions 1.0\n", response.read().decode())
        self.endAndWait(server, data)
        self.assertTrue(server.greeting().startswith(b"220"))

    def test_userLimit(self):
        self.checkUserLimit()

    def test_userLimitWorkers(self):
        self.checkUserLimit("--workers", "2")

    def test_addressLimit(self):
        self.checkAddressLimit()

    def test_addressLimitWorkers(self):
        self.checkAddressLimit("--workers", "2")

    def test_connectionLimit(self):
        """
        With C{--max-connections 1}, the session whose download goes on
        holds the only one.
        """
        server, data, _ = self.startLeaving("anonymous",
                                            "--max-connections", "1")
        self.assertIn(b"421 Too many connections", server.greeting())
        self.endAndWait(server, data)
        self.assertTrue(server.greeting().startswith(b"220"))

    def test_otherAddress(self):
        """
        A download going on after C{QUIT} counts for its address's limit
        (C{--max-connections-per-ip 1}), not among its user's sessions left
        to the shell: alice, with no C{--max-sessions-per-user}, logs in
        from another address. She got C{421} "Too many commands of this
        user still wait for the storage", which was not why.
        """
        server, data, _ = self.startLeaving("alice",
                                            "--max-connections-per-ip", "1")
        other = ftplib.FTP(source_address=("127.0.0.2", 0))
        ftplibLogin(self, server.port, "alice", "secret", client=other).quit()
        self.assertIn(b"421 Too many connections from your address",
                      server.greeting())
        self.endAndWait(server, data)
