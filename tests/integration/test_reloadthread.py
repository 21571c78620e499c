"""
C{SIGHUP} parses a users file that changed in a thread
(L{ftpkit.auth.reloadingfile.ReloadingFile.reloadInThread}), and so does
a login that finds it changed
(L{ftpkit.auth.reloadingfile.ReloadingFile.whenCurrent}): a running
server answers its sessions while the parse runs, and puts the new users
in force once it is done; a server stopping does not wait for the parse.
"""

import ftplib
import os
import subprocess
import sys
import threading

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import users
from ftpkit.auth.users import UsersChecker, UsersDatabase, UsersRealm
from ftpkit.deploy.hangup import ReloadOnHangup, reloadTargets
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.nestedquotas import SharedHomes
from tests.ftpclient import ftplibLogin
from tests.twistdrun import SOURCE
from tests.usersfiles import ALICE_HASH, writeText

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
        parsing, answered, parsed = holdParse(database)
        ftp = yield self.inThread(ftplibLogin, self, server.port, "alice",
                                  "pw")
        writeText(path, USERS + '[users.bob]\nhome = "alice"\n')
        done = ReloadOnHangup(reloadTargets([realm])).reloadAll()

        reply, stillParsing = yield self.inThread(
            noopDuringParse, ftp, parsing, answered, parsed)
        self.assertTrue(reply.startswith("200"), reply)
        self.assertTrue(stillParsing)
        yield done
        self.assertEqual(sorted(database.users), ["alice", "bob"])
        yield self.inThread(ftp.quit)


def holdParse(database):
    """
    Hold each parse of C{database}'s file until the test says.

    @param database: a L{UsersDatabase}.
    @return: C{(parsing, answered, parsed)}, three C{threading.Event}s: a
        parse started; the test lets it go on; it went on.
    """
    parsing, answered, parsed = (threading.Event(), threading.Event(),
                                 threading.Event())
    parse = database._parse

    def heldParse(content, source):
        parsing.set()
        answered.wait(DEADLOCK)
        parsed.set()
        return parse(content, source)

    database._parse = heldParse
    return parsing, answered, parsed


def noopDuringParse(ftp, parsing, answered, parsed):
    """
    In a client thread: once a parse held by L{holdParse} started, send
    C{NOOP}, then let the parse go on.

    @param ftp: a logged-in C{ftplib.FTP}.
    @param parsing: see L{holdParse}.
    @param answered: see L{holdParse}.
    @param parsed: see L{holdParse}.
    @return: C{(reply, stillParsing)}: the C{NOOP}'s reply, and whether
        the parse was still held when it came.
    """
    parsing.wait(DEADLOCK)
    reply = ftp.voidcmd("NOOP")
    stillParsing = not parsed.is_set()
    answered.set()
    return reply, stillParsing


def entries(*names):
    """
    @param names: user names.
    @return: a users file's entries of those users, TOML, each with
        alice's password (C{secret}) and a home of their name.
    """
    return "".join(f'[users.{name}]\npassword = "{ALICE_HASH}"\n'
                   f'home = "{name}"\n' for name in names)


class LoginReadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A login that finds the users file changed has it read again in a
    thread, and the server answers its other sessions meanwhile, and the
    logins from the users read before once they waited
    L{ftpkit.auth.reloadingfile.FRESH_WAIT} (C{--auth users:PATH --realm
    users:PATH}).
    """

    @defer.inlineCallbacks
    def test_oldUsersDuringParse(self):
        """
        While a file of 20,000 users is parsed again (held until the test
        says), a session logged in is answered (a parse in the reactor
        thread held every session 20-25 s at 60,002 users), and the logins
        from the users read before: bob, just added, is refused, and alice
        logs in (each login waited for all of the parse: 9.4 s at 60,002
        users). Once it is done bob logs in; a user then removed from a
        small file is refused at once (its parse ends within the wait).
        """
        # The realm's 20,001 homes, let go of when the collector finds it
        # gone (in some later test), are freed at once: in slices, the
        # steps left in the reactor would make that test's unclean.
        self.patch(users, "DISK_HOMES",
                   SharedHomes(cooperate=lambda steps: None))
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        path = os.path.join(root, "users.toml")
        many = entries(*(f"u{number}" for number in range(20000)))
        writeText(path, many + entries("alice"))
        database = UsersDatabase(path)
        server = self.startServer(UsersRealm(database, root), anonymous=False)
        server.factory.portal.registerChecker(UsersChecker(database))
        parsing, answered, parsed = holdParse(database)
        alice = yield self.inThread(ftplibLogin, self, server.port)
        writeText(path, many + entries("alice", "bob"))
        yield self.assertFailure(
            self.inThread(ftplibLogin, self, server.port, "bob"),
            ftplib.error_perm)
        again = yield self.inThread(ftplibLogin, self, server.port)
        self.assertEqual((parsing.is_set(), parsed.is_set()), (True, False))

        reply, stillParsing = yield self.inThread(
            noopDuringParse, alice, parsing, answered, parsed)
        self.assertTrue(reply.startswith("200"), reply)
        self.assertTrue(stillParsing)
        # After the held reading: done once it is.
        yield database.reloadInThread()
        bob = yield self.inThread(ftplibLogin, self, server.port, "bob")
        self.assertEqual((yield self.inThread(bob.pwd)), "/")
        writeText(path, entries("bob"))
        yield self.assertFailure(
            self.inThread(ftplibLogin, self, server.port), ftplib.error_perm)
        for client in (bob, again, alice):
            yield self.inThread(client.quit)


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
