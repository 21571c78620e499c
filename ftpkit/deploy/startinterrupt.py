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
"""

import os
import signal
import sys

INTERRUPTED = "ftpkit: interrupted (SIGINT) while starting; not started"
"""The line a server interrupted while it starts writes."""


def interruptQuietly():
    """
    From now on, C{SIGINT} ends the process quietly until the reactor
    runs, and then stops the reactor (see the module); unless C{SIGINT}
    is not Python's default handler (ignored, as a shell without job
    control starts its background commands; a debugger's).
    """
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupted)


def interrupted(number, frame):
    """
    The C{SIGINT} handler of L{interruptQuietly}.

    @param number: the signal's number.
    @param frame: the frame it interrupted.
    """
    reactor = sys.modules.get("twisted.internet.reactor")
    if getattr(reactor, "running", False):
        reactor.sigInt(number, frame)
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    try:
        os.write(2, INTERRUPTED.encode("ascii") + b"\n")
    except OSError:
        pass
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)
