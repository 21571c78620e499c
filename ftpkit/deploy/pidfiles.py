"""
C{twistd --pidfile}: a pid file a server left behind. C{twistd} refuses
to start while the process its pid file names exists, whatever that
process is: after a crash (C{SIGKILL}, a power cut) and a reboot, the pid
is soon another program's (or, in a container started again, the new
server's own, pid 1), and the server did not start again, saying
C{Another twistd server is running} in five lines. Checked when ftpkit's
options are parsed (L{checkPidFile}), before C{twistd} looks: a pid file
naming a process that is no server, or an empty one (a crash while it
was written), is removed with a warning in the log; one naming a server
still running is one usage error line.
"""

import errno
import os
import re

from twisted.logger import Logger

_log = Logger(namespace="ftpkit")

_TWISTD = re.compile(r"twistd[0-9.]*")
"""The names C{twistd}'s script goes by (C{twistd}, C{twistd3})."""

STALE = ("removed the stale pid file {path}: process {pid} is {what}, "
         "not a server")
"""The warning logged for a pid file removed."""


def commandLine(pid):
    """
    @param pid: a process id.
    @return: that process's arguments (Linux's C{/proc/PID/cmdline}), or
        C{None} where they cannot be read.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [each.decode("utf-8", "replace") for each in raw.split(b"\0")
            if each]


def isServer(arguments):
    """
    @param arguments: a process's arguments.
    @return: whether it is a C{twistd} or ftpkit server (which a pid
        file may rightly name).
    """
    return any(_TWISTD.fullmatch(os.path.basename(each))
               or each == "ftpkit" or each.startswith("ftpkit.")
               for each in arguments)


def pidFileState(path, ownPid, exists, arguments):
    """
    @param path: a pid file.
    @param ownPid: this process's id.
    @param exists: a callable taking a pid, returning whether that
        process exists (C{None} where it cannot tell).
    @param arguments: a callable taking a pid, returning its arguments
        (L{commandLine}).
    @return: C{(verdict, pid, what)}: C{verdict} is C{"none"} (no file,
        or C{twistd}'s own check decides), C{"stale"} (to remove: C{what}
        says what the process is) or C{"running"} (C{what}: the server's
        command line).
    """
    try:
        with open(path, "rb") as f:
            text = f.read(64).strip()
    except OSError:
        return "none", None, None
    if not text:
        return "stale", None, "no process (the file is empty)"
    if not text.isdigit() or int(text) <= 0:
        return "none", None, None
    pid = int(text)
    if pid == ownPid:
        return "stale", pid, "this process itself"
    alive = exists(pid)
    if not alive:
        return "none", pid, None
    found = arguments(pid)
    if found is None:
        return "none", pid, None
    if isServer(found):
        return "running", pid, " ".join(found)
    return "stale", pid, repr(" ".join(found)[:80] or "a kernel thread")


def processExists(pid):
    """
    @param pid: a process id.
    @return: whether that process exists; C{None} where C{kill} cannot
        tell.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError as e:
        return True if e.errno == errno.EPERM else None
    return True


def checkPidFile(twistdOptions):
    """
    Remove C{twistd}'s pid file where it names no server (L{pidFileState}),
    logging L{STALE}.

    @param twistdOptions: C{twistd}'s parsed options (C{pidfile},
        C{chroot}), or anything else when ftpkit does not run under
        C{twistd}.
    @return: why the server cannot start (a server still runs with that
        pid file), naming C{--pidfile}; or C{None}.
    """
    if not isinstance(twistdOptions, dict) or twistdOptions.get("chroot"):
        return None
    path = twistdOptions.get("pidfile")
    if not path:
        return None
    path = os.path.abspath(path)
    verdict, pid, what = pidFileState(path, os.getpid(), processExists,
                                      commandLine)
    if verdict == "running":
        return (f"--pidfile: {path} names process {pid}, a server still "
                f"running ({what[:120]}): stop it first, or give another "
                f"--pidfile")
    if verdict == "stale":
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            return f"--pidfile: cannot remove the stale {path}: {e.strerror}"
        _log.warn(STALE, path=path, pid=pid, what=what)
    return None
