"""
The log lines a logged-in client can have written with commands that
succeed: none for those that change nothing (C{NOOP}, C{CWD}, C{PWD},
C{TYPE}, C{SIZE}...), whose flood leaves the log as it was, while their
refusals are throttled (L{ftpkit.ops.eventlog}); the lines that are never
throttled stand for work done (a login, a transfer, a change:
C{docs/logging.rst}, "Counts of lines left out").
"""

import socket
import threading

from twisted.internet import reactor
from twisted.logger import globalLogPublisher
from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.eventlog import LOGGED, EventLog

ROUNDS = 2000
"""How many times the client sends its round of quiet commands."""

QUIET = (b"NOOP\r\nCWD /d\r\nPWD\r\nCDUP\r\nTYPE I\r\nTYPE A\r\n"
         b"MODE S\r\nSTRU F\r\nSYST\r\nFEAT\r\nSTAT\r\nMLST /d\r\n")
"""One round: commands that succeed and change nothing."""


def reply(reader):
    """
    @param reader: a binary file reading the control connection.
    @return: the code of the next reply, read whole.
    """
    line = reader.readline()
    code = line[:3]
    if line[3:4] == b"-":
        while not (line[:3] == code and line[3:4] == b" "):
            line = reader.readline()
    return code


class QuietSuccessTests(LoopbackServerMixin, unittest.TestCase):
    """
    A flood of successful commands that change nothing, over a real
    socket.
    """

    def setUp(self):
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)
        self.server = self.startServer(MemoryRealm())
        hub = events.EventHub()
        log = EventLog(reactor)
        log.subscribeTo(hub)
        self.addCleanup(log.stop)
        self.server.factory.events = hub

    def flood(self):
        """
        Log in as C{alice}, make C{/d}, send L{ROUNDS} rounds of L{QUIET}
        pipelined (from a thread of their own, while the replies are
        read), remove C{/d}, C{QUIT}.

        @return: the reply codes, the greeting's first.
        """
        sock = socket.create_connection(("127.0.0.1", self.server.port), 30)
        with sock, sock.makefile("rb") as reader:
            sent = (b"USER alice\r\nPASS secret\r\nMKD /d\r\n"
                    + QUIET * ROUNDS + b"RMD /d\r\nQUIT\r\n")
            sender = threading.Thread(target=sock.sendall, args=(sent,))
            sender.start()
            codes = [reply(reader) for _ in range(sent.count(b"\n") + 1)]
            sender.join()
        return codes

    async def test_noLines(self):
        """
        Every command succeeds; the log has the login, the two changes
        and the logout, and no line for the 24,000 quiet commands.
        """
        codes = await self.inThread(self.flood)
        self.assertEqual([code for code in codes if code[:1] not in b"23"],
                         [])
        kinds = [event["ftpkit_event"] for event in self.logged
                 if event.get("ftpkit_event") in LOGGED]
        self.assertEqual(kinds, ["login", "change", "change", "logout"])
