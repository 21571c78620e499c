"""
The private temporary directories an acceptor of C{--workers} makes for
its run (the workers' metrics, the quota ledgers): L{makeRunDirectory}.
Each is named after the process that made it, so that one left by a
process killed before its clean-up could run (C{SIGKILL}, the OOM
killer; a restart loop would fill C{/tmp}) is removed by the next server
that makes one.
"""

import os
import shutil
import stat
import tempfile


def makeRunDirectory(prefix, parent=None):
    """
    Make a new private directory, after removing the ones with the same
    C{prefix} whose process is gone (L{removeOrphans}).

    @param prefix: the start of its name, e.g. C{"ftpkit-quota-"}.
    @param parent: where to make it (the system's temporary directory
        when C{None}).
    @return: its path: C{PREFIX} then this process's id, C{-} and a
        random part.
    """
    parent = parent or tempfile.gettempdir()
    removeOrphans(prefix, parent)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent)


def removeOrphans(prefix, parent):
    """
    Remove this user's directories in C{parent} named C{PREFIX}, a
    process id and C{-}, whose process no longer runs.

    @param prefix: see L{makeRunDirectory}.
    @param parent: the directory holding them.
    """
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        owner, dash, _ = name[len(prefix):].partition("-")
        if not (dash and owner.isdigit()) or _running(int(owner)):
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)


def _running(pid):
    """
    @return: whether a process C{pid} exists (one of another user's
        counts).
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
