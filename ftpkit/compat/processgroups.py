"""
Twisted's process transport, with the process made the leader of a new
session, and so of a new process group, as it starts
(L{spawnInSession}): what L{ftpkit.control.uploadhook} needs to signal a
command together with every process it started (C{os.killpg}), which
Twisted's C{spawnProcess} has no option for.

Private names read, of C{twisted.internet.process}:

    - C{Process._trySpawnInsteadOfFork}, Twisted's start of a process
      with C{posix_spawnp}, done again here with C{setsid=True}, using
      C{_listOpenFDs}, C{_getFileActions}, C{_PS_CLOSE} and C{_PS_DUP2}
      as it does;
    - C{Process._setupChild}, run in the child after C{fork} (Twisted's
      way when C{posix_spawnp} cannot be used): C{os.setsid} first;
    - C{Process._fork}, which starts the process either way: its pid,
      the group's id, kept once it returns (L{SessionProcess.group}),
      before the transport reaps a process that exited at once and
      forgets its pid.

Fallback: without the C{posix_spawnp} names, the process is forked (more
slowly); without C{_setupChild}, it starts as Twisted starts it, in the
server's own process group (L{sessionsAvailable} is then false), and
only it can be signalled, not what it started.
"""

import fcntl
import os
import signal

from twisted.internet import process as _process
from twisted.internet.interfaces import IReactorFDSet

_SPAWN_NAMES = ("_listOpenFDs", "_getFileActions", "_PS_CLOSE", "_PS_DUP2")
"""The module-level names of Twisted's C{posix_spawnp} start."""


def _spawnAvailable():
    """
    @return: whether Twisted's C{posix_spawnp} start can be done again
        here.
    """
    return (hasattr(os, "posix_spawnp")
            and hasattr(_process.Process, "_trySpawnInsteadOfFork")
            and all(hasattr(_process, name) for name in _SPAWN_NAMES))


def sessionsAvailable():
    """
    @return: whether L{spawnInSession} starts its processes in a session
        of their own.
    """
    return hasattr(os, "setsid") and all(
        callable(getattr(_process.Process, name, None))
        for name in ("_setupChild", "_fork"))


class SessionProcess(_process.Process):
    """
    A process started as the leader of a new session: its pid is the id
    of its session and of its process group.

    @ivar group: that id, kept when the process has ended and C{pid} is
        C{None}.
    """

    group = None

    def _fork(self, *args, **kwargs):
        """
        Start the process, and keep its pid as L{group}.
        """
        _process.Process._fork(self, *args, **kwargs)
        self.group = self.pid

    def _trySpawnInsteadOfFork(self, path, uid, gid, executable, args,
                               environment, kwargs):
        """
        Start the process with C{posix_spawnp}, as Twisted does, in a new
        session, when Twisted would.

        @return: whether it was started (forked otherwise).
        """
        if (not _spawnAvailable() or uid is not None or gid is not None
                or path is not None
                or getattr(self._reactor, "_neverUseSpawn", False)):
            return False
        fdState = []
        for eachFD in _process._listOpenFDs():
            try:
                closeOnExec = fcntl.fcntl(eachFD, fcntl.F_GETFD,
                                          fcntl.FD_CLOEXEC)
            except OSError:
                continue
            fdState.append((eachFD, closeOnExec))
        if environment is None:
            environment = os.environ
        ignored = [number for number in range(1, signal.NSIG)
                   if signal.getsignal(number) == signal.SIG_IGN]
        self.pid = os.posix_spawnp(
            executable, args, environment,
            file_actions=_process._getFileActions(
                fdState, kwargs.get("fdmap"), doClose=_process._PS_CLOSE,
                doDup2=_process._PS_DUP2),
            setsigdef=ignored, setsid=True)
        self.status = -1
        return True

    def _setupChild(self, *args, **kwargs):
        """
        In the forked child: a new session, then Twisted's set-up.
        """
        os.setsid()
        _process.Process._setupChild(self, *args, **kwargs)


def spawnInSession(reactor, processProtocol, executable, args, env):
    """
    Start a process as C{reactor.spawnProcess} would, as the leader of a
    new session when the reactor is a real one that can
    (L{sessionsAvailable}).

    @param reactor: the reactor.
    @param processProtocol: the process's protocol.
    @param executable: the program's path.
    @param args: its arguments, its name first.
    @param env: its environment.
    @return: C{(transport, group)}: the process transport (what
        C{spawnProcess} returns), and the id of the process group it
        leads, or C{None} when it was started in the server's.
    @raise OSError: when it cannot start.
    """
    if not (sessionsAvailable() and IReactorFDSet.providedBy(reactor)):
        return reactor.spawnProcess(processProtocol, executable, args,
                                    env=env), None
    transport = SessionProcess(reactor, executable, args, env, None,
                               processProtocol)
    return transport, transport.group
