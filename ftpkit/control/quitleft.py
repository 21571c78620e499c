"""
A session whose client sent C{QUIT} behind a transfer and hung up
(L{QuitAfterLeaving}, a mixin of
L{ftpkit.control.connection.FTPProtocol}): the one place that decides
what such a session still does once its connection is lost
(L{ftpkit.control.connectionlife.ConnectionLife.connectionLost} asks it).

RFC 959 lets a transfer finish after C{QUIT}, and the commands a client
pipelined before its C{QUIT} are ones it asked for: C{RETR big},
C{MKD done}, C{QUIT} in one write, the client gone at once, ran the
transfer but never the C{MKD} (the session, lost, ran nothing more of its
queue). Now the transfer goes on, then the commands queued before the
C{QUIT} run in order (their replies go nowhere), then the C{QUIT}, and
only then does the session stop counting. An C{ABOR} among those
commands ends the running transfer (or the wait for its open or its
data connection) as soon as the session goes on to the C{QUIT}
(L{QuitAfterLeaving.runToQuit}), as it would have on arrival with the
client there, not once the transfer is over (it then had nothing to
end: a download the client cancelled ran whole). vsftpd, one process
reading a session's commands in turn from its socket (C{ftpcmdio.c}),
likewise reads those its kernel still holds after a transfer before it
meets the connection's end.

However the session finds the C{QUIT} (queued; among what it had not read
when it saw its client hang up, L{ftpkit.control.readingcontrol}; among
the lines it received but had not run when the connection was lost), the
commands before it run, as many as its queue holds when connected
(L{leftLines}, L{leftRead}): they were dropped unless the C{QUIT} was
queued, so the same bytes had them run or not by timing. Unbounded,
the 20,000 C{MKD}s a client may send before it would all run, one
after another, for a client long gone: the rest are dropped, in one
log line: a client gone buys no more work
than one connected has waiting. A last C{QUIT} without its line end is
no command (RFC 959 ends each with CRLF; vsftpd and pyftpdlib run only
whole lines): the transfer is cut as without one. A C{QUIT} behind a
command that is not a transfer, or behind commands held while replies
went unread, counts too (L{quitsAfterLeaving}).

Each command run so has the data timeout to end
(L{QuitAfterLeaving._tooLate}): a transfer still waiting for its file's
open or its data connection is cut then (C{426}: a shell or a data
connection that never answers must not keep the session counted); one
running is bounded by its own watchdog, an upload's commit as when a
client leaves without C{QUIT}
(L{ftpkit.control.opening.Committing.clientLeft}); any other command
still unanswered has the session stop waiting: it no longer counts, the
command is left to the shell (as a client leaving without C{QUIT} leaves
it) and the commands after it are dropped.
"""

from ftpkit.control.commandqueue import RUNNING, WAITING
from ftpkit.control.hangup import LeftLines
from ftpkit.control.opening import Committing


class QuitAfterLeaving:
    """
    Runs a lost session's queue down to its C{QUIT} (see the module). The
    session gives C{_queue}, C{_busy}, C{_repliesBlocked}, C{MAX_LENGTH},
    C{transferState}, C{opening}, C{abortTransfer}, C{abortOnArrival},
    C{whenIdle},
    C{callLater}, C{config}, C{setTimeout}, C{factory}, C{log}, C{peer}
    and C{_leave}.
    """

    _runsToQuit = False
    """Whether the session, its client gone, still runs the commands
    queued before its C{QUIT} (the protocol runs its queue although
    closed)."""
    _leftOnce = False
    _abortLeft = False
    """Whether an C{ABOR} is among the commands kept from what the client
    left (L{_keepLeft})."""

    def leftLines(self):
        """
        The client hung up, or its connection was lost, with lines the
        session had not run: what to read them with. The commands before
        a C{QUIT} among them join the queue, as many as it takes when
        connected (L{ftpkit.control.commandqueue.CommandQueue.keepLeft}):
        a client gone buys no more work than one connected has waiting,
        however much it sent before it left.

        @return: a L{LeftLines}.
        """
        return LeftLines(self.MAX_LENGTH, self._keepLeft)

    def _keepLeft(self, verb, argument):
        """
        Keep a command of the lines a client left (L{leftLines}) in the
        queue, noting an C{ABOR} kept (L{runToQuit} has it act).

        @param verb: its verb, upper case.
        @param argument: its argument.
        @return: whether it was kept
            (L{ftpkit.control.commandqueue.CommandQueue.keepLeft}).
        """
        kept = self._queue.keepLeft(verb, argument)
        if kept and verb == "ABOR":
            self._abortLeft = True
        return kept

    def leftRead(self, lines):
        """
        The lines of L{leftLines} were read: with a C{QUIT} among them,
        it waits its turn after the commands kept (L{runToQuit} then runs
        them), and the commands dropped past the queue's limits are
        logged, in one line; without one, the commands kept are
        forgotten with those queued (a client that leaves without
        C{QUIT} has none run).

        @param lines: the L{LeftLines}.
        """
        if not lines.quit:
            self._queue.clear()
            return
        if lines.dropped:
            self.log.warn("{peer} sent QUIT and left with more commands "
                          "before it than the {limit} a session queues; "
                          "running those, the rest dropped", peer=self.peer,
                          limit=len(self._queue))
        self._queue.keepQuit()

    def quitsAfterLeaving(self):
        """
        The client's connection is lost: whether the session goes on to
        its C{QUIT} (L{runToQuit}): one waits behind a command that runs
        (a transfer, say) or behind commands held back.

        @return: C{True} or C{False}.
        """
        return self._queue.quitWaiting()

    def runToQuit(self, opening):
        """
        Let the running transfer end (unless an C{ABOR} among the
        commands kept ends it now: L{_keepLeft}), then run the commands
        queued before the C{QUIT}, and the C{QUIT}; the session leaves
        (C{_leave(opening)}) once that is done, or once a command took too
        long (L{_tooLate}).

        @param opening: what the session's command was opening when its
            client left (L{ftpkit.control.opening}), or C{None}.
        """
        self._runsToQuit = True
        # Nobody reads the replies any more: none holds the queue back.
        self._repliesBlocked = False
        if self._abortLeft and self.transferState() in (RUNNING, WAITING):
            # The ABOR ends the transfer now, as it would have on arrival
            # (FTPProtocol.lineReceived), and waits its turn.
            self.abortOnArrival()
        self._processQueue()
        self._bound(opening)

    def _bound(self, opening):
        """
        Give the running command the data timeout (L{_tooLate}); once it
        ended, bound the next one, or leave if none runs.

        @param opening: see L{runToQuit}.
        """
        timer = self.callLater(self.config.dataTimeout, self._tooLate,
                               opening)

        def ended(result):
            if timer.active():
                timer.cancel()
            if self._busy is not None and self._runsToQuit:
                # The command's end ran the next one (commandFinished).
                self._bound(opening)
            else:
                self._leaveOnce(opening)
            return result
        self.whenIdle().addBoth(ended)

    def _tooLate(self, opening):
        """
        The data timeout is over for a command run after the client sent
        C{QUIT} and left: a transfer still waiting for its file's open or
        its data connection is cut (C{426}); one running, aborting or
        committing goes on (see the module); any other command is left to
        the shell, and the session leaves now.

        @param opening: see L{runToQuit}.
        """
        state = self.transferState()
        if state is WAITING:
            if not isinstance(self.opening, Committing):
                self.log.warn("transfer of {peer}, who sent QUIT and left, "
                              "still not started after {timeout}s; cut",
                              peer=self.peer,
                              timeout=self.config.dataTimeout)
                self.abortTransfer(clientLeft=True)
        elif state is None:
            self.log.warn("command of {peer}, who sent QUIT and left, "
                          "still unanswered after {timeout}s; the commands "
                          "after it dropped", peer=self.peer,
                          timeout=self.config.dataTimeout)
            self._runsToQuit = False
            self._queue.clear()
            self._leaveOnce(opening)

    def _leaveOnce(self, opening):
        """
        Leave (C{_leave}), the first time only: a command given up on
        (L{_tooLate}) ends later. The idle time and the time to log in,
        which a command run meanwhile may have started again (C{PASS},
        C{REIN}), stop: they held the session, and would close it again.

        @param opening: see L{runToQuit}.
        """
        if not self._leftOnce:
            self._leftOnce = True
            self.setTimeout(None)
            self.factory.loginWatch.stop(self)
            self._leave(opening)
