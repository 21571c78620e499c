"""
The twenty-first attack sweep, over real loopback sockets.

With C{--auth pg:DSN --realm pg:DSN}, a PostgreSQL that restarted (a
fail-over, an upgrade, a crash: its connections cut, the database back
a moment later) had every login that came next on one of the pool's
threads refused: each thread keeps its connection between logins, and
C{adbapi} finds one gone only by a query failing on it. With the
database answering again, the next four logins (one a thread) got
C{421 User database unavailable}, each logging an error that said so
and two tracebacks ("Rollback failed"). The pool now runs such a query
again, once, on a new connection, and drops the broken one without a
traceback (L{ftpkit.compat.dbpool}, L{DatabaseRestartTests}); a database
that is down still gets C{421} and one error line a login.

A C{PROMETHEUS_MULTIPROC_DIR} in the server's environment named the
directory of C{--metrics} under C{--workers}, as the guide says, and
every process wrote files of predictable names there as the server's
user, following links: with the variable naming a directory of user
C{nobody} (a web application's metrics directory, the variable set for
the whole machine), C{nobody} planted C{sessions_PID.json.new} links to
a root-owned file of mode C{0600} for the next 3,000 process ids, and a
worker's session snapshot overwrote that file with C{[]}. One process
given a directory that did not exist answered every scrape with C{500}
and logged a traceback. A directory that belongs to another user, that
its group or others may write, or that cannot be used, is now left
aside with a warning (L{ftpkit.deploy.opsservice.dropUnsafeDirectory}):
the acceptor makes a private one, one process counts in memory
(L{MetricsDirectoryTests}).

The C{--on-upload} command got the server's whole environment, the
variables naming its private run directories among them: a command in
Python using C{prometheus_client} (for metrics of its own) took the
workers' metrics directory for its own multiprocess directory, its
series showed in the server's C{/metrics} (C{hook_runs_total 20.0} after
20 uploads), and each run left a 64 KiB file there until the server
stopped: 20 uploads of a byte made the directory 1.9 MB, 100,000 would
make it 6.5 GB of C{$TMPDIR}. The command's environment lacks them now
(L{ftpkit.control.uploadhook.PRIVATE_VARIABLES}, L{UploadCommandTests}).

C{python -m ftpkit.who URL} printed the address and login time of each
record as the endpoint sent them: an endpoint that is not ftpkit's (a
local user listening on the default port, C{127.0.0.1:9102}, while the
server's metrics are elsewhere or off) wrote ESC, BEL and C1 bytes into
the operator's terminal through those columns (a title set, the screen
cleared); the names, client and transfer were escaped already. Every
column is escaped now (L{WhoTerminalTests}), and an answer is read up
to L{ftpkit.ops.who.ANSWER_LIMIT} bytes (it was read whole, however
long).

Tried and held (C{python -m ftpkit}, one process with C{--auth pg:DSN
--realm pg:DSN} on a PostgreSQL of L{tests.pgserver}; C{--workers 2}
with C{--auth anonymous} and C{--metrics}):
    - C{USER} names C{fr'ank}, C{frank' OR '1'='1}, C{frank\\},
      C{frank;DROP TABLE ftpkit_users;--}, C{$$x$$}, C{%s}, C{frank\\x01},
      U+202E, 5,000 characters: C{530}, the table whole, the names escaped
      in the log, no traceback (NUL and bytes not UTF-8:
      L{tests.integration.test_pgusers}); the database stopped: C{421}
      at once, one error line a login, logged-in sessions go on; started
      again: logins C{230} at once;
    - under C{--workers 2}: C{USER}, C{PASS}, C{PWD} and C{NOOP} sent a
      byte at a time from the connection's first moment, during the
      acceptor's hand-over: answered in order after one C{220}; 500
      C{NOOP}s pipelined with the login before the greeting: 500 C{200}
      and C{221}; C{AUTH TLS} with the start of a ClientHello in its
      segment on a server without TLS: C{502}; 500 connections closed
      or reset at once, a third after sending C{USER}: the acceptor's
      descriptors back to 24 and the workers' to 15, the next client
      greeted;
    - under C{--workers 2}, both workers killed (C{SIGKILL}) 0.4 s apart
      among 400 connections from 250 addresses: 330 served, 68 got
      C{421 Service not available} while no worker was ready, 2 sessions
      of the killed workers lost, none greeted twice (clients that send
      before the greeting may read a reset instead of that C{421}: the
      acceptor closes a socket with their bytes unread); 800 silent
      connections: the acceptor at 18 descriptors and +0.1 MB, each
      worker 411 descriptors, back to 11 once closed;
    - C{fsspec:file://} and C{fsspec:memory://} with a users file (alice
      and bob): C{RETR}, C{SIZE}, C{NLST} and C{STOR} of C{../bob/x},
      C{%2e%2e/bob}, C{..\\bob\\x}, C{file:///etc/passwd},
      C{memory://m/bob/x}, C{simplecache::file://...}, C{~bob}, C{C:\\..},
      C{.../bob}, globs: C{550}/C{553}, or a file of that name in alice's
      home (C{..\\bob\\x}), nothing of bob's reached;
    - the C{--metrics} endpoint's C{Host} check against C{evil.com},
      C{evil.com:127.0.0.1}, C{127.0.0.1:PORT:x}, C{127.0.0.1 evil.com}:
      refused; C{localhost.}, C{[::1]}: answered (names a DNS-rebinding
      page cannot make its browser send); headers of 70,000 bytes:
      closed; 5,000 headers: C{400}; silent connections from 40
      addresses: new ones (the scraper's) reset until they close, then
      served (L{ftpkit.ops.httpguard}'s C{TOTAL}, its design).

Found, not fixed:
    - with C{--auth pg:DSN} every login marks the home's quota usage
      stale (other servers change it), so a user of a quota'd home of
      100,000 files looping C{REIN}, login and a one-byte C{STOR} had it
      walked each time: 38 cycles in 10 s, a core busy (a users file's
      loop: 252 cycles, a core busy too, in its password checks); a
      bound on how often a login re-measures is a design choice;
    - C{/sessions} on the recommended C{interface=127.0.0.1} (or a
      C{unix:} socket, mode 0666 by Twisted's default) answers every
      local user: names, addresses, paths;
    - a C{PROMETHEUS_MULTIPROC_DIR} of this user inside a parent
      directory others may write (not sticky) is taken (only the
      directory itself is checked).
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth import pgadmin
from tests.pgserver import PostgresServer, binaries
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

try:
    import psycopg
except ImportError:
    psycopg = None

try:
    import prometheus_client
except ImportError:
    prometheus_client = None


def login(port, user, password):
    """
    Log in with ftplib from a connection of its own.

    @return: the reply to C{PASS} (an error's text when refused).
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    try:
        ftp.sendcmd(f"USER {user}")
        return ftp.sendcmd(f"PASS {password}")
    except ftplib.error_temp as e:
        return str(e)
    finally:
        ftp.close()


class DatabaseRestartTests(unittest.TestCase):
    """
    Logins after the PostgreSQL of C{--auth pg:DSN} restarted are served,
    without tracebacks in the log.
    """

    def setUp(self):
        if psycopg is None:
            raise unittest.SkipTest("psycopg is not installed")
        if binaries() is None:
            raise unittest.SkipTest("PostgreSQL is not installed")
        self.postgres = PostgresServer()
        self.addCleanup(self.postgres.stop)
        dsn = self.postgres.dsn
        out = io.StringIO()
        self.assertEqual(pgadmin.main(["--dsn", dsn, "init"], stdout=out), 0)
        self.assertEqual(pgadmin.main(
            ["--dsn", dsn, "add", "frank", "--password-stdin"],
            stdin=io.StringIO("pw\n"), stdout=out), 0)
        root = scratchDirectory(self)
        os.makedirs(os.path.join(root, "frank"))
        self.server = ServerProcess(self, [
            "--root", root, "--auth", f"pg:{dsn}", "--realm", f"pg:{dsn}"])
        self.server.waitForGreeting()

    def test_loginsAfterRestart(self):
        """
        Once the database restarted, the next logins are answered C{230}
        (they were C{421}, one for each connection the pool kept), and
        nothing logs a traceback or the database as unavailable.
        """
        port = self.server.port
        self.assertEqual(login(port, "frank", "pw"), "230 Login successful")
        self.postgres.restart()
        replies = [login(port, "frank", "pw") for _ in range(3)]
        self.assertEqual(replies, ["230 Login successful"] * 3)
        log = self.server.log()
        self.assertNotIn("Traceback", log)
        self.assertNotIn("Rollback failed", log)
        self.assertNotIn("database unavailable", log)
