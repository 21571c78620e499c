"""
Stopping without losing anything (C{SIGTERM}): L{Drain} stops a
factory's sessions in order once the listeners are closed.

An idle session is told C{421} and closed at once. A session running a
command (a transfer, most often) finishes it, gets its reply (C{226}),
then, unless its client sends C{QUIT} (then answered C{221}) within
L{QUIT_WAIT}, C{421}, and is closed: at once when its client sends (or
pipelined) any other command, which the stop does not run; after
L{QUIT_WAIT} when it sends nothing (so a silent client makes the drain
that much longer). Draining is over once every connection has
closed, so that replies queued in a TLS layer are sent, not dropped when
the process ends, and the shell has answered what was cut short (an
upload's commit after its C{ABOR}'s C{426}). Those still running after
the grace period have their transfers aborted (or the wait of a transfer
command for the file it opens or for its data connection) (an upload's
L{ftpkit.interfaces.IWriteFile.abort} leaves the old file as it was); the
client gets the transfer's C{426} (C{226} for a download whose every
byte was sent), in clear or under TLS, then C{421}, once, and the session
is closed (told C{421} anyway if its command has not replied within
L{REPLY_WAIT}).
L{Drain.hurry} (C{SIGQUIT}) ends the grace now, or makes it none; the
log then says so (L{CUTTING}, L{GRACE_CUT}), not that a grace of 0 s was
over, or that transfers finish.
"""

from twisted.application import service
from twisted.internet import defer, task
from twisted.logger import Logger

from ftpkit.deferreds import within
from ftpkit.protocol.numbertext import decimalValue

SHUTTING_DOWN = "Server shutting down; try again later"
"""The text of the C{421} a drained session gets."""

STOPPING = ("stopping: closing {idle} idle sessions, {transfers} finishing "
            "their transfers and {others} other commands (grace {grace} s)")
"""The line of a drain that begins (L{countRunning} counts the sessions
it names)."""

CUTTING = ("stopping now: closing {idle} idle sessions, cutting {transfers} "
           "transfers and {others} other commands")
"""The line of a drain that begins after L{Drain.hurry}."""

GRACE_OVER = ("shutdown grace of {grace} s over: closing {transfers} "
              "sessions with transfers running and {others} with other "
              "commands")
"""The line of a drain whose grace is over, sessions still running."""

GRACE_CUT = ("shutdown grace of {grace} s cut short (SIGQUIT): closing "
             "{transfers} sessions with transfers running and {others} with "
             "other commands")
"""The line of a drain L{Drain.hurry} ended, sessions still running."""

ABORT_WAIT = 10.0
"""
Seconds to wait, once the grace is over and sessions are closed, for
their commands to finish aborting (an upload removing its temporary
file): a shell that never answers must not keep the process from
exiting.
"""

QUIT_WAIT = 2.0
"""
Seconds a session whose command replied during the drain waits for its
client's next command before it is told C{421}: a client reading the
C{226} of its transfer then sending C{QUIT} (ftplib's C{with} block)
read the C{421} sent right after the C{226} as C{QUIT}'s reply, and
ftplib raised. A C{QUIT} within gets its C{221}; any other command ends
the wait (C{421} at once, as its reply: it waited unanswered until the
wait was over); so does the grace's end.
"""

REPLY_WAIT = 2.0
"""
Seconds a session whose transfer was aborted when the grace is over may
take for its command to reply (C{426}) before it is told C{421} and
closed anyway: an abort ending the transfer on a later turn of the
reactor (a TLS data connection) is still answered first.
"""


def countRunning(sessions):
    """
    Count what a drain's sessions are doing, for its lines: a
    session whose login is being answered (the delay after a wrong
    password, a slow password check), or whose C{DELE} or C{MKD} waits
    for the storage, runs a command that is no transfer, and was counted
    among those finishing their transfers.

    @param sessions: the sessions (L{ftpkit.control.server.FTPProtocol}).
    @return: C{(idle, transfers, others)}: the sessions running no
        command; those running a transfer (or its command waiting for its
        file, its data connection or an upload's commit:
        C{transferState}); those running another command.
    """
    idle = transfers = 0
    for session in sessions:
        if session.isIdle():
            idle += 1
        elif session.transferState() is not None:
            transfers += 1
    return idle, transfers, len(sessions) - idle - transfers


def finishLeft(factory, reactor, left):
    """
    The work a server's stop waits for once its sessions are closed: that
    of the sessions whose client left before the shell answered them
    (L{ftpkit.ops.leftwork.LeftWork}), then the hub's C{finishers},
    which log what that work published.

    @param factory: the L{ftpkit.control.server.FTPFactory}.
    @param reactor: provides C{IReactorTime}.
    @param left: the seconds the stop may still wait (none when negative).
    @return: a Deferred firing once it is done or given up.
    """
    ends = reactor.seconds() + max(0, left)
    leftWork = getattr(factory, "leftWork", None)
    waited = defer.succeed(None) if leftWork is None else leftWork.finish(
        max(0, left))
    hub = getattr(factory, "events", None)
    return waited.addCallback(lambda _: defer.DeferredList(
        [finish(max(0, ends - reactor.seconds()))
         for finish in getattr(hub, "finishers", ())]))


class Drain(service.Service):
    """
    When stopped, drains the sessions of one
    L{ftpkit.control.server.FTPFactory}; its C{stopService} fires once every one
    is gone.

    @ivar factory: the factory whose sessions are drained.
    @ivar grace: seconds running commands may take to finish.
    """

    log = Logger()

    def __init__(self, factory, grace, reactor=None):
        """
        @param factory: an L{ftpkit.control.server.FTPFactory}.
        @param grace: seconds running commands may take to finish.
        @param reactor: the reactor (the factory's when C{None}).
        """
        self.factory = factory
        self.grace = grace
        self.reactor = reactor if reactor is not None else factory.reactor
        self._told = set()
        self._timers = (None, None)
        self._hurried = False
        self._graceGiven = grace
        self._cutAtOnce = False
        self._workStarted = None

    def stopService(self):
        """
        Drain every session.

        @return: a Deferred firing with C{None} once each one is closed
            and its command has finished (or given up), on a turn of the
            reactor of its own: fired from within the call that closed
            the last session, it let the reactor's shutdown, which waits
            on it, close every connection while that one was still half
            way through its C{connectionLost} (then closed twice, an
            C{AttributeError} traceback in the log).
        """
        service.Service.stopService(self)
        return self.drain().addCallback(
            lambda ignored: task.deferLater(self.reactor, 0, lambda: None))

    def drain(self):
        """
        Refuse the connections waiting over a connection limit
        (C{overLimit}, L{ftpkit.control.overlimitholds}: C{421}, as a
        client connecting now is); close idle sessions now, busy ones once
        their command replied,
        and the rest when the grace is over (a transfer whose client left
        while it goes on among them: its session is open until it ends);
        then let the work the
        sessions' events started (the C{--on-upload} commands of their
        uploads) finish within what is left of the grace
        (L{ftpkit.ops.events.EventHub.finishers}).

        @return: a Deferred firing once every session is closed and its
            command has finished, and that work is done, or
            L{ABORT_WAIT} after the grace.
        """
        started = self.reactor.seconds()
        # First: a session closed below must not let in a connection
        # waiting over a limit, a session the drain would not wait for.
        overLimit = getattr(self.factory, "overLimit", None)
        if overLimit is not None:
            overLimit.stop()
        sessions = list(self.factory.openSessions)
        if not sessions:
            return self._finishWork(started)
        idle, transfers, others = countRunning(sessions)
        self._graceGiven, self._cutAtOnce = self.grace, self._hurried
        # busy: the field's name and sum before the two counts came apart,
        # kept for whoever reads the JSON events.
        self.log.info(CUTTING if self._hurried else STOPPING, idle=idle,
                      transfers=transfers, others=others,
                      busy=transfers + others, grace=decimalValue(self.grace))
        finished = defer.DeferredList(
            [self._finish(session) for session in sessions])
        graceTimer = self.reactor.callLater(self.grace, self._graceOver,
                                            sessions)

        def allFinished(result):
            if graceTimer.active():
                graceTimer.cancel()
            return None

        finished.addCallback(allFinished)
        finished.addCallback(lambda ignored: self._finishWork(started))
        drained, giveUp = within(finished, self.grace + ABORT_WAIT,
                                  self.reactor)
        self._timers = (graceTimer, giveUp)
        return drained

    def _finishWork(self, started):
        """
        Let the work the sessions' events started finish within what is
        left of the grace.

        @param started: when the drain began (the reactor's seconds).
        @return: a Deferred firing once it is done or given up.
        """
        self._workStarted = started
        return finishLeft(self.factory, self.reactor,
                          self.grace + started - self.reactor.seconds())

    def hurry(self):
        """
        Cut the transfers now (C{SIGQUIT}): a drain under way has its
        grace over at once (and waits L{ABORT_WAIT} at most for the
        commands to end), and one yet to come has no grace; so has the
        work of the sessions' events it waits for.
        """
        self.grace = 0
        self._hurried = True
        graceTimer, giveUp = self._timers
        if graceTimer is not None and graceTimer.active():
            graceTimer.reset(0)
            giveUp.reset(ABORT_WAIT)
        if self._workStarted is not None:
            self._finishWork(self._workStarted)

    def _finish(self, session):
        """
        Let one session finish what it is doing, then close it.

        @return: a Deferred firing once its connection is closed (its
            last replies sent), its command has finished, and the shell
            has answered what was cut short (an upload's commit after its
            C{ABOR}'s C{426}, which then stores the file or keeps it for
            a resume).
        """
        busy = not session.isIdle()

        def idle(ignored):
            if busy:
                # A command the stop refused (pipelined, or sent after
                # the reply) is answered now: its client waits for it.
                quitOrAsked = defer.DeferredList(
                    [session.whenLost(), session.whenRefusedInStop()],
                    fireOnOneCallback=True)
                waited = within(quitOrAsked, QUIT_WAIT, self.reactor)[0]
                waited.addCallback(
                    lambda ignored: self._tellAndClose(session))
            else:
                self._tellAndClose(session)
            # Closed, not only idle: replies still queued (in the TLS
            # layer, or a socket's full buffer) are sent before the
            # connection ends; the process ending first would drop them.
            return defer.gatherResults([session.whenIdle(),
                                        session.whenLost(),
                                        session.whenSettled()])

        return session.stopTaking().addCallback(idle)

    def _graceOver(self, sessions):
        """
        The grace is over: close the sessions still running a command.
        """
        left = [session for session in sessions
                if session in self.factory.openSessions]
        # Begun after SIGQUIT, the drain said at once that it cuts them.
        # A session idle by now, its connection not ended yet (its last
        # replies still going out under TLS), is cut from nothing.
        _, transfers, others = countRunning(left)
        if transfers + others and not self._cutAtOnce:
            self.log.warn(GRACE_CUT if self._hurried else GRACE_OVER,
                          grace=decimalValue(self._graceGiven), transfers=transfers,
                          others=others, count=transfers + others)
        for session in left:
            # A download whose every byte went to the kernel is complete
            # (226): the abort ends it in order, and its client gets it all.
            session.abortTransfer(sentCompletes=True)
            # The transfer's own reply (426) first, whenever the abort
            # ends the command: at once for a bare data connection, on a
            # later turn of the reactor for a TLS one. The session idle is
            # told 421 (_finish); one whose command does not reply within
            # REPLY_WAIT is told and closed anyway.
            replied = within(session.whenIdle(), REPLY_WAIT,
                              self.reactor)[0]
            replied.addCallback(
                lambda ignored, session=session: self._tellAndClose(session))

    def _tellAndClose(self, session):
        """
        Tell a session C{421} and close it, once whatever comes first
        (its command replying, the grace being over) asks, unless it
        closed already (its client's C{QUIT}).
        """
        if session in self._told or session.hasClosed():
            return
        self._told.add(session)
        session.reply(421, SHUTTING_DOWN)
        session.close()
