"""
The thirty-eighth attack sweep, over real loopback sockets: the first
quota check of a home walks it, and the walks ran in Twisted's shared
thread pool (ten threads), where the password checks of a users file run
too. Ten sessions whose homes hold a file system that no longer answers
(a hard NFS mount whose server is gone, a hung FUSE mount) filled it, and
no user could log in any more. Walks now have a lane of their own
(L{ftpkit.shells.diskthreads.WALKS}), which starts threads for walks
waiting behind stuck ones.
"""

import os
import socket
import threading

from twisted.cred import portal
from twisted.internet import defer, reactor, task
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.auth import users as usersModule
from ftpkit.auth.realms import TextCredentialsChecker
from ftpkit.auth.users import UsersChecker, UsersDatabase, UsersRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.diskthreads import WALKS, diskThreadsFor
from tests.attackhelpers import CLIENT_WAIT
from tests.hungmounts import hungMount
from tests.polling import waitUntil
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.usersfiles import ALICE_HASH, writeText

WALKERS = 10
"""Sessions whose first quota check walks a home holding a hung mount:
as many as the threads of Twisted's shared pool."""


def usersText(walkers):
    """
    @param walkers: how many users C{w0}, C{w1}... with a quota to give.
    @return: a users file of them and C{alice}, each in a home of their
        name, all with the password C{secret}.
    """
    entry = ('[users.{name}]\npassword = "' + ALICE_HASH + '"\nhome ='
             ' "{name}"\nquota = "1G"\npermissions = ["list", "read",'
             ' "write"]\n')
    names = ["w%d" % (i,) for i in range(walkers)] + ["alice"]
    return "".join(entry.format(name=name) for name in names)


def ownThread(function):
    """
    Run a blocking client in a thread of its own, not one of Twisted's
    shared pool (which the server's stuck calls may hold).

    @param function: the blocking function.
    @return: a L{Deferred} firing with its result.
    """
    result = defer.Deferred()

    def run():
        try:
            outcome = function()
        except BaseException:
            outcome = Failure()
        reactor.callFromThread(result.callback, outcome)

    threading.Thread(target=run, daemon=True).start()
    return result


class StuckQuotaWalkTests(LoopbackServerMixin, unittest.TestCase):
    """
    Logins are answered while quota walks hang.
    """

    timeout = 90

    def setUp(self):
        root = scratchDirectory(self)
        path = os.path.join(root, "users.toml")
        writeText(path, usersText(WALKERS))
        self.started, self.ended = [], []
        measure = usersModule.diskFootprint

        def counted(directory):
            self.started.append(directory)
            try:
                return measure(directory)
            finally:
                self.ended.append(directory)

        self.patch(usersModule, "diskFootprint", counted)
        database = UsersDatabase(path)
        realm = UsersRealm(database, root)
        self.server = self.startServer(realm, anonymous=False)
        self.server.factory.portal = portal.Portal(
            realm, [TextCredentialsChecker(UsersChecker(database))])
        for i in range(WALKERS):
            point = os.path.join(root, "w%d" % (i,), "mnt")
            os.makedirs(point)
            hungMount(self, point)

    def walker(self, name):
        """
        Log C{name} in and send C{STOR x}, whose quota check walks the
        home, without waiting for its reply (blocking); the connections
        are closed when the test ends.

        @param name: the user.
        @return: the reply to C{PASS}.
        """
        client = RawClient(self.server.port, timeout=CLIENT_WAIT)
        self.addCleanup(client.close)
        reply = client.login(name, "secret")
        port = client.epsvPort()
        data = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(data.close)
        client.sock.sendall(b"STOR x\r\n")
        return reply

    async def test_loginBesideStuckWalks(self):
        """
        While ten sessions' first quota checks walk homes holding a hung
        mount, all ten walks under way and none ended, another user's
        password is checked: C{230}.
        """
        def attack():
            logins = [self.walker("w%d" % (i,)) for i in range(WALKERS)]
            walking = waitUntil(lambda: len(self.started) == WALKERS, 30)
            other = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(other.close)
            return logins, walking, other.login("alice", "secret"), list(
                self.ended)

        outcome = await ownThread(attack)
        if isinstance(outcome, Failure):
            outcome.raiseException()
        logins, walking, reply, ended = outcome
        self.assertEqual([line[:3] for line in logins], [b"230"] * WALKERS)
        self.assertTrue(walking, self.started)
        self.assertTrue(reply.startswith(b"230"), reply)
        self.assertEqual(ended, [])
        # The walks stay blocked until the mounts' cleanup fails them:
        # let their lane stop looking for stuck calls, none waiting, so
        # that the reactor is left clean.
        lane = diskThreadsFor(reactor, WALKS)
        while lane._stuckCheck is not None:
            await task.deferLater(reactor, 0.1, lambda: None)
