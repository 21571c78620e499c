"""
Ending a server that cannot start (an address it cannot listen on, workers
it cannot run) the way
C{twistd} ends one whose start raised, but without its traceback: the
C{twistd} command that daemonized it, which waits to hear that it started,
is told why (it waited for good: a C{SystemExit} passes C{twistd}'s
handler by, and that command holds the pipe's other end open itself), and
the pid file is removed. A C{twistd -n} whose log goes to a file or to
syslog writes the line to its standard error too: the line was in the log
alone, and the terminal (or the journal of a unit running C{twistd -n
--logfile}) showed an exit status 1 and nothing else. That line is
written without waiting (L{ftpkit.ops.unblockedlog.writeNow}): on a
standard error nobody reads (a supervisor's pipe, full) the server
waited for good instead of exiting 1; the line is then lost.
"""

import os

from ftpkit.ops.unblockedlog import writeNow


class WorkersCannotStart(Exception):
    """
    The acceptor of C{--workers} cannot start a worker at all (its
    account may not run the interpreter,
    L{ftpkit.deploy.workerspawn.interpreterProblem}): the server ends at
    start, saying why (L{ftpkit.deploy.service.Listeners.startService}).
    """

_REPORTED = 98
"""Bytes of the reason sent to the waiting C{twistd} command (it reads
100, two of which are the status)."""


def cannotListen(error, option=None):
    """
    @param error: why a listener could not listen (a C{CannotListenError}
        names the address), with the C{option} it listens for as its
        C{option} attribute, if it has one.
    @param option: the option and value the listener is for
        (C{--metrics tcp:9102}), when the error names none; C{None} if
        unknown.
    @return: the line saying so, C{cannot listen: WHY (OPTION)}: an
        address in use named no option, and a C{--metrics} port on the
        address of a C{--listen} one left the operator to guess which it
        was. The option comes last: the C{twistd} command that daemonized
        the server shows the line's first 98 bytes (L{endStart}), which
        should say what went wrong.
    """
    why = str(error).rstrip(".") or type(error).__name__
    option = getattr(error, "option", None) or option
    if option:
        return f"cannot listen: {why} ({option})"
    return f"cannot listen: {why}"


def logElsewhere(twistdOptions):
    """
    @param twistdOptions: C{twistd}'s options.
    @return: whether C{twistd} writes its log to a file or to syslog,
        not to its standard output.
    """
    logfile = twistdOptions.get("logfile")
    return bool(logfile and logfile != "-") or bool(
        twistdOptions.get("syslog"))


def endStart(twistdOptions, why):
    """
    End the process, at start, with exit status 1.

    @param twistdOptions: C{twistd}'s options (its C{statusPipe},
        C{pidfile}, C{logfile} and C{syslog}), or C{None} in a process
        C{twistd} does not run (a worker of C{--workers}).
    @param why: one line saying why it cannot start (already logged).
    @raise SystemExit: always.
    """
    if twistdOptions is not None:
        # The pid file goes first: the command exits as soon as it is
        # told, and whoever ran it may look for the file at once.
        pidfile = twistdOptions.get("pidfile")
        if pidfile:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        pipe = twistdOptions.get("statusPipe")
        if pipe is not None:
            twistdOptions["statusPipe"] = None
            reason = why.encode("utf-8", "replace")[:_REPORTED]
            try:
                os.write(pipe, b"1 " + reason)
                os.close(pipe)
            except OSError:
                pass
        elif logElsewhere(twistdOptions):
            # The descriptor, not sys.stderr: twistd sends that to the log.
            writeNow(2, f"twistd ftpkit: {why}\n".encode("utf-8",
                                                          "replace"))
    raise SystemExit(1)
