"""
Checking the paths of C{twistd}'s own options (C{--logfile},
C{--pidfile}, C{--rundir}, C{--chroot}) when ftpkit's options are parsed:
C{twistd} opens them only later, as the server starts, and a missing
directory was a Python traceback (C{FileNotFoundError}) after the start
had begun; a directory or file the server may not write (another
account's, a read-only file system: C{ProtectSystem=strict}) was one too
(C{PermissionError}, C{OSError}). C{--syslog} where nothing receives
syslog's messages yet (no C{/dev/log}: a container without a syslog
daemon, or one not started yet) gets one line of warning
(L{twistdWarning}): what cannot be sent is dropped without a word
(L{ftpkit.ops.syslogsend}). It is no usage error, as it is not in
vsftpd or ProFTPD: each message tries to connect again, so the log
resumes once a daemon listens (one restarting, a sidecar starting after
the server), and an FTP server that would not start over its log would
be an outage where a gap in the log was.
"""

import errno
import os
import socket
import stat
import tempfile

from ftpkit.ops.syslogsend import SYSLOG_SOCKET


def _fileError(option, path, what, replaced=False):
    """
    @param option: the option that names C{path}, e.g. C{"--logfile"}.
    @param path: a file C{twistd} will open for writing, as a path
        already resolved against the directory it is opened from.
    @param what: what the file is, for the message (C{"log file"}).
    @param replaced: whether a file there is removed before C{twistd}
        writes its own (a pid file: a stale one is removed, then its own
        made and removed at the stop), so that only the directory need
        be writable; else a file there is appended to.
    @return: why it cannot be written there, or C{None}.
    """
    if os.path.isdir(path):
        return f"{option}: {path!r} is a directory, not a {what}"
    if _isFifo(path):
        return f"{option}: {path!r} is a FIFO, not a {what}"
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        return f"{option}: no directory {directory!r} for the {what}"
    if replaced or not os.path.exists(path):
        return _directoryError(option, directory, what)
    return _appendError(option, path, what)


def _isFifo(path):
    """
    @param path: a path.
    @return: whether it names a FIFO. C{twistd} could use none: its log
        file is sought to its end, a traceback (C{ESPIPE}) where a
        reader held the FIFO open, and its pid file is read at start,
        which waits for a writer for ever (a log shipper's FIFO goes to
        C{--xferlog}, which never waits for its reader; the server's
        log to one through C{--syslog} or C{--logfile -}).
    """
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def _directoryError(option, directory, what):
    """
    @param option: see L{_fileError}.
    @param directory: an existing directory.
    @param what: see L{_fileError}.
    @return: why a file cannot be made in C{directory} (a file is made
        and removed there to find out), or C{None}.
    """
    try:
        handle, probe = tempfile.mkstemp(prefix=".ftpkit-probe-",
                                         dir=directory)
        os.close(handle)
        os.unlink(probe)
    except OSError as e:
        return (f"{option}: cannot make the {what} in {directory!r}: "
                f"{e.strerror}")
    return None


def _appendError(option, path, what):
    """
    @param option: see L{_fileError}.
    @param path: an existing file.
    @param what: see L{_fileError}.
    @return: why C{path} cannot be appended to (it is opened to find out,
        without waiting: a FIFO put there since L{_isFifo} looked), or
        C{None}.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK))
    except OSError as e:
        return f"{option}: cannot write the {what} {path!r}: {e.strerror}"
    return None


def syslogError(path=None):
    """
    @param path: the socket syslog's messages go to [default:
        L{SYSLOG_SOCKET}].
    @return: why nothing would receive them (connected to as the C
        library does, a datagram socket, or a stream one where that is
        the kind listening), naming C{--syslog}; or C{None}.
    """
    path = path or SYSLOG_SOCKET
    why = None
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        try:
            with socket.socket(socket.AF_UNIX, kind) as probe:
                probe.connect(path)
            return None
        except OSError as e:
            why = why or e.strerror or str(e)  # a path too long has none
            if e.errno != errno.EPROTOTYPE:
                break
    return (f"--syslog: nothing receives syslog messages at {path} "
            f"({why}): each is lost until a syslog daemon listens there "
            "(or give --logfile)")


def twistdPathError(twistdOptions):
    """
    @param twistdOptions: C{twistd}'s parsed options (a mapping with
        C{logfile}, C{pidfile}, C{rundir}, C{chroot}), or
        anything else when ftpkit does not run under C{twistd}.
    @return: why one of those paths cannot be used, naming its option, or
        C{None}. The log file is checked where it is: C{twistd} opens it
        before it changes its root. Under C{--chroot} the other paths are
        read inside the new root, which alone is checked.
    """
    if not isinstance(twistdOptions, dict):
        return None
    logfile = twistdOptions.get("logfile")
    if logfile and logfile != "-":
        why = _fileError("--logfile", logfile, "log file")
        if why is not None:
            return why
    chroot = twistdOptions.get("chroot")
    if chroot:
        if not os.path.isdir(chroot):
            return f"--chroot: {chroot!r} is not an existing directory"
        return None
    rundir = twistdOptions.get("rundir") or "."
    if not os.path.isdir(rundir):
        return f"--rundir: {rundir!r} is not an existing directory"
    pidfile = twistdOptions.get("pidfile")
    if pidfile:
        # twistd makes it absolute from the directory it starts in.
        why = _fileError("--pidfile", pidfile, "pid file", replaced=True)
        if why is not None:
            return why
    return None


def twistdWarning(twistdOptions):
    """
    @param twistdOptions: see L{twistdPathError}.
    @return: the line of warning for C{twistd}'s options, which do not
        keep the server from starting (C{--syslog} with nothing to receive
        its messages yet: L{syslogError}), or C{None}.
    """
    if isinstance(twistdOptions, dict) and twistdOptions.get("syslog"):
        return syslogError()
    return None
