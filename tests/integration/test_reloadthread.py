"""
C{SIGHUP} parses a users file that changed in a thread
(L{ftpkit.auth.reloadingfile.ReloadingFile.reloadInThread}): a running
server answers its sessions while the parse runs, and puts the new users
in force once it is done; a server stopping does not wait for the parse.
"""

import os
import subprocess
import sys
import threading

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.users import UsersDatabase, UsersRealm
from ftpkit.deploy.hangup import ReloadOnHangup, reloadTargets
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.twistdrun import SOURCE
from tests.usersfiles import writeText

USERS = '[users.alice]\nhome = "alice"\npermissions = ["list"]\n'

DEADLOCK = 60
"""Seconds after which the held parse gives up waiting for the session's
answer: not a bound the test asserts, only what ends it where the parse
holds the reactor (then the answer comes after the parse, and the test
fails)."""


class ThreadedReloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A reload on C{SIGHUP} leaves the reactor serving while it parses.
    """

    @defer.inlineCallbacks
    def test_sessionAnsweredDuringParse(self):
        """
        A session's C{NOOP} sent while the reload's parse is held is
        answered before the parse goes on: the parse waits for that
        answer, which a parse in the reactor thread would hold back (it
        did: a 20,000-user file held every session for its parse). Once
        the parse is done the new users are in force.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "alice"))
        path = os.path.join(root, "users.toml")
        writeText(path, USERS)
        database = UsersDatabase(path)
        realm = UsersRealm(database, root)
        server = self.startServer(realm, users={"alice": "pw"},
                                  anonymous=False)
        parsing, answered, parsed = (threading.Event(), threading.Event(),
                                     threading.Event())
        parse = database._parse

        def heldParse(content, source):
            parsing.set()
            answered.wait(DEADLOCK)
            parsed.set()
            return parse(content, source)

        database._parse = heldParse
        ftp = yield self.inThread(ftplibLogin, self, server.port, "alice",
                                  "pw")
        writeText(path, USERS + '[users.bob]\nhome = "alice"\n')
        done = ReloadOnHangup(reloadTargets([realm])).reloadAll()

        def client():
            parsing.wait(DEADLOCK)
            reply = ftp.voidcmd("NOOP")
            stillParsing = not parsed.is_set()
            answered.set()
            return reply, stillParsing

        reply, stillParsing = yield self.inThread(client)
        self.assertTrue(reply.startswith("200"), reply)
        self.assertTrue(stillParsing)
        yield done
        self.assertEqual(sorted(database.users), ["alice", "bob"])
        yield self.inThread(ftp.quit)


STOPPING = """
import sys, threading
from twisted.internet import reactor
from twisted.logger import Logger
from ftpkit.auth.reloadingfile import ReloadingFile, readRegularFile

path, parses, never = sys.argv[1], [], threading.Event()

def parse(content, source):
    parses.append(content)
    if len(parses) > 1:
        reactor.callFromThread(reactor.stop)
        never.wait()
    return content.split()

users = ReloadingFile(path, readRegularFile, parse, Logger())
with open(path, "ab") as f:
    f.write(b"bob\\n")
reactor.callWhenRunning(users.reloadInThread)
reactor.run()
print("stopped", flush=True)
"""
"""A process whose reactor stops while a users file's parse, which
never ends, runs in its thread."""


class StopDuringParseTests(unittest.TestCase):
    """
    The reactor's shutdown does not wait for a users file's parse, whose
    users nobody would serve.
    """

    def test_stopsDuringParse(self):
        """
        The process ends while the parse still runs: it waited for it in
        the reactor's thread pool (C{SIGTERM} waited 8 s for a large
        file's parse, a minute under load; this parse never ends).
        """
        path = self.mktemp()
        writeText(path, "alice\n")
        ended = subprocess.run(
            [sys.executable, "-c", STOPPING, path], capture_output=True,
            env={**os.environ, "PYTHONPATH": SOURCE}, timeout=DEADLOCK)
        self.assertEqual((ended.returncode, ended.stdout, ended.stderr),
                         (0, b"stopped\n", b""))
