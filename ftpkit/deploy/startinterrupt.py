"""
Ctrl-C (C{SIGINT}) while a server in the foreground starts, before its
reactor runs (importing, parsing its options, building and starting its
service, the sweep of cut uploads): the process ends at once with one
line on standard error (L{INTERRUPTED}), by the signal, as C{twistd} ends
a server a C{SIGINT} stopped (a shell sees status 130). Python's own
handler raised C{KeyboardInterrupt} wherever the start stood, a
traceback; raised in a weak reference's callback or a reactor's event
trigger, it was printed as ignored, and the server started anyway.
Installed from the first moment ftpkit's code runs: C{python -m
ftpkit}'s first line, and under C{twistd} or C{python -m twisted} when
the C{ftpkit} subcommand is chosen (C{twisted/plugins/ftpkit_plugin.py}),
before its options are loaded, which imports the whole server (a
C{KeyboardInterrupt} traceback meanwhile, until session 46). What
C{twistd} does before it chooses (Python's start, importing Twisted,
finding its plugins) is its own, as under any C{twistd} subcommand.

Once the reactor runs, the signal is the reactor's: Twisted installs its
own C{SIGINT} handler only where it finds Python's default one, so this
one hands the signal to the reactor's C{sigInt} from then on, which
stops it as Twisted's would (L{ftpkit.deploy.stopsignals} wraps it).

C{SIGTERM} (C{systemctl stop}, C{kill}) while the server starts ends it
the same way, with its own line (L{STOPPED}): its default action ended it
without a word. The reactor replaces this handler with its own when it
runs. Either removes C{twistd}'s pid file first where it holds this
process's id (L{removeOwnPidFile}): C{twistd} writes it before the
service starts listening, and a server stopped then left it behind (a
C{systemctl stop} or C{kill} right after the C{listening on} line).
"""

import os
import signal
import sys

INTERRUPTED = "ftpkit: interrupted (SIGINT) while starting; not started"
"""The line a server interrupted while it starts writes."""

STOPPED = "ftpkit: stopped (SIGTERM) while starting; not started"
"""The line a server given C{SIGTERM} while it starts writes."""

_pidFile = []
"""The absolute path of C{twistd}'s pid file, once L{interruptQuietly}
was told it."""


def removeOwnPidFile(path, pid):
    """
    Remove a pid file that holds C{pid}.

    @param path: the pid file.
    @param pid: the process id it must hold to be removed (this
        process's): one holding another's is not this server's.
    """
    try:
        with open(path, "rb") as f:
            held = f.read(32).strip()
        if held == str(pid).encode("ascii"):
            os.unlink(path)
    except OSError:
        pass


def interruptQuietly(pidFile=None):
    """
    From now on, C{SIGINT} ends the process quietly until the reactor
    runs, and then stops the reactor (see the module); unless C{SIGINT}
    is not Python's default handler (ignored, as a shell without job
    control starts its background commands; a debugger's). So does
    C{SIGTERM}, where it has its default action.

    @param pidFile: C{twistd}'s C{--pidfile}, removed where it holds this
        process's id when the signal ends the start; C{None} or C{""}
        for none.
    """
    if pidFile:
        _pidFile[:] = [os.path.abspath(pidFile)]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupted)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupted)


def interrupted(number, frame):
    """
    The C{SIGINT} and C{SIGTERM} handler of L{interruptQuietly}.

    @param number: the signal's number.
    @param frame: the frame it interrupted.
    """
    reactor = sys.modules.get("twisted.internet.reactor")
    if getattr(reactor, "running", False):
        if number == signal.SIGINT:
            reactor.sigInt(number, frame)
        else:
            reactor.sigTerm(number, frame)
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    for path in _pidFile:
        removeOwnPidFile(path, os.getpid())
    try:
        line = INTERRUPTED if number == signal.SIGINT else STOPPED
        os.write(2, line.encode("ascii") + b"\n")
    except OSError:
        pass
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)
