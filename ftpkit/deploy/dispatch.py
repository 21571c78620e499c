"""
What the acceptor of C{--workers} (L{ftpkit.deploy.workers}) does with each
accepted control connection: refuse it (C{--allow-from}/C{--deny-from},
descriptors running low, no worker ready), let it wait a moment when it
is over a connection limit (L{ftpkit.deploy.overlimit}), or hand it to the
least busy ready worker; when every ready worker's channel has lines
waiting (L{ChannelBusy}), it waits a moment (L{CHANNEL_WAIT}) for one to
take it. The limits count every worker's sessions together; the workers
report the sessions that end.
"""

from twisted.logger import Logger

from ftpkit.control.hangup import peerHungUp
from ftpkit.control.policies import ConnectionLimiter
from ftpkit.control.sessionlimits import NOT_ALLOWED, AddressRules
from ftpkit.deploy import fdlimit
from ftpkit.deploy.channel import ChannelBusy
from ftpkit.deploy.listening import refusalBytes, sendReply
from ftpkit.deploy.overlimit import RELEASE_WAIT, OverLimitWaits
from ftpkit.deploy.proxiedaccept import HeaderWaits, isProxiedConnection
from ftpkit.deploy.waiting import WaitingConnections
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.events import CONNECTION_REFUSED, Event, EventHub
from ftpkit.protocol.replies import formatReply

UNAVAILABLE = "Service not available; try again later"
"""The refusal when no worker can take a connection."""

CHANNEL_WAIT = 3.0
"""
Seconds an admitted connection waits for a worker's channel to take it
when every ready worker's channel has lines waiting (a worker busy for a
moment, or flooded with lines), before it gets C{421}: a working worker
reads its lines well within that, and one that reads none is found hung
within L{ftpkit.deploy.handover.ANSWER_TIMEOUT}.
"""

MOST_HELD = 64
"""The most connections waiting for a worker's channel at once."""


class Dispatcher:
    """
    The acceptor's decisions on each connection. A subclass says which
    workers can take one (L{readyWorkers}).

    @ivar limiter: the L{ConnectionLimiter} for all workers together.
    @ivar addressRules: the L{AddressRules} (C{--allow-from},
        C{--deny-from}) checked before a connection counts.
    @ivar events: the L{EventHub} connections refused here are published
        to (L{eventLog} logs them), and, under C{--workers}, the transfers
        and sessions a dead worker cut (L{ftpkit.deploy.inflight}).
    @ivar eventLog: the L{EventLog} of L{events}.
    @ivar headerWaits: the L{HeaderWaits} of C{haproxy:} listeners'
        connections.
    @ivar overLimit: the L{OverLimitWaits} of connections over a limit.
    @ivar channelWaits: the L{WaitingConnections} of admitted connections
        waiting for a worker's channel (L{handOver}), each with C{(host,
        greeted)}.
    @ivar spare: the L{fdlimit.SpareDescriptor} kept to refuse clients
        when descriptors run out.
    @ivar tlsListeners: C{(host, port)} of each implicit-TLS (C{ssl:})
        listener, whose refused clients get a TLS alert (L{refuse}).
    """

    log = Logger()

    def __init__(self, config, reactor):
        """
        @param config: the L{ftpkit.config.ServerConfig} (for its limits).
        @param reactor: the reactor.
        """
        self.reactor = reactor
        self.events = EventHub()
        self.eventLog = EventLog(
            reactor, ipv6PrefixLength=config.ipv6PrefixLength)
        self.eventLog.subscribeTo(self.events)
        self.headerWaits = HeaderWaits(
            reactor, config.trustedProxies, self.dispatch,
            refuseStopping=lambda connection, balancer: self.refuse(
                connection, balancer, SHUTTING_DOWN))
        self.limiter = ConnectionLimiter(config.maxConnections,
                                         config.maxConnectionsPerIP,
                                         config.ipv6PrefixLength)
        self.overLimit = OverLimitWaits(
            reactor, self._admitted, self.refuse, config.ipv6PrefixLength,
            lambda client: self.limiter.sessionsByHost.get(client, 0),
            peerHungUp)
        self.channelWaits = WaitingConnections(
            reactor, self._handOverHeld, self._refuseHeld, MOST_HELD)
        self.addressRules = AddressRules(config.allowFrom, config.denyFrom)
        self.spare = fdlimit.SpareDescriptor()
        self.tlsListeners = []

    def readyWorkers(self):
        """
        @return: the workers that can take a session now, each with
            C{sessions} (how many it holds) and C{send(connection, host)}.
        """
        raise NotImplementedError()

    def dispatch(self, connection, host):
        """
        Refuse a connection from an address C{--allow-from}/C{--deny-from}
        refuse, or when no worker is ready; one over the limits waits for
        a session to end (L{OverLimitWaits}); else hand it to the least
        busy ready worker.

        @param connection: the accepted socket (closed here, or by
            L{overLimit}, either way).
        @param host: the client's address.
        """
        held = False
        try:
            refusal = fdlimit.connectionRefusal(connection.fileno())
            if refusal is None and not self.addressRules.allows(host):
                refusal = NOT_ALLOWED
            if refusal is None and not self.readyWorkers():
                refusal = UNAVAILABLE
            if refusal is None:
                refusal = self.limiter.admit(host)
                if refusal is None:
                    held = self.handOver(connection, host)
                    return
                held = self.overLimit.wait(connection, host, refusal,
                                           RELEASE_WAIT)
            if not held:
                self.refuse(connection, host, refusal)
        finally:
            if not held:
                connection.close()

    def _admitted(self, connection, host):
        """
        Count a connection that waited over a limit, if it fits now, and
        hand it to a worker.

        @return: whether it fitted (and was handed over, or refused and
            closed).
        """
        if self.limiter.admit(host) is not None:
            return False
        if not self.handOver(connection, host):
            connection.close()
        return True

    def handOver(self, connection, host, greeted=False):
        """
        Hand an admitted connection to the least busy ready worker (one
        that cannot take it is skipped, as is one whose channel holds
        lines it has not read yet, L{ChannelBusy}). When only busy
        channels kept it from one, it waits (L{CHANNEL_WAIT}, at most
        L{MOST_HELD} of them) for a channel to drain
        (L{channelDrained}); else, or after that wait, it is refused.

        @param connection: the accepted socket.
        @param host: its client's address (counted in L{limiter}).
        @param greeted: whether its client was greeted already (by a
            worker that died before it acknowledged the connection).
        @return: whether a worker has it now, or it waits for one; else
            the caller closes it.
        """
        busy = self._offer(connection, host, greeted)
        if busy is None:
            return True
        if busy and self.channelWaits.wait(connection, (host, greeted),
                                           UNAVAILABLE, CHANNEL_WAIT):
            return True
        self._refuseHeld(connection, (host, greeted), UNAVAILABLE)
        return False

    def _offer(self, connection, host, greeted):
        """
        Send a connection to the least busy ready worker that can take it
        now.

        @return: C{None} when one has it; else whether a ready worker's
            channel was busy (L{ChannelBusy}).
        """
        ready = self.readyWorkers()
        busy = False
        while ready:
            worker = min(ready, key=lambda each: each.sessions)
            try:
                worker.send(connection, host, greeted)
            except ChannelBusy:
                ready.remove(worker)
                busy = True
            except OSError as e:
                ready.remove(worker)
                self.log.error("could not hand a session to a worker: "
                               "{error}", error=str(e))
            else:
                return None
        return busy

    def _handOverHeld(self, connection, about):
        """
        @param about: C{(host, greeted)} of a connection waiting for a
            worker's channel.
        @return: whether a worker took it now.
        """
        host, greeted = about
        return self._offer(connection, host, greeted) is None

    def _refuseHeld(self, connection, about, refusal):
        """
        Refuse an admitted connection no worker took: it no longer counts
        against the limits. The caller closes it.

        @param about: C{(host, greeted)}.
        @param refusal: the reason.
        """
        host, _ = about
        self.limiter.release(host)
        self.refuse(connection, host, refusal)

    def channelDrained(self):
        """
        A worker's channel sent every line that waited in it, or a worker
        became ready: hand it the connections waiting for one.
        """
        self.channelWaits.retry()

    def refuse(self, connection, host, refusal):
        """
        Tell a client why it is refused (C{421}; a client of an
        implicit-TLS listener, L{tlsListeners}, gets
        L{ftpkit.deploy.listening.TLS_REFUSAL} instead); the caller closes
        it.

        @param connection: the accepted socket.
        @param host: the client's address.
        @param refusal: the reason.
        """
        self.events.publish(Event(
            CONNECTION_REFUSED, host, time=self.reactor.seconds(),
            reason=refusal))
        sendReply(connection, refusalBytes(formatReply(421, refusal),
                                           self._fromTLSListener(connection)))

    def _fromTLSListener(self, connection):
        """
        @param connection: an accepted socket.
        @return: whether it came to one of L{tlsListeners} (its client
            starts with TLS).
        """
        if not self.tlsListeners:
            return False
        try:
            local = connection.getsockname()
        except OSError:
            return False
        return isProxiedConnection(local[0], local[1], self.tlsListeners)

    def stopDispatching(self):
        """
        Refuse the connections still waiting for a PROXY header, over a
        limit or for a worker's channel at once, none admitted any more,
        with the C{421} of a client that connects during the drain
        (L{SHUTTING_DOWN}; the balancer relays it to the client, as it
        relays the C{421} of one still queued,
        L{ftpkit.deploy.listening.refuseQueued}, whose
        header was not read either); then log the refusals left out of
        the log (and drop the timers that would).
        """
        self.headerWaits.stop()
        self.overLimit.stop(SHUTTING_DOWN)
        self.channelWaits.stop(SHUTTING_DOWN)
        self.eventLog.stop()
