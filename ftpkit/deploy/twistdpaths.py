"""
Checking the paths of C{twistd}'s own options (C{--logfile},
C{--pidfile}, C{--rundir}, C{--chroot}) when ftpkit's options are parsed:
C{twistd} opens them only later, as the server starts, and a missing
directory was a Python traceback (C{FileNotFoundError}) after the start
had begun.
"""

import os


def _fileError(option, path, what):
    """
    @param option: the option that names C{path}, e.g. C{"--logfile"}.
    @param path: a file C{twistd} will open for writing, as a path
        already resolved against the directory it is opened from.
    @param what: what the file is, for the message (C{"log file"}).
    @return: why it cannot be written there, or C{None}.
    """
    if os.path.isdir(path):
        return f"{option}: {path!r} is a directory, not a {what}"
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        return f"{option}: no directory {directory!r} for the {what}"
    return None


def twistdPathError(twistdOptions):
    """
    @param twistdOptions: C{twistd}'s parsed options (a mapping with
        C{logfile}, C{pidfile}, C{rundir}, C{chroot}), or anything else
        when ftpkit does not run under C{twistd}.
    @return: why one of those paths cannot be used, naming its option, or
        C{None}. Under C{--chroot} only the new root is checked: the other
        paths are then read inside it.
    """
    if not isinstance(twistdOptions, dict):
        return None
    chroot = twistdOptions.get("chroot")
    if chroot:
        if not os.path.isdir(chroot):
            return f"--chroot: {chroot!r} is not an existing directory"
        return None
    logfile = twistdOptions.get("logfile")
    if logfile and logfile != "-":
        why = _fileError("--logfile", logfile, "log file")
        if why is not None:
            return why
    rundir = twistdOptions.get("rundir") or "."
    if not os.path.isdir(rundir):
        return f"--rundir: {rundir!r} is not an existing directory"
    pidfile = twistdOptions.get("pidfile")
    if pidfile:
        # twistd makes it absolute from the directory it starts in.
        return _fileError("--pidfile", pidfile, "pid file")
    return None
