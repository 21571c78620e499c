"""
C{--on-upload COMMAND}: after each completed upload, run a command (an
argument list, split like a shell would but never run by one), with what
was uploaded in its environment:

    - C{FTPKIT_PATH}: the file's path as the user sees it (C{/in/a.pdf})
    - C{FTPKIT_USER}: the user name
    - C{FTPKIT_PEER}: the client's address
    - C{FTPKIT_BYTES}: the bytes received
    - C{FTPKIT_COMMAND}: C{STOR}, C{APPE} or C{STOU}
    - C{FTPKIT_ROOT}: the local directory the realm that took the upload
      serves (its C{root}: the default realm's, or the C{--vhost}'s the
      session chose), empty for a realm with none (C{memory}, an object
      store), the same for every user of that realm, not the uploading
      user's home
    - C{FTPKIT_FILE}: the file's absolute path on this machine's disk,
      under the user's home whichever way the realm chose it (the
      event's L{ftpkit.ops.events.Event.localFile}); set but empty where
      the upload's storage has no local file (memory, an object store,
      SFTP, a plugin's shell without L{ftpkit.interfaces.IFTPShellLocalPath})

At most L{ftpkit.config.ServerConfig.onUploadConcurrency} commands run at
once; the rest wait their turn, up to L{QUEUED_UPLOADS} of them, so that a
burst of uploads while the command is slow loses none. They wait by
client (L{ftpkit.control.fairqueue}, keyed by
L{ftpkit.protocol.limitkeys.limitKey}): each client's next command runs
in turn with the others', so that one client's many uploads do not put
every other client's behind them all, as they did first come, first
served. One running longer
than C{onUploadTimeout} seconds is killed. The command gets the server's
environment without the variables naming its own run directories
(L{PRIVATE_VARIABLES}). A command that cannot start, exits
with a status other than 0, or is killed is logged with its output.

Each command runs in a session, and so a process group, of its own
(L{ftpkit.compat.processgroups}): killed (its time limit, the end of the
shutdown grace), it is killed with every process it started. A command
that exits leaving processes of its own running (C{notify &}) has them
watched: when the server stops, those running and waiting still run,
and the processes commands left still end on their own, within what is
left of its shutdown grace (L{UploadCommand.finish}); then the commands
still running are killed (each logged), the processes left by those that
ended are killed (one line), and the commands still waiting are not run
(named in one line). Left to themselves, those processes (and those of
a command killed, which only its own process was) outlived the server,
holding its files and ports, and whatever its stop was meant to end.
"""

import os
import shlex
import shutil
import signal

from twisted.internet import defer, error
from twisted.internet.protocol import ProcessProtocol
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from ftpkit.compat.processgroups import spawnInSession
from ftpkit.control.fairqueue import FairQueue
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.ops.metrics import MULTIPROCESS_VARIABLE
from ftpkit.ops.observers import IgnoringObserver
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey
from ftpkit.protocol.numbertext import decimalText
from ftpkit.shells.sharedquota import LEDGERS_VARIABLE

PRIVATE_VARIABLES = (MULTIPROCESS_VARIABLE, LEDGERS_VARIABLE)
"""Variables of the server's environment its commands do not get: the
directories its processes keep their metrics and quota ledgers in under
C{--workers}. A command in Python whose code used C{prometheus_client}
(its own metrics) took the first for its own multiprocess directory: it
wrote a 64 KiB file there each run, which stayed until the server
stopped (one an upload: 100,000 uploads of a byte, 6.5 GB of
C{$TMPDIR}), and its metrics showed in the server's C{/metrics}."""


def commandEnvironment(environ, **variables):
    """
    @param environ: the server's environment.
    @param variables: the C{FTPKIT_*} variables of one upload.
    @return: the environment of its command: C{environ} without
        L{PRIVATE_VARIABLES}, with C{variables}.
    """
    env = {name: value for name, value in environ.items()
           if name not in PRIVATE_VARIABLES}
    env.update(variables)
    return env


def uploadVariables(event, root):
    """
    @param event: a complete upload's L{ftpkit.ops.events.Event}.
    @param root: the directory the realm that took it serves, or C{None}.
    @return: the C{FTPKIT_*} variables of its command, each set (to
        C{""} where the event has no value).
    """
    return {"FTPKIT_PATH": event.path or "", "FTPKIT_USER": event.user or "",
            "FTPKIT_PEER": event.peer, "FTPKIT_BYTES": str(event.bytes),
            "FTPKIT_COMMAND": event.command or "", "FTPKIT_ROOT": root or "",
            "FTPKIT_FILE": event.localFile or ""}


OUTPUT_KEPT = 4096
"""Bytes of a command's output kept for the log."""

OUTPUT_GRACE = 1.0
"""Seconds the output of a command that exited is still read: a process
it left running in the background (C{notify &}) holds its output open,
and the command's slot was held until that process ended, however long,
with no time limit (its command had already exited, so could not be
killed), so that four such uploads stopped every later upload's command."""

QUEUED_UPLOADS = 100_000
"""
Uploads whose command may be running or waiting its turn before later
ones are skipped (logged once when skipping starts, once when it ends):
far more than an observer's default bound
(L{ftpkit.ops.observers.MAX_PENDING}), since an operator who ingests or
scans uploads with the command must not lose files from the pipeline in a
burst. Each waiting upload holds only its event and the Deferreds that
queue it (what a full queue measured to hold is in C{docs/hooks.rst}).
"""


LEFT_RUNNING_POLL = 0.2
"""Seconds between looks at the process groups that commands which ended
left running: the stop waits for them, within its grace, as for the
commands; and a group found empty is forgotten at once, before its id
can be another process's (which the stop would have killed)."""


NOT_RUN_NAMED = 10
"""Uploads whose command was not run at a stop that its line names; it
counts the others."""


def parseCommand(text):
    """
    @param text: a C{--on-upload} value.
    @return: the argument list, its program found, by its absolute path
        (L{fromStart}: a worker of C{--workers} takes a relative one from
        its acceptor's directory).
    @raise ValueError: saying why it is unusable.
    """
    try:
        argv = shlex.split(text)
    except ValueError as e:
        raise ValueError(f"cannot split {text!r}: {e}")
    if not argv:
        raise ValueError("needs a command")
    program = argv[0]
    found = shutil.which(program) if "/" not in program else (
        fromStart(program))
    if not (found and os.access(found, os.X_OK) and os.path.isfile(found)):
        raise ValueError(f"no executable {program!r}")
    return tuple([fromStart(found)] + argv[1:])


def signalGroup(group, number):
    """
    @param group: the id of a process group.
    @param number: a signal, or C{0} to send none.
    @return: whether the group has a process left (one this user may not
        signal counts).
    """
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PROC = "/proc"
"""Where Linux lists its processes (L{groupRuns})."""


def groupRuns(group):
    """
    @param group: the id of a process group.
    @return: whether the group has a process left that has not ended
        (L{signalGroup}), a zombie not counting: one that ended stays in
        its group until what reaps orphans reaps it, which a container's
        first process may do late or never, so that such a zombie held
        the stop for the whole grace. Without C{/proc} any process counts.
    """
    if not signalGroup(group, 0):
        return False
    try:
        pids = [name for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return True
    for pid in pids:
        try:
            with open(os.path.join(PROC, pid, "stat")) as f:
                state, _, pgrp = f.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state not in ("Z", "X"):
            return True
    return False


class _Run(ProcessProtocol):
    """
    One run of the command: keeps the start of its output, fires
    L{ended} with the process's end reason, at most L{OUTPUT_GRACE}
    seconds after it exited.

    @ivar group: the id of the process group the command leads, or
        C{None} when it runs in the server's.
    @ivar killed: whether it was killed (with its group).
    @ivar exited: whether the command exited (its output may still be
        read: L{OUTPUT_GRACE}).
    """

    group = None
    killed = False
    exited = False

    def __init__(self, clock):
        """
        @param clock: the C{IReactorTime} timing L{OUTPUT_GRACE}.
        """
        self.clock = clock
        self.output = b""
        self.ended = defer.Deferred()
        self.cut = False
        self._closing = None

    def childDataReceived(self, childFD, data):
        """Keep the start of what the command writes."""
        if len(self.output) < OUTPUT_KEPT:
            self.output = (self.output + data)[:OUTPUT_KEPT]

    def processExited(self, reason):
        """
        The command exited: stop reading what it left behind after
        L{OUTPUT_GRACE} seconds.
        """
        self.exited = True
        self._closing = self.clock.callLater(
            OUTPUT_GRACE, self.transport.loseConnection)

    def processEnded(self, reason):
        """The command ended, and its output is closed."""
        if self._closing is not None and self._closing.active():
            self._closing.cancel()
        self.ended.callback(reason)


def _cancelling(result, call):
    """
    @param result: passed on.
    @param call: a delayed call, cancelled if still to come.
    @return: C{result}.
    """
    if call.active():
        call.cancel()
    return result


class UploadCommand(IgnoringObserver):
    """
    The L{IFTPEventObserver} of C{--on-upload}: it acts on
    L{uploadFinished} only.

    @ivar maxPending: the uploads that may wait for the command, read by
        L{ftpkit.ops.observers.ObserverSubscription}: L{QUEUED_UPLOADS}.
    """

    log = Logger()
    maxPending = QUEUED_UPLOADS

    def __init__(self, argv, root, concurrency, timeout, reactor=None,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH, hostRoots=None):
        """
        @param argv: the command, an argument list.
        @param root: the directory the default realm serves, for
            C{FTPKIT_ROOT}, or C{None}.
        @param concurrency: commands run at once, at most.
        @param timeout: seconds before a command is killed.
        @param reactor: the reactor (the global one when C{None}).
        @param ipv6PrefixLength: the bits of an IPv6 address that name its
            client, whose uploads take one turn (L{limitKey}).
        @param hostRoots: a mapping from each C{--vhost} name to the
            directory its realm serves (or C{None}), for the
            C{FTPKIT_ROOT} of the uploads of sessions that chose it; a
            name it lacks has C{root}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.argv = list(argv)
        self.root = root
        self.hostRoots = dict(hostRoots or {})
        self.timeout = timeout
        self._concurrency = concurrency
        self._ipv6PrefixLength = ipv6PrefixLength
        self._waiting = FairQueue()
        self._running = 0
        self._starting = False
        self._unfinished = 0
        self._runs = set()
        self._settled = []
        self._cutting = False
        self._notRun = []
        self._leftRunning = set()
        self._watching = None

    def __repr__(self):
        return f"<UploadCommand {shlex.join(self.argv)}>"

    def uploadFinished(self, event):
        """
        Run the command for C{event} when a slot is free.

        @param event: the L{ftpkit.ops.events.Event}.
        @return: a Deferred firing once it ended.
        """
        self._unfinished += 1
        done = defer.Deferred()
        self._waiting.put(limitKey(event.peer or "", self._ipv6PrefixLength),
                          (event, done))
        self._startWaiting()
        return done.addBoth(self._oneEnded)

    def _startWaiting(self):
        """
        Run the waiting uploads' commands, in turn by client, while
        fewer than C{concurrency} run. One that ends at once (not run at
        a stop) starts the next from this loop, not from a call of its
        own inside it (100,000 of them would overflow the stack).
        """
        if self._starting:
            return
        self._starting = True
        try:
            while self._running < self._concurrency and self._waiting:
                key, (event, done) = self._waiting.take()
                self._running += 1
                ran = defer.maybeDeferred(self._run, event)
                ran.addBoth(self._slotFreed, key)
                ran.chainDeferred(done)
        finally:
            self._starting = False

    def _slotFreed(self, result, key):
        self._running -= 1
        self._waiting.finished(key)
        self._startWaiting()
        return result

    def finish(self, seconds):
        """
        The server stops, and no upload completes any more: let the
        commands running and those waiting their turn run, and the
        processes commands left running end, for C{seconds} at most;
        then kill the commands still running (each logged) and those
        processes (one line), and run none of the commands still
        waiting (named in one line, once none runs).

        @param seconds: what is left of the server's shutdown grace.
        @return: a Deferred firing once no command runs or waits, and
            no process a command left runs.
        """
        self._pruneLeftRunning(zombiesEnded=True)
        if not self._unfinished and not self._leftRunning:
            self._stopWatching()
            return defer.succeed(None)
        settled = defer.Deferred()
        self._settled.append(settled)
        cut = self.reactor.callLater(seconds, self._cut)
        settled.addBoth(_cancelling, cut)
        self._watch()
        return settled

    def _watch(self):
        if self._watching is None:
            self._watching = LoopingCall(self._look)
            self._watching.clock = self.reactor
            self._watching.start(LEFT_RUNNING_POLL, now=False)

    def _look(self):
        self._pruneLeftRunning(zombiesEnded=bool(self._settled))
        if self._settled:
            self._settleIfDone()
        elif not self._leftRunning:
            self._stopWatching()

    def _stopWatching(self):
        if self._watching is not None:
            self._watching.stop()
            self._watching = None

    def _cut(self):
        self._cutting = True
        groups = set(self._leftRunning)
        for run in list(self._runs):
            if run.exited and run.group is not None:
                # Its output still read (OUTPUT_GRACE): what holds it is
                # a process it left running, killed in the line of the
                # commands that ended. Killed as a command running, its
                # end (status 0) logged nothing; its own status is what
                # its end logs.
                run.killed = True
                if groupRuns(run.group):
                    groups.add(run.group)
            else:
                run.cut = True
                self._kill(run)
        killed = sorted(group for group in groups
                        if signalGroup(group, signal.SIGKILL))
        self._leftRunning.clear()
        if killed:
            self.log.warn(
                "--on-upload: killed at shutdown the processes that "
                "{count} command(s) left running (process groups "
                "{groups})", count=len(killed),
                groups=", ".join(str(group) for group in killed))
        self._settleIfDone()

    def _pruneLeftRunning(self, zombiesEnded=False):
        """
        Forget the groups of processes commands left running that are
        empty.

        @param zombiesEnded: whether a group holding only processes that
            ended (zombies, not reaped yet) counts as empty, as it does
            for the stop (L{groupRuns}, a walk of C{/proc}); while the
            server serves, such a group is kept, which costs a signal a
            look (C{killpg} with none) and no walk.
        """
        if zombiesEnded:
            runs = groupRuns
        else:
            def runs(group):
                return signalGroup(group, 0)
        self._leftRunning = {group for group in self._leftRunning
                             if runs(group)}

    def _oneEnded(self, result):
        self._unfinished -= 1
        self._settleIfDone()
        return result

    def _settleIfDone(self):
        """
        Once no command runs or waits, and (before the cut) no process a
        command left runs: name the commands not run, and fire what
        L{finish} returned.
        """
        if self._unfinished:
            return
        self._pruneLeftRunning(zombiesEnded=bool(self._settled))
        if self._leftRunning and not self._cutting:
            return
        if self._notRun:
            self._logNotRun()
        if not self._leftRunning:
            self._stopWatching()
        settled, self._settled = self._settled, []
        for each in settled:
            each.callback(None)

    def _logNotRun(self):
        notRun, self._notRun = self._notRun, []
        named = ", ".join(f"{event.path!r} by {event.user!r} from "
                          f"{event.peer}"
                          for event in notRun[:NOT_RUN_NAMED])
        if len(notRun) > NOT_RUN_NAMED:
            named += f" and {len(notRun) - NOT_RUN_NAMED} more"
        self.log.warn("--on-upload command not run for {count} upload(s) "
                      "at shutdown: {uploads}", count=len(notRun),
                      uploads=named)

    def _run(self, event):
        if self._cutting:
            self._notRun.append(event)
            return None
        env = commandEnvironment(os.environ, **uploadVariables(
            event, self.hostRoots.get(event.host, self.root)))
        run = _Run(self.reactor)
        try:
            _, run.group = spawnInSession(self.reactor, run, self.argv[0],
                                          self.argv, env)
        except OSError as e:
            self.log.error("--on-upload command {argv} could not start for "
                           "{path!r}: {error}", argv=self.argv,
                           path=event.path, error=str(e))
            return None
        killer = self.reactor.callLater(self.timeout, self._kill, run)
        self._runs.add(run)
        run.ended.addBoth(self._ended, run, killer, event)
        return run.ended

    def _kill(self, run):
        run.killed = True
        if run.group is not None:
            signalGroup(run.group, signal.SIGKILL)
            return
        try:
            run.transport.signalProcess(signal.SIGKILL)
        except (error.ProcessExitedAlready, OSError):
            pass

    def _ended(self, reason, run, killer, event):
        self._runs.discard(run)
        # Its group outlives it while a process it started runs; the
        # group's id is not given to another process meanwhile, and is
        # forgotten once it is empty (_look).
        if (run.group is not None and not run.killed
                and signalGroup(run.group, 0)):
            self._leftRunning.add(run.group)
            self._watch()
        timedOut = not killer.active()
        if not timedOut:
            killer.cancel()
        if reason.check(error.ProcessDone) and not timedOut:
            return
        if timedOut:
            why = f"killed after {decimalText(self.timeout)} s"
        elif run.cut:
            why = "killed at shutdown"
        else:
            why = str(reason.value)
        self.log.warn("--on-upload command {argv} failed for {path!r} by "
                      "{user!r} from {peer}: {why}; output: {output!r}",
                      argv=self.argv, path=event.path, user=event.user,
                      peer=event.peer, why=why,
                      output=run.output.decode("utf-8", "replace"))
