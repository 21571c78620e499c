"""
The commands a client pipelined: L{CommandQueue}, which says what the
control connection runs next. It knows no reactor and no transport: the
protocol (L{ftpkit.control.connection.FTPProtocol}) hands it each
command as it arrives, with whether a transfer is underway, and takes
back what to do with it.

One command runs at a time; those arriving meanwhile wait, in order, and
reply in order (RFC 959). Three verbs act on arrival while a transfer runs
or its command waits (L{ftpkit.protocol.commandtable.Command.duringTransfer}):
C{ABOR} ends the transfer at once but still replies in its turn;
C{STAT} is answered at once when nothing waits before it; and so is
C{NOOP} while the transfer's data moves (after its C{150}), as ProFTPD
and pyftpdlib answer it: a client's keep-alive (commons-net's
C{setControlKeepAliveTimeout}) reads one reply per C{NOOP} before the
transfer's final reply, and would take a C{226} or C{426} answered
first for the C{NOOP}'s and the C{NOOP}'s C{200} for the transfer's. Past
C{maxPendingCommands} commands, or C{maxPendingBytes} of their arguments,
the protocol stops reading until half of them have run.

An C{ABOR} also ends the transfers of the commands waiting before it,
which had not started when it came (L{abortedBeforeTurn}): a client that
pipelined C{PASV} and C{RETR} behind a running listing, then cancelled,
never connects, and its C{RETR} waited for the data connection the whole
data timeout, the session answering nothing meanwhile.
"""

from ftpkit.protocol.commandtable import COMMANDS

RUN = "run"
"""L{CommandQueue.arrive}: run the command now; nothing waits or runs."""

QUEUED = "queued"
"""L{CommandQueue.arrive}: the command waits its turn (L{CommandQueue.next})."""

NOW = "now"
"""L{CommandQueue.arrive}: answer the command now, outside the queue and
before the running command's reply (C{STAT} or C{NOOP} during a
transfer)."""

ABORT = "abort"
"""L{CommandQueue.arrive}: end the transfer now, then hand the C{ABOR} to
L{CommandQueue.take} with C{ended=True}."""

DROP = "drop"
"""L{CommandQueue.arrive}: ignore the command (the client sent C{QUIT}
before it)."""

STOPPED = "stopped"
"""L{CommandQueue.arrive}: the server is stopping (L{CommandQueue.stop}):
the command does not run, and its client is told so (the drain's C{421},
L{ftpkit.ops.drain}) once the running command, if any, replied."""

RUNNING = "running"
"""A transfer's data is moving (its C{STAT} is a status)."""

WAITING = "waiting"
"""A transfer command waits for what it opens or for its data connection
(its C{STAT} of a path would be a listing)."""

ABORTING = "aborting"
"""A transfer was aborted and its end is under way (a TLS data connection
closing): as L{RUNNING}, but an C{ABOR} has nothing more to end."""


_NONE_WAITING = ()
"""What a queue holds until a command first waits in it: most sessions'
commands each run as they arrive, and the list each session made at its
start was 56 bytes of every idle one."""


class CommandQueue:
    """
    The commands waiting for the one that runs, their limit, which verbs
    act before their turn, and which C{ABOR}s reply C{226}.

    @ivar full: too many commands wait: the protocol reads no more until
        L{drained} says otherwise.
    @ivar stopping: the server is stopping (L{stop}): commands arriving
        are refused (L{STOPPED}), but for those acting on a transfer and
        C{QUIT}.
    """

    __slots__ = ("_waiting", "_maxCommands", "_maxBytes", "_abortsToAnswer",
                 "_beforeAbort", "_lastBeforeAbort", "full", "stopping")

    def __init__(self, maxCommands, maxBytes):
        """
        @param maxCommands: how many commands may wait
            (C{maxPendingCommands}).
        @param maxBytes: how many bytes of their arguments may wait
            (C{maxPendingBytes}): long arguments would otherwise make a
            session hold up to C{maxCommands} times the longest line.
        """
        self._waiting = _NONE_WAITING
        self._maxCommands = maxCommands
        self._maxBytes = maxBytes
        self._abortsToAnswer = 0
        self._beforeAbort = 0
        self._lastBeforeAbort = False
        self.full = False
        self.stopping = False

    def __len__(self):
        """
        @return: how many commands wait.
        """
        return len(self._waiting)

    def arrive(self, verb, argument, transfer, idle):
        """
        A command arrived: say what to do with it.

        @param verb: its verb, upper case.
        @param argument: its argument.
        @param transfer: called (only for a verb acting during a transfer)
            for the session's transfer: L{RUNNING}, L{ABORTING},
            L{WAITING}, or C{None} when none is underway.
        @param idle: whether no command runs.
        @return: L{RUN}, L{QUEUED}, L{NOW}, L{ABORT}, L{STOPPED} (see
            L{stop}) or L{DROP}: every
            command after a C{QUIT} that waits its turn is dropped
            (L{quitWaiting}), C{ABOR}, C{STAT} and C{NOOP} during a
            transfer too: C{QUIT}'s C{221} and the connection's close come
            before any reply of theirs could (RFC 959 answers commands in
            order), and an C{ABOR} after it cut the transfer the C{QUIT}
            let finish, unanswered.
        """
        if self._waiting and self.quitWaiting():
            return DROP
        command = COMMANDS.get(verb)
        state = None
        if command is not None and command.duringTransfer:
            state = transfer()
        if state is not None:
            # None waits for the transfer it is about, but replies keep
            # the order of the commands: ABOR ends the transfer now and
            # replies in its turn; STAT is answered now only when nothing
            # waits before it, and only with a status: STAT of a path
            # before the transfer runs is a listing, which waits its turn
            # like any other (run at once, any number ran side by side).
            # NOOP is answered now only once the data moves: before, its
            # 200 would come ahead of the transfer's 150.
            if verb == "ABOR":
                if state is ABORTING:
                    # In clear the transfer ended as the ABOR before
                    # came: this one replies 225 in its turn, as there.
                    return self.take(verb, argument, idle)
                return ABORT
            if not self._waiting and (state is not WAITING or (
                    verb == "STAT" and not argument)):
                return NOW
        elif self.stopping and verb != "QUIT":
            return STOPPED
        if not self._waiting and idle and not self.full:
            return RUN
        return self.take(verb, argument, idle)

    def take(self, verb, argument, idle, ended=False):
        """
        Give a command its turn.

        @param verb: its verb, upper case.
        @param argument: its argument.
        @param idle: whether no command runs.
        @param ended: it is an C{ABOR} that ended a transfer on arrival
            (L{ABORT}): it replies C{226} in its turn (L{answersAbort}).
        @return: L{RUN} when it may run now, else L{QUEUED}.
        """
        if ended:
            self._abortsToAnswer += 1
        if not self._waiting and idle and not self.full:
            return RUN
        if verb == "ABOR":
            self._beforeAbort = len(self._waiting)
        self._wait((verb, argument))
        return QUEUED

    def _wait(self, command):
        """
        Queue a command, making the queue's list for the first one.

        @param command: C{(verb, argument)}.
        """
        if self._waiting is _NONE_WAITING:
            self._waiting = [command]
        else:
            self._waiting.append(command)

    def next(self):
        """
        @return: the next command to run, C{(verb, argument)}, taken out
            of the queue, or C{None} if none waits.
        """
        self._lastBeforeAbort = self._beforeAbort > 0
        if self._waiting:
            if self._lastBeforeAbort:
                self._beforeAbort -= 1
            return self._waiting.pop(0)
        return None

    def abortedBeforeTurn(self):
        """
        Whether the command L{next} gave last came before an C{ABOR} that
        arrived while it waited: a transfer it starts is to be ended at
        once, as if that C{ABOR} had come just after it started.

        @return: C{True} or C{False}.
        """
        return self._lastBeforeAbort

    def answersAbort(self):
        """
        An C{ABOR} runs: whether it is one that ended a transfer on
        arrival (L{take} with C{ended}), which replies C{226}.

        @return: C{True} once for each such C{ABOR}.
        """
        if self._abortsToAnswer:
            self._abortsToAnswer -= 1
            return True
        return False

    def quitWaiting(self):
        """
        Whether a C{QUIT} waits its turn: the client said it is done once
        the commands before it end (RFC 959: a C{QUIT} during a transfer
        lets the transfer finish), which a client closing its control
        connection at once must not undo (L{ftpkit.control.connectionlife}
        then lets a running transfer go on).

        @return: C{True} or C{False}.
        """
        # A loop rather than any() of a generator: asked as every session
        # ends, mostly of an empty queue, where making the generator was
        # most of the cost.
        for verb, _ in self._waiting:
            if verb == "QUIT":
                return True
        return False

    def overflowed(self):
        """
        After L{take} queued a command: whether the queue just reached its
        limit, so that reading must pause (L{full}).

        @return: C{True} when it did (once, until L{drained}).
        """
        if self._waiting and not self.full and self._over(1):
            self.full = True
            return True
        return False

    def drained(self):
        """
        After commands ran: whether a L{full} queue is down to half its
        limit, so that reading may resume.

        @return: C{True} when it is (once, until L{overflowed}).
        """
        if self.full and not self._over(2):
            self.full = False
            return True
        return False

    def _over(self, fraction):
        """
        @param fraction: 1 for the limits, 2 for half of them.
        @return: whether the commands waiting reach C{maxCommands}, or
            their arguments C{maxBytes}, divided by C{fraction}.
        """
        waiting = self._waiting
        if len(waiting) * fraction >= self._maxCommands:
            return True
        if not waiting:
            return False
        size = sum(len(argument) for _, argument in waiting)
        return size * fraction >= self._maxBytes

    def clear(self):
        """
        Forget the waiting commands (the session closes, or what came in
        clear before C{AUTH TLS} must not run under TLS); an C{ABOR} among
        them that ended a transfer on arrival will not reply.
        """
        if self._waiting:
            self._waiting.clear()
        self._abortsToAnswer = 0
        self._beforeAbort = 0

    def clearButQuit(self):
        """
        The client hung up while the session had stopped reading
        (L{ftpkit.control.readingcontrol}): forget the waiting commands as
        L{clear} does, but a C{QUIT} among them, which still lets the
        running transfer finish (L{quitWaiting}): forgotten, it had the
        transfer cut as if the client had left without it.
        """
        quitting = self.quitWaiting()
        self.clear()
        if quitting:
            self.keepQuit()

    def keepLeft(self, verb, argument):
        """
        A command the client sent before a C{QUIT} and hung up, found
        among what the session had not read or run
        (L{ftpkit.control.hangup.LeftLines}): it waits its turn as one
        queued does, within the same limits (C{maxCommands},
        C{maxBytes}): a client gone buys no more work than one connected
        has waiting (L{ftpkit.control.quitleft}). A C{NOOP} does
        nothing and its reply would go nowhere: it is passed over, as one
        during a transfer is answered outside the queue (a client that
        sent keep-alive C{NOOP}s during a long download had the commands
        after its 64th dropped).

        @param verb: its verb, upper case.
        @param argument: its argument.
        @return: whether it was kept (or passed over): C{False} once the
            commands waiting reach the limits.
        """
        if verb == "NOOP":
            return True
        if self._over(1):
            return False
        self.take(verb, argument, False)
        return True

    def keepQuit(self):
        """
        A C{QUIT} the client sent before it hung up, found among what the
        session had not read (L{ftpkit.control.hangup.quitAmong}): it
        waits its turn, as one queued does (L{quitWaiting}).
        """
        if not self.quitWaiting():
            self._wait(("QUIT", ""))

    def stop(self):
        """
        The server is stopping: forget the waiting commands but the
        C{ABOR}s and a C{QUIT}, and refuse those arriving from now on
        (L{STOPPED}), but for C{QUIT}, and C{ABOR}, C{STAT} and C{NOOP}
        during a transfer: a
        client's C{QUIT} gets its C{221} rather than the drain's C{421}
        (ftplib's C{quit} raises on a C{421}). Every C{ABOR} the client
        sent is answered (C{226} for one that ended a transfer on arrival,
        L{answersAbort}) before the session's C{421}, whether it came
        before the stop or during it: one that waited behind an upload's
        commit (L{ftpkit.control.opening.Committing}) when the stop came
        got no reply, its client reading the C{421} for it.

        @return: whether it forgot a command (one its client waits for the
            reply of, as for one refused on arrival, L{STOPPED}).
        """
        self.stopping = True
        aborts = [command for command in self._waiting
                  if command[0] in ("ABOR", "QUIT")]
        forgot = len(aborts) < len(self._waiting)
        answers = self._abortsToAnswer
        self.clear()
        for command in aborts:
            self._wait(command)
        self._abortsToAnswer = answers
        return forgot
