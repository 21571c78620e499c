"""
C{twistd --syslog} where the syslog daemon reads nothing: the server
keeps serving (ftpkit's messages never wait for the daemon:
L{ftpkit.ops.syslogsend}), where the C library's blocking C{syslog(3)}
froze it once the socket's queue was full (ten messages).

The server's C{/dev/log} is the test's socket (L{devLogIn}: a mount
namespace), so that these tests fail the same way wherever the server
would send through the C library.
"""

import os
import re
import signal
import time

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.syslogreceivers import canMount, devLogIn, received, receiver

LOGINS = 30
"""Logins, each several messages: many more than the daemon has room
for."""


class StalledSyslogTests(unittest.TestCase):
    """
    A syslog daemon that stopped reading.
    """

    skip = canMount()

    def serve(self, *options):
        """
        Start C{twistd -n --syslog --prefix ftpd ftpkit} with C{options},
        its C{/dev/log} a socket nobody reads yet, and wait for its
        greeting.

        @return: C{(server, socket)}.
        """
        sock, path = receiver(self)
        root = scratchDirectory(self)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", *options],
            cwd=root, twistd=True,
            twistdOptions=["-n", "--pidfile=", "--syslog", "--prefix",
                           "ftpd"],
            preexec=devLogIn(os.path.dirname(path)))
        server.waitForGreeting()
        return server, sock

    def loginsGoOn(self, server, sock):
        """
        Log in many times while the daemon reads nothing; then read what
        it got, and see the next message say what was dropped.
        """
        for _number in range(LOGINS):
            client = server.login()
            client.pwd()
            client.quit()
        taken = received(sock)
        self.assertTrue(taken)
        self.assertTrue(all(b" ftpd: " in message for message in taken))
        after = []

        def told():
            # The count goes with the next message the daemon has room
            # for: a login makes some (under --workers, a worker's
            # records reach the acceptor a moment after the reply), and
            # the daemon's queue, read here, may have filled again
            # meanwhile. The last QUIT's own lines may come while the
            # first read empties the queue, the count with them: it is
            # then among those read first.
            server.login().quit()
            after.extend(received(sock))
            return b"line(s) dropped meanwhile" in b"\n".join(taken + after)

        server.waitFor(told, "the message counting those dropped")
        self.assertIn(b"takes no more messages", b"\n".join(taken + after))

    def test_idle(self):
        """
        The messages saying what was dropped reach a daemon that reads
        again while the server logs nothing more (an idle server): they
        waited for a next message, for hours maybe.
        """
        server, sock = self.serve()
        for _number in range(LOGINS):
            server.login().quit()
        # Not a bound on anything: the last sessions' lines, logged as
        # they end, come while the daemon still reads nothing (dropped),
        # not after the first read, where they would bring the count
        # along however the server sends what it owes.
        time.sleep(1)
        taken = []

        def told():
            taken.extend(received(sock))
            return b"line(s) dropped meanwhile" in b"\n".join(taken)

        server.waitFor(told, "the message counting those dropped")
        self.assertIn(b"takes no more messages", b"\n".join(taken))

    def test_text(self):
        """
        One process, C{--log-format text}.
        """
        self.loginsGoOn(*self.serve())

    def test_json(self):
        """
        One process, C{--log-format json}.
        """
        self.loginsGoOn(*self.serve("--log-format", "json"))

    def test_workers(self):
        """
        C{--workers 2}: the acceptor sends the workers' records too.
        """
        self.loginsGoOn(*self.serve("--workers", "2"))

    def stopStalled(self, *options):
        """
        Stop (C{SIGTERM}) a server whose daemon reads nothing: the messages
        it owes the daemon are counted in one line on standard error as it
        exits (they were lost without a word), and the daemon got no more
        than its queue holds.
        """
        server, sock = self.serve(*options)
        for _number in range(LOGINS):
            server.login().quit()
        server.signal(signal.SIGTERM)
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)
        [count] = re.findall(
            r"ftpkit: syslog at /dev/log takes no more messages as the "
            r"process stops: (\d+) message\(s\) lost\n", server.log())
        self.assertGreater(int(count), LOGINS)
        self.assertTrue(received(sock))

    def test_stopStalled(self):
        self.stopStalled()

    def test_stopStalledJSON(self):
        self.stopStalled("--log-format", "json")
