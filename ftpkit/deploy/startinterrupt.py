"""
Ctrl-C (C{SIGINT}) while a server in the foreground starts, before its
reactor runs (importing, parsing its options, building and starting its
service, the sweep of cut uploads): the process ends at once with one
line on standard error (L{INTERRUPTED}), by the signal, as C{twistd} ends
a server a C{SIGINT} stopped (a shell sees status 130). Python's own
handler raised C{KeyboardInterrupt} wherever the start stood, a
traceback; raised in a weak reference's callback or a reactor's event
trigger, it was printed as ignored, and the server started anyway.

Once the reactor runs, the signal is the reactor's: Twisted installs its
own C{SIGINT} handler only where it finds Python's default one, so this
one hands the signal to the reactor's C{sigInt} from then on, which
stops it as Twisted's would (L{ftpkit.deploy.stopsignals} wraps it).

C{SIGTERM} (C{systemctl stop}, C{kill}) while the server starts ends it
the same way, with its own line (L{STOPPED}): its default action ended it
without a word. The reactor replaces this handler with its own when it
runs.
"""

import os
import signal
import sys

INTERRUPTED = "ftpkit: interrupted (SIGINT) while starting; not started"
"""The line a server interrupted while it starts writes."""

STOPPED = "ftpkit: stopped (SIGTERM) while starting; not started"
"""The line a server given C{SIGTERM} while it starts writes."""


def interruptQuietly():
    """
    From now on, C{SIGINT} ends the process quietly until the reactor
    runs, and then stops the reactor (see the module); unless C{SIGINT}
    is not Python's default handler (ignored, as a shell without job
    control starts its background commands; a debugger's). So does
    C{SIGTERM}, where it has its default action.
    """
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
    try:
        line = INTERRUPTED if number == signal.SIGINT else STOPPED
        os.write(2, line.encode("ascii") + b"\n")
    except OSError:
        pass
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)
