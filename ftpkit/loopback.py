"""
Run a real ftpkit server on loopback inside a trial test, and drive it
with blocking clients (ftplib, curl, lftp) from threads or processes.
"""

import random
import socket

from twisted.cred import checkers, portal
from twisted.internet import defer, task, threads

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.data.passive import EPHEMERAL_PORTS
from ftpkit.deferreds import within
from ftpkit.ops.drain import finishLeft

USERS = {"alice": "secret", "bob": "pw"}
"""The accounts L{makePortal} creates by default."""


def quietPort(host="127.0.0.1", tries=200, rng=random):
    """
    A free TCP port below the kernel's ephemeral range, for a server
    started in another process and told its port: the ports a client's
    connection or a passive listener takes (ephemeral ones) never land
    on it between the probe and the server's bind, nor does another
    test's probe of passive ports connect to it.

    @param host: the address it must be free on.
    @param tries: how many ports, picked at random in the lower half
        below that range, are probed at most.
    @param rng: the L{random} module, or a L{random.Random}.
    @return: the port, free when probed; C{None} when none was.
    """
    low = min(EPHEMERAL_PORTS[0], 32768)
    for port in rng.sample(range(low // 2, low), tries):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
        return port
    return None


def makePortal(realm, users=None, anonymous=True):
    """
    A portal with in-memory accounts and, optionally, anonymous login.

    @param realm: the realm giving L{ftpkit.interfaces.IFTPShell} avatars.
    @param users: a mapping of user name to password (L{USERS} if omitted).
    @param anonymous: whether anonymous login is allowed.
    @return: a L{portal.Portal}.
    """
    accounts = USERS if users is None else users
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    for name, password in accounts.items():
        passwords.addUser(name.encode("utf-8"), password.encode("utf-8"))
    allCheckers = [passwords]
    if anonymous:
        allCheckers.append(checkers.AllowAnonymousAccess())
    return portal.Portal(realm, allCheckers)


class LoopbackServer:
    """
    An L{FTPFactory} listening on an ephemeral loopback port.

    @ivar factory: the L{FTPFactory}.
    @ivar port: the TCP port number, once started.
    """

    def __init__(self, realm, config=None, users=None, anonymous=True,
                 interface="127.0.0.1", reactor=None):
        """
        @param realm: see L{makePortal}.
        @param config: the L{ServerConfig}; the defaults if C{None}.
        @param users: see L{makePortal}.
        @param anonymous: see L{makePortal}.
        @param interface: the address to listen on.
        @param reactor: provides IReactorTCP and IReactorTime; the global
            reactor if C{None}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.interface = interface
        self.factory = FTPFactory(
            makePortal(realm, users, anonymous),
            config if config is not None else ServerConfig(),
            reactor)
        self._listening = None
        self.port = None

    def start(self):
        """
        Start listening.

        @return: the port number.
        """
        self._listening = self.reactor.listenTCP(
            0, self.factory, interface=self.interface)
        self.port = self._listening.getHost().port
        return self.port

    @defer.inlineCallbacks
    def stop(self, grace=5.0):
        """
        Stop listening and wait (up to C{grace} seconds) for the sessions
        to end, then for the work of those whose client left and for the
        hub's C{finishers} (as a drain does, L{finishLeft}), then, up to
        C{grace} seconds, for the calls the realm still runs, where it
        tells when none is left (a C{whenIdle} method, as
        L{ftpkit.auth.fsspecrealm.FsspecRealm.whenIdle}), so that a test
        leaves a clean reactor and no work behind.

        @param grace: seconds to wait at most for the sessions to end.
        @return: a Deferred firing when done.
        """
        if self._listening is not None:
            yield self._listening.stopListening()
            self._listening = None
        waited = 0.0
        while self.factory.sessions > 0 and waited < grace:
            yield task.deferLater(self.reactor, 0.02, lambda: None)
            waited += 0.02
        # As a drain ends (ftpkit.ops.drain): the work of sessions whose
        # client left before the shell answered, the work the sessions'
        # events started, and the counts of log lines left out, whose
        # timers would fire after the test.
        yield finishLeft(self.factory, self.reactor, grace)
        # As a real server's shutdown waits for the calls its blocking
        # pools still run (ftpkit.blocking.BlockingPool): those the
        # sessions made last in the realm's (a listing's or a file's
        # close, as a transfer ended), which went on into the next test.
        whenIdle = getattr(self.factory.portal.realm, "whenIdle", None)
        if whenIdle is not None:
            yield within(whenIdle(), grace, self.reactor)[0]
        # Let the last connectionLost callbacks and thread results settle.
        yield task.deferLater(self.reactor, 0.01, lambda: None)


class LoopbackServerMixin:
    """
    A trial mixin: C{self.startServer(realm)} starts a server torn down
    with the test, and C{self.inThread(f)} runs a blocking client.
    """

    def startServer(self, realm, config=None, users=None, anonymous=True,
                    interface="127.0.0.1"):
        """
        @param realm: the realm giving the avatars (see L{makePortal}).
        @param config: the server's L{ServerConfig}, or C{None}.
        @param users: the accounts, or C{None} for L{USERS}.
        @param anonymous: whether anonymous login is allowed.
        @param interface: the address to listen on.
        @return: the running L{LoopbackServer}.
        """
        server = LoopbackServer(realm, config, users, anonymous, interface)
        server.start()
        self.addCleanup(server.stop)
        return server

    def inThread(self, function, *args, **kwargs):
        """
        Run a blocking client function off the reactor thread.

        @param function: the blocking function.
        @param args: its positional arguments.
        @param kwargs: its keyword arguments.
        @return: a Deferred with its result.
        """
        return threads.deferToThread(function, *args, **kwargs)
