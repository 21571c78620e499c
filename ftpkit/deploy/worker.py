"""
A worker process of C{--workers} (see L{ftpkit.deploy.workers}): it serves the
control connections the acceptor hands it over descriptor L{WORKER_FD}.

Run by the acceptor as C{python -m ftpkit.deploy.worker OPTIONS}, with the
same options as the server itself (after the directory their relative
paths are taken from, L{ftpkit.deploy.startdirectory}), it builds its
service with the same builder as a single process
(L{ftpkit.deploy.service.makeService}): the same start-up work, reload and
drain, done at the acceptor's word (C{reload}, C{stop}; its signals are
the acceptor's, L{ftpkit.deploy.workersignals}). Its log
goes to the acceptor (L{ftpkit.ops.workerlog}).

Both ways go lines, through a L{Channel} at each end
(L{ftpkit.deploy.channel}: whole and in order, even when the other end
is slow to read). Each connection comes with a line, its client's
address, followed by C{greeted} where a worker that died had greeted it
already (L{AlreadyGreeted}). Messages to the acceptor are lines: C{ready} once
the worker serves,
C{took} for each connection received, once its session wrote its greeting
to it (the acceptor keeps its copy until then, L{ftpkit.deploy.handover};
L{writeGreeting}), C{pong} for each C{ping} the acceptor
sends to learn whether the worker's reactor runs, C{ended HOST} for each
session that ended, C{failed HOST} and C{checking HOST} for failed
logins (L{ftpkit.deploy.sharedfailures}, whose counts come back with the
connections' lines), C{signalled SIGTERM} when it got that signal,
C{draining} once it stops (told C{stop}: it keeps
reading the acceptor's lines until it exits, and answers a connection
sent to it after that with C{back}, unopened), and, with
C{--max-sessions-per-user}, C{login} and C{logout} (L{ftpkit.auth.sharedusers},
whose answers come back with the connections' lines).
"""

import errno
import os
import signal
import socket
import stat
import sys

from twisted.application import service
from twisted.internet.error import ReactorNotRunning
from twisted.logger import Logger
from twisted.python import usage

from ftpkit.control.implicitendpoints import isImplicitTLS
from ftpkit.control.proxied import ProxiedFactory
from ftpkit.control.tls import implicitFactory
from ftpkit.deploy.acceptor import acceptorAddress
from ftpkit.deploy.channel import LOST, Channel
from ftpkit.deploy.fdlimit import REFUSAL
from ftpkit.deploy.greetings import (
    AlreadyGreeted,
    connectionHost,
    dieAfterGreetingIfAsked,
    wasGreeted,
    writeGreeting,
)
from ftpkit.deploy.pendingsweep import takeLine
from ftpkit.deploy.proxiedaccept import isProxiedConnection
from ftpkit.deploy.workercpus import pinFromEnvironment
from ftpkit.deploy.workerprocess import WORKER_FD, WORKER_IGNORES
from ftpkit.ops.logthrottle import LogThrottle, Summaries, skippedNote
from ftpkit.shells.uploads import temporaryTag


class ReportingLimiter:
    """
    The limiter of a worker's factory: the acceptor already admitted every
    session; the worker counts them and reports each one that ends.

    @ivar sessions: live sessions in this worker.
    @ivar sessionsByHost: live sessions per client address.
    """

    def __init__(self, channel):
        """
        @param channel: the L{Channel} to the acceptor.
        """
        self.channel = channel
        self.sessions = 0
        self.sessionsByHost = {}

    def admit(self, host):
        """
        Count a session the acceptor admitted.

        @param host: the client's address, as the limits count it.
        @return: C{None}.
        """
        self.sessions += 1
        self.sessionsByHost[host] = self.sessionsByHost.get(host, 0) + 1
        return None

    def release(self, host):
        """
        Tell the acceptor a session ended.

        @param host: the address L{admit} counted.
        """
        self.sessions -= 1
        left = self.sessionsByHost.get(host, 1) - 1
        if left:
            self.sessionsByHost[host] = left
        else:
            self.sessionsByHost.pop(host, None)
        self.channel.sendLine(b"ended " + host.encode("ascii", "replace"))


LOST_LINES = 10
"""Lines a minute saying a connection had no descriptor free in this
worker (the acceptor tells each client C{421} and logs it as a refusal
at the door, a few lines a minute per address): a client connecting as
fast as it can while the worker is out of them had a line logged for
each connection."""

LOST_KIND = "lost"
"""The kind those lines are counted as, one for all clients."""


class ConnectionReceiver:
    """
    The receiver of a worker's L{Channel}: starts a session on each
    connection the acceptor sends, answers its pings, does what its words
    say (C{reload}, C{stop}), passes the answers about logins on; stops
    the reactor when the acceptor goes away.

    @ivar draining: whether the worker stops: connections the acceptor
        sends are sent back (C{back}), unopened.
    @ivar words: callables taking no argument, by the acceptor's line
        that calls them.
    """

    draining = False

    log = Logger()

    _lostLines = None

    def __init__(self, reactor, channel, factory, listeners=(), words=None):
        """
        @param reactor: the reactor.
        @param channel: the L{Channel} to the acceptor.
        @param factory: the factory sessions are built with.
        @param listeners: C{((host, port), factory)} for each listener
            whose connections start another way (L{listenerFactories}):
            with a PROXY header (C{haproxy:}), with a TLS handshake
            (C{ssl:}), or both.
        @param words: see L{words} (none when C{None}).
        """
        self.reactor = reactor
        self.channel = channel
        self.factory = factory
        self.listeners = listeners
        self.words = words or {}

    def lineReceived(self, line, descriptors):
        """
        Act on one line of the acceptor: adopt the connection sent with
        it, answer a ping, do what one of its L{words} says, take in its
        sweep's start or end (L{takeLine}), or an answer about logins.

        @param line: the line.
        @param descriptors: the descriptors sent with it (closed here).
        """
        if descriptors and self.draining:
            for descriptor in descriptors:
                if descriptor != LOST:
                    os.close(descriptor)
                self.channel.sendLine(b"back")
        elif descriptors:
            for descriptor in descriptors:
                if descriptor == LOST:
                    self._lost()
                else:
                    self._adopt(descriptor, line)
        elif line == b"ping":
            self.channel.sendLine(b"pong")
        elif line in self.words:
            self.words[line]()
        elif not takeLine(line):
            # Those of a worker's factory take the acceptor's lines (one
            # process's own, or a test's factory, have none).
            answers = getattr(getattr(self.factory, "userSessions", None),
                              "lineReceived", None)
            if answers is not None:
                answers(line)
            failures = getattr(getattr(self.factory, "loginFailures", None),
                               "lineReceived", None)
            if failures is not None:
                failures(line, self.reactor.seconds())
            alarm = getattr(getattr(self.factory, "theftAlarm", None),
                            "lineReceived", None)
            if alarm is not None:
                alarm(line)

    def startDraining(self):
        """
        The worker stops: tell the acceptor (C{draining}), which hands it
        no more connections; send back those it handed before it read
        that.
        """
        self.draining = True
        self.channel.sendLine(b"draining")

    def channelClosed(self):
        """
        The acceptor is gone: stop (unless stopping already).
        """
        if self.reactor.running:
            try:
                self.reactor.stop()
            except ReactorNotRunning:
                pass

    def channelOverflowed(self):
        """
        The acceptor left too many lines unread: say so once (the lines
        are dropped from now on).
        """
        self.log.error("the acceptor reads nothing: {count} bytes wait for "
                       "it; lines to it are dropped",
                       count=self.channel.queued())

    def channelDrained(self):
        """
        The acceptor read every line that waited for it: nothing to do
        (lines to it wait in the channel, and are never refused but past
        its limit).
        """

    def _lost(self):
        """
        A connection sent with a line never came: this process had no
        descriptor free for it. Say so (C{lost}): the acceptor tells the
        client C{421}, as one process out of descriptors does; without
        an answer it took the worker for hung and killed it, cutting
        every session it served.
        """
        self.channel.sendLine(b"lost")
        if self._lostLines is None:
            self._lostLines = Summaries(
                LogThrottle(self.reactor, burst=LOST_LINES), self._lostEnded)
        skipped = self._lostLines.admit(LOST_KIND)
        if skipped is not None:
            self.log.warn("no descriptor free for a connection: "
                          "{refusal}{skipped}", refusal=REFUSAL,
                          skipped=skippedNote(skipped))

    def _lostEnded(self, kind, count):
        """
        Log how many connections had no descriptor free and no line of
        their own, once their minute is over.

        @param kind: L{LOST_KIND}.
        @param count: how many.
        """
        self.log.warn("no descriptor free for {count} more connections, "
                      "not logged", count=count)

    def _adopt(self, descriptor, line):
        """
        Start a session on a connection, and acknowledge it (C{took}).

        @param descriptor: the connection (closed here).
        @param line: its line (L{connectionHost}, L{wasGreeted}).
        """
        try:
            probe = socket.socket(fileno=descriptor)
            addressFamily = probe.family
            local = probe.getsockname()
            probe.detach()
            factory = self._factoryFor(local)
            if wasGreeted(line):
                factory = AlreadyGreeted(factory)
            transport = self.reactor.adoptStreamConnection(
                descriptor, addressFamily, factory)
            writeGreeting(self.reactor, transport)
            dieAfterGreetingIfAsked()
        except OSError as e:
            # A client gone before its session began (a balancer's
            # health check resets its connection at once) is no
            # problem of the server's: not worth a line every check.
            if e.errno != errno.ENOTCONN:
                self.log.warn("could not adopt a connection: {error}",
                              error=str(e))
            # The acceptor counted it: its session ended before it began.
            host = connectionHost(line)
            if host is not None:
                self.channel.sendLine(b"ended " + host)
        finally:
            os.close(descriptor)
            self.channel.sendLine(b"took")

    def _factoryFor(self, local):
        """
        @param local: the address a connection was accepted on.
        @return: the factory to start its session with.
        """
        for address, factory in self.listeners:
            if isProxiedConnection(local[0], local[1], [address]):
                return factory
        return self.factory


class ReceiveConnections(service.Service):
    """
    The serving part of a worker's service: receive connections from the
    acceptor, and tell it the worker is ready.

    @ivar words: the callables the acceptor's lines call
        (L{ConnectionReceiver.words}); set before the service starts.
    """

    def __init__(self, channel, factory, reactor=None, listens=(),
                 trusted=(), tlsContextFactory=None):
        """
        @param channel: the L{Channel} to the acceptor.
        @param factory: the factory sessions are built with.
        @param reactor: the reactor (the global one when C{None}).
        @param listens: the C{--listen} values (those behind C{haproxy:}
            send a PROXY header first, C{ssl:} ones speak TLS at once).
        @param trusted: the C{--trusted-proxy} networks.
        @param tlsContextFactory: the server's TLS context factory (for
            C{ssl:} listeners), or C{None}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.channel = channel
        self.factory = factory
        self.listeners = listenerFactories(listens, factory, trusted,
                                           tlsContextFactory, reactor)
        self.words = {}

    def startService(self):
        """
        Read connections, and say so to the acceptor once the reactor
        runs: after every other service of the worker started (the
        acceptor passes C{SIGHUP} on to ready workers).
        """
        service.Service.startService(self)
        self.factory.doStart()
        self.channel.receiver = ConnectionReceiver(
            self.reactor, self.channel, self.factory, self.listeners,
            self.words)
        self.reactor.addReader(self.channel)
        # With the name of its temporary upload files, which the acceptor
        # sweeps should this worker die (SweepUploads.sweepCut).
        self.reactor.callWhenRunning(self.channel.sendLine,
                                     b"ready " + temporaryTag())

    def stopService(self):
        """
        Take no more connections (L{ConnectionReceiver.startDraining}),
        but keep reading the acceptor's lines until the process exits:
        the drain (L{ftpkit.ops.drain}) may take the whole shutdown grace,
        and a worker reading nothing meanwhile would not answer the
        acceptor's pings (it would be killed as hung, its transfers cut),
        nor take in failed-login counts (filling the acceptor's channel).
        """
        service.Service.stopService(self)
        self.channel.receiver.startDraining()
        self.factory.doStop()


def listenerFactories(listens, factory, trusted, tlsContextFactory,
                      reactor=None):
    """
    The factories of a worker's connections that do not start with the
    session itself, by the listener the acceptor took them on: as a single
    process listens (L{ftpkit.deploy.service.makeService}), an C{ssl:}
    listener's sessions start with a TLS handshake, a C{haproxy:} one's
    with a PROXY header (then TLS, for C{haproxy:ssl:}).

    @param listens: the C{--listen} values.
    @param factory: the factory sessions are built with.
    @param trusted: the C{--trusted-proxy} networks.
    @param tlsContextFactory: the server's TLS context factory, or
        C{None}.
    @param reactor: see L{ProxiedFactory}.
    @return: a C{list} of C{((host, port), factory)}, only for listeners
        whose factory is not C{factory} itself.
    """
    result = []
    for description in listens:
        _, host, port, proxied = acceptorAddress(description)
        serving = factory
        if isImplicitTLS(description) and tlsContextFactory is not None:
            serving = implicitFactory(serving, tlsContextFactory)
        if proxied:
            serving = ProxiedFactory(serving, trusted, reactor)
        if serving is not factory:
            result.append(((host, port), serving))
    return result


NOT_BY_HAND = ("python -m ftpkit.deploy.worker: a worker is started by the "
               "acceptor of --workers: run python -m ftpkit --workers N "
               "(or twistd ftpkit --workers N)")
"""What a worker run by hand says before it exits (status 2)."""


def startedByAcceptor(descriptor=WORKER_FD):
    """
    @param descriptor: the descriptor of the acceptor's channel.
    @return: whether this process has it (a Unix socket there): run by
        hand, it had none, and the worker ended in a C{TypeError}
        traceback reading the kept files it was not given.
    """
    try:
        return stat.S_ISSOCK(os.fstat(descriptor).st_mode)
    except OSError:
        return False


def main(argv=None):
    """
    Parse the server's options, build the service, and serve what the
    acceptor sends until it goes away or says C{stop}.

    @param argv: the options (C{sys.argv[1:]} by default).
    """
    if not startedByAcceptor():
        sys.stderr.write(NOT_BY_HAND + "\n")
        sys.exit(2)
    # Before any thread starts, so that every one takes its CPU
    # (--worker-cpus).
    notPinned = pinFromEnvironment()
    # SIGHUP, SIGINT and SIGQUIT are the acceptor's
    # (ftpkit.deploy.workersignals), and their default actions (ending the
    # process, KeyboardInterrupt, a core dump) must not apply. SIGUSR1 is
    # twistd's log rotation, the acceptor's business too (a worker logs
    # through it); its default action would end the worker and cut its
    # sessions (systemctl kill -s USR1 signals every process). SIGUSR2
    # means nothing to ftpkit, as for the acceptor (Options). The
    # acceptor started the worker with them all blocked
    # (WorkerPool._startWorker): ignored from now on, then unblocked.
    for number in WORKER_IGNORES:
        signal.signal(number, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_IGNORES)

    from twisted.internet import reactor

    from ftpkit.deploy import tap
    from ftpkit.deploy.keptfiles import receive
    from ftpkit.deploy.service import makeService, runService
    from ftpkit.deploy.startdirectory import takeStart
    from ftpkit.ops.workerlog import beginWorkerLogging

    workerLog = beginWorkerLogging()
    if notPinned is not None:
        Logger(namespace="ftpkit.deploy.worker").error("{line}",
                                                       line=notPinned)
    receive()
    linked = socket.socket(fileno=WORKER_FD)
    linked.setblocking(False)
    channel = Channel(linked, reactor)
    options = tap.Options()
    options.worker = True
    try:
        options.parseOptions(takeStart(sys.argv[1:] if argv is None
                                       else argv))
    except usage.UsageError as e:
        sys.stderr.write(f"ftpkit worker: {e}\n")
        sys.exit(1)
    runService(makeService(options, workerChannel=channel,
                           workerLog=workerLog))


if __name__ == "__main__":
    main()
