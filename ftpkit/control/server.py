"""
The control channel's factory: L{FTPFactory} holds what the sessions share
(the portal, the config, the limits, the listener pool, the event hub) and
builds an L{FTPProtocol} (L{ftpkit.control.connection}) per session. Both
names are public here, as C{ftpkit.server}.
"""

import os

from twisted.cred.portal import Portal
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger

from ftpkit.auth.hostcheckers import checkerForHost, realmUsers, usersIdentity
from ftpkit.compat.malloctrim import releaseFreed
from ftpkit.config import ServerConfig
from ftpkit.control.afterburst import AfterBurst
from ftpkit.control.connection import FTPProtocol
from ftpkit.control.idlewatch import IdleWatch
from ftpkit.control.loginfailures import AddressFailures
from ftpkit.control.loginwatch import LoginWatch
from ftpkit.control.overlimitholds import OverLimitHolds
from ftpkit.control.peerwarnings import PeerWarnings
from ftpkit.control.policies import ConnectionLimiter
from ftpkit.control.refusedtls import RefusedHandshakes
from ftpkit.control.serverhub import configuredHub, servedRoot
from ftpkit.control.sessionlimits import (
    NOT_ALLOWED,
    AddressRules,
    LeftSessions,
    UserSessions,
)
from ftpkit.control.turns import Turns
from ftpkit.control.vhosts import DEFAULT, chooseHost, hostTable
from ftpkit.data.linger import watcherFor
from ftpkit.data.listenerpool import ListenerPool
from ftpkit.data.movers.pacing import serverLimits
from ftpkit.data.passiveshares import PassiveShares, passiveLimit
from ftpkit.data.stallsweep import sweepFor
from ftpkit.data.theftalarm import TheftAlarm
from ftpkit.ops.leftwork import LeftWork
from ftpkit.protocol.commandtable import FEATURE_SETS
from ftpkit.protocol.keptreplies import KeptReplies
from ftpkit.protocol.listingorder import SortBudget, processBudget
from ftpkit.shells import uploadlocks
from ftpkit.shells.diskthreads import STUCK_AFTER
from ftpkit.shells.held import HeldUploads


class FTPFactory(ServerFactory):
    """
    Builds L{FTPProtocol} sessions and enforces the connection limits.

    @ivar portal: the L{twisted.cred.portal.Portal} that logs users in.
    @ivar config: the L{ServerConfig}.
    @ivar limiter: the L{ConnectionLimiter} counting sessions.
    @ivar overLimit: the L{OverLimitHolds} of connections over a limit,
        waiting a moment for a session to end.
    @ivar afterBurst: the L{AfterBurst} releasing the memory a burst of
        sessions freed.
    @ivar addressRules: the L{AddressRules} clients are checked against.
    @ivar userSessions: the L{UserSessions} counting logins per user.
    @ivar leftSessions: the L{LeftSessions} counting, per user, the
        sessions whose client left before the shell answered: as many as
        one client may hold live (C{--max-connections-per-ip}), in each
        process.
    @ivar leftWork: the L{LeftWork} of those sessions, which a server's
        stop waits for (L{ftpkit.ops.drain.Drain}).
    @ivar loginFailures: the L{AddressFailures} counting failed logins
        per client address (the delay after a failed C{PASS} follows it).
    @ivar events: the L{ftpkit.ops.events.EventHub} sessions publish what
        happens to; an L{ftpkit.ops.eventlog.EventLog} logs it.
    @ivar listenerPool: the L{ListenerPool} of passive listeners sessions
        are done with.
    @ivar passiveShares: the L{PassiveShares}: passive listeners held per
        client address (C{--max-passive-per-ip}); C{None} when there is no
        limit.
    @ivar theftAlarm: the L{TheftAlarm}: whether passive port theft was
        seen lately.
    @ivar heldUploads: the L{HeldUploads} of anonymous uploads in progress
        (C{--hold-anonymous-uploads}).
    @ivar openSessions: the L{FTPProtocol}s admitted and not yet closed,
        or closed by their client while their transfer goes on (until it
        ends: L{ftpkit.control.connectionlife}).
    @ivar listingTurns: the L{Turns} in which clients (by
        L{ftpkit.protocol.limitkeys.limitKey}) read directory listings
        from their shells: one call of each client at a time (a call
        running longer than L{ftpkit.shells.diskthreads.STUCK_AFTER},
        stuck on a file system that no longer answers, counts no more
        while others wait).
    @ivar sortBudget: the L{ftpkit.protocol.listingorder.SortBudget}
        of the entries that listings sorted by time or reversed hold: the
        process's share of the server's
        (L{ftpkit.protocol.listingorder.processBudget}).
    @ivar hashTurns: the L{Turns} of checksums (C{HASH}): one call of
        each client at a time, held until it ends.
    @ivar loginWatch: the L{LoginWatch} of the sessions not logged in:
        the one owner of the time they have to log in (C{loginTimeout}),
        calling their C{loginTimedOut}.
    @ivar virtualHosts: the config's L{ftpkit.control.vhosts.VirtualHost}s by
        name.
    @ivar featureReplies: the L{KeptReplies} of its sessions' C{FEAT},
        by their state (L{ftpkit.control.handlers.offers.SessionOffers.featuresKey}).
    @ivar inFlight: in a worker of C{--workers}, the
        L{ftpkit.deploy.inflight.InFlightReports} its sessions tell the
        acceptor their logins, file transfers and listings by; else
        C{None}.
    """

    log = Logger()
    noisy = False
    inFlight = None

    def __init__(self, portal, config=None, reactor=None, limiter=None,
                 hub=None):
        """
        @param portal: a Portal whose realm gives
            L{ftpkit.interfaces.IFTPShell} avatars.
        @param config: a L{ServerConfig}; defaults apply when omitted.
        @param reactor: the reactor (the global one when omitted).
        @param limiter: what admits and counts sessions; by default a
            L{ConnectionLimiter} with the limits of C{config}.
        @param hub: the L{ftpkit.ops.events.EventHub} to publish to; by default
            the one C{config} asks for
            (L{ftpkit.control.serverhub.configuredHub}): the log, and the
            transfer log, metrics and upload command it sets.
        @raise OSError: when C{config.xferlog} cannot be opened (without
            C{hub}).
        @raise ValueError: when C{config.metrics} needs
            C{prometheus_client}, which is not installed (without C{hub}).
        """
        if reactor is None:
            from twisted.internet import reactor
        self.portal = portal
        self.config = config if config is not None else ServerConfig()
        self.reactor = reactor
        if limiter is None:
            limiter = ConnectionLimiter(self.config.maxConnections,
                                        self.config.maxConnectionsPerIP,
                                        self.config.ipv6PrefixLength)
        self.limiter = limiter
        self.overLimit = OverLimitHolds(reactor, limiter,
                                        self.config.ipv6PrefixLength)
        self.refusedHandshakes = RefusedHandshakes(
            self.config.ipv6PrefixLength)
        self.afterBurst = AfterBurst(reactor, releaseFreed)
        self.addressRules = AddressRules(self.config.allowFrom,
                                         self.config.denyFrom)
        self.userSessions = UserSessions(self.config.maxSessionsPerUser)
        self.leftSessions = LeftSessions(self.config.maxConnectionsPerIP)
        self.leftWork = LeftWork(reactor)
        self.loginFailures = AddressFailures(
            ipv6PrefixLength=self.config.ipv6PrefixLength)
        self.peerWarnings = PeerWarnings(reactor,
                                         self.config.ipv6PrefixLength)
        if hub is None:
            hub = configuredHub(self.config, servedRoot(portal.realm),
                                reactor=reactor)
        self.events = hub
        # Its counts of lines left out are written once the sessions of
        # a drain are gone (and at stopFactory).
        getattr(hub, "finishers", []).append(self.peerWarnings.finish)
        getattr(hub, "finishers", []).append(uploadlocks.walkCuts.finish)
        self.listenerPool = ListenerPool(reactor, self.config.dataTimeout)
        shareLimit = passiveLimit(self.config.maxPassivePerIP,
                                  self.config.passivePorts,
                                  self.config.workers)
        self.passiveShares = (None if shareLimit is None
                              else PassiveShares(
                                  shareLimit, self.config.ipv6PrefixLength,
                                  self.config.workers))
        self.theftAlarm = TheftAlarm(reactor)
        self.heldUploads = HeldUploads()
        self.openSessions = set()
        # A listing of a hung mount holds its address's turn for ever:
        # past the disk threads' time for stuck calls it counts no more.
        self.listingTurns = Turns(clock=reactor, stuckAfter=STUCK_AFTER)
        self.hashTurns = Turns()
        self.sortBudget = SortBudget(processBudget(self.config.workers))
        self.totalLimits = serverLimits(self.config.maxTotalRate, reactor)
        self.virtualHosts = hostTable(self.config.virtualHosts)
        self.featureReplies = KeptReplies(FEATURE_SETS)
        self._ownUsers = {}
        self._hostPortals = {host: self._sharingCheckers(host.realm)
                             for host in self.config.virtualHosts}
        self._idleWatches = {}
        self._started = False
        self.loginWatch = self.idleWatch(self.config.loginTimeout,
                                         "loginTimedOut", LoginWatch)
        self._stallSweep = None
        self._lingerWatcher = None

    def idleWatch(self, timeout, expire="timeoutConnection",
                  kind=IdleWatch):
        """
        @param timeout: an idle timeout, in seconds.
        @param expire: the name of the sessions' method called when it is
            over (L{IdleWatch.expire}): each deadline has watches of its
            own (a session's idle time and its time to log in).
        @param kind: the class of the watch made when there is none yet
            (L{LoginWatch} for the time to log in).
        @return: the L{IdleWatch} of the sessions with that timeout.
        """
        key = (timeout, expire)
        watch = self._idleWatches.get(key)
        if watch is None:
            watch = self._idleWatches[key] = kind(self.reactor, timeout,
                                                  expire)
            if self._started:
                watch.hold()
        return watch

    def _sharingCheckers(self, realm):
        """
        @param realm: a virtual host's realm.
        @return: a L{Portal} to C{realm} through the checkers of
            C{self.portal}: every virtual host shares the server's users,
            but for a realm with users of its own, whose passwords its
            users checker checks (L{checkerForHost}).
        """
        portal = Portal(realm)
        users = realmUsers(realm)
        for interface, checker in self.portal.checkers.items():
            hostChecker = checkerForHost(checker, users)
            if hostChecker is not checker:
                self._ownUsers[portal] = usersIdentity(users)
            portal.registerChecker(hostChecker, interface)
        return portal

    def usersOf(self, portal):
        """
        @param portal: the portal a session logs in through (C{None}: the
            server's).
        @return: where the users it checks come from (a users file's
            path, a digest of a database's connection string:
            L{usersIdentity}) when they are a virtual host's own
            (L{_sharingCheckers}), else C{None}: its C{alice} is not the
            server's, and counts apart for C{--max-sessions-per-user}
            (L{userKey}) and for the partial uploads she may resume
            (L{ftpkit.control.handlers.login.resumerOf}).
        """
        return self._ownUsers.get(portal)

    def pickHost(self, name, localNames):
        """
        What C{HOST} picks (see L{ftpkit.control.vhosts.chooseHost}).

        @param name: a host name normalized by
            L{ftpkit.control.vhosts.parseHostName}.
        @param localNames: the names of the control connection's local
            address (L{ftpkit.control.vhosts.localAddressNames}).
        @return: C{(portal, banner)}: the virtual host's portal and
            banner, C{(self.portal, None)} for the default realm; or
            C{None} for a name not served here.
        """
        host = chooseHost(name, self.virtualHosts, localNames,
                          self.config.vhostFallback)
        if host is None:
            return None
        if host == DEFAULT:
            return self.portal, None
        return self._hostPortals[host], host.banner

    def startFactory(self):
        """
        Set the process's file-creation mask to C{config.umask}, if set,
        for the files and directories users make (C{twistd ftpkit} sets
        it at start too, L{ftpkit.deploy.startupwork.StartupWork}, before any
        file of its own). Pool passive listeners (again, after
        L{stopFactory}); watch for the end of bursts (L{AfterBurst});
        keep the timers of the theft alarm, of the lingering close
        (L{ftpkit.data.linger.LingerWatcher.hold}), of the data stall
        watchdog (L{ftpkit.data.stallsweep.StallSweep.hold}) and of the
        idle timeouts (L{IdleWatch.hold}) between uses.
        """
        if self.config.umask is not None:
            os.umask(self.config.umask)
        self.listenerPool.reopen()
        self.theftAlarm.start()
        self.afterBurst.start()
        if self._lingerWatcher is None:
            self._lingerWatcher = watcherFor(self.reactor)
            self._lingerWatcher.hold()
        if self._stallSweep is None:
            self._stallSweep = sweepFor(self.reactor, self.config.dataTimeout)
            self._stallSweep.hold()
        if not self._started:
            self._started = True
            for watch in self._idleWatches.values():
                watch.hold()

    def stopFactory(self):
        """
        Close the pooled passive listeners, and those of sessions ending
        from now on; the timers kept between uses end once unused, and a
        release of memory still to come (L{AfterBurst}) is forgotten; the
        peer warnings left out of the log are counted there now; the
        connections waiting over a limit (L{overLimit}) are refused
        (C{421}, as the drain refuses them), as the acceptor of
        C{--workers} refuses its own.
        """
        self.listenerPool.closeAll()
        self.overLimit.stop()
        self.peerWarnings.stop()
        self.theftAlarm.stop()
        self.afterBurst.stop()
        # The watcher held at the start, whatever self.reactor is now (a
        # test that put a clock in front of it after the start released
        # another's, and the reactor's stayed held: the first download of
        # each later test in the process left it in the reactor).
        if self._lingerWatcher is not None:
            self._lingerWatcher.release()
            self._lingerWatcher = None
        if self._stallSweep is not None:
            self._stallSweep.release()
            self._stallSweep = None
        if self._started:
            self._started = False
            for watch in self._idleWatches.values():
                watch.release()

    @property
    def sessions(self):
        """
        @return: the number of live sessions.
        """
        return self.limiter.sessions

    @property
    def sessionsByHost(self):
        """
        @return: live sessions per client address.
        """
        return self.limiter.sessionsByHost

    def buildProtocol(self, addr):
        """
        @param addr: the peer's address.
        @return: a new L{FTPProtocol}.
        """
        return FTPProtocol(self)

    def sessionStarted(self, host):
        """
        Count a new session.

        @param host: the client's address, as the limits count it.
        @return: C{None} to accept it, or the reason to refuse it.
        """
        refusal = self.limiter.admit(host)
        if refusal is None and not self.addressRules.allows(host):
            # Released at once: under --workers the acceptor counted it.
            self.limiter.release(host)
            refusal = NOT_ALLOWED
        if refusal is None:
            self.afterBurst.counted(self.limiter.sessions)
        return refusal

    def sessionEnded(self, host):
        """
        Forget a session counted by L{sessionStarted}; after a burst, give
        the memory freed back to the system (L{AfterBurst}).

        @param host: the address L{sessionStarted} counted.
        """
        self.limiter.release(host)
        self.afterBurst.counted(self.limiter.sessions)
        self.overLimit.retry()
