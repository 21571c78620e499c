"""
What the acceptor of C{--workers} (L{ftpkit.deploy.workers}) does with each
accepted control connection: refuse it (C{--allow-from}/C{--deny-from},
descriptors running low, no worker ready), let it wait a moment when it
is over a connection limit (L{ftpkit.deploy.overlimit}), or hand it to the
least busy ready worker. The limits count every worker's sessions
together; the workers report the sessions that end.
"""

from twisted.logger import Logger

from ftpkit.control.policies import ConnectionLimiter
from ftpkit.control.sessionlimits import NOT_ALLOWED, AddressRules
from ftpkit.deploy import fdlimit
from ftpkit.deploy.channel import ChannelBusy
from ftpkit.deploy.overlimit import RELEASE_WAIT, OverLimitWaits
from ftpkit.deploy.proxiedaccept import HeaderWaits
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.events import CONNECTION_REFUSED, Event, EventHub
from ftpkit.protocol.replies import formatReply

UNAVAILABLE = "Service not available; try again later"
"""The refusal when no worker can take a connection."""


class Dispatcher:
    """
    The acceptor's decisions on each connection. A subclass says which
    workers can take one (L{readyWorkers}).

    @ivar limiter: the L{ConnectionLimiter} for all workers together.
    @ivar addressRules: the L{AddressRules} (C{--allow-from},
        C{--deny-from}) checked before a connection counts.
    @ivar events: the L{EventHub} connections refused here are published
        to (an L{EventLog} logs them).
    @ivar headerWaits: the L{HeaderWaits} of C{haproxy:} listeners'
        connections.
    @ivar overLimit: the L{OverLimitWaits} of connections over a limit.
    @ivar spare: the L{fdlimit.SpareDescriptor} kept to refuse clients
        when descriptors run out.
    """

    log = Logger()

    def __init__(self, config, reactor):
        """
        @param config: the L{ftpkit.config.ServerConfig} (for its limits).
        @param reactor: the reactor.
        """
        self.reactor = reactor
        self.events = EventHub()
        EventLog().subscribeTo(self.events)
        self.headerWaits = HeaderWaits(reactor, config.trustedProxies,
                                       self.dispatch)
        self.overLimit = OverLimitWaits(reactor, self._admitted, self.refuse,
                                        config.ipv6PrefixLength)
        self.limiter = ConnectionLimiter(config.maxConnections,
                                         config.maxConnectionsPerIP,
                                         config.ipv6PrefixLength)
        self.addressRules = AddressRules(config.allowFrom, config.denyFrom)
        self.spare = fdlimit.SpareDescriptor()

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
        lines it has not read yet, L{ChannelBusy}); refuse it when none
        can.

        @param connection: the accepted socket.
        @param host: its client's address (counted in L{limiter}).
        @param greeted: whether its client was greeted already (by a
            worker that died before it acknowledged the connection).
        @return: whether a worker has it now; else the caller closes it.
        """
        ready = self.readyWorkers()
        while ready:
            worker = min(ready, key=lambda each: each.sessions)
            try:
                worker.send(connection, host, greeted)
            except ChannelBusy:
                ready.remove(worker)
            except OSError as e:
                ready.remove(worker)
                self.log.error("could not hand a session to a worker: "
                               "{error}", error=e)
            else:
                return True
        self.limiter.release(host)
        self.refuse(connection, host, UNAVAILABLE)
        return False

    def refuse(self, connection, host, refusal):
        """
        Tell a client why it is refused (C{421}); the caller closes it.

        @param connection: the accepted socket.
        @param host: the client's address.
        @param refusal: the reason.
        """
        self.events.publish(Event(
            CONNECTION_REFUSED, host, time=self.reactor.seconds(),
            reason=refusal))
        connection.setblocking(False)
        try:
            connection.send(formatReply(421, refusal))
        except OSError:
            pass

    def stopDispatching(self):
        """
        Refuse the connections still waiting (for a PROXY header, or
        over a limit).
        """
        self.headerWaits.stop()
        self.overLimit.stop()
