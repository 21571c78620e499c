"""
Keeping what a test does to the process's signal state to the test:
ftpkit's options parsed as C{twistd}'s block C{SIGHUP}, C{SIGUSR1} and
C{SIGQUIT}, ignore C{SIGUSR2} and take C{SIGINT} and C{SIGTERM} for the
server that starts (L{ftpkit.deploy.startsignals},
L{ftpkit.deploy.startinterrupt}); in a test they did so for the rest of
the run, and for every process it started after (children inherit the
mask and ignored signals).
"""

import signal

SIGNALS = tuple(getattr(signal, name) for name in (
    "SIGHUP", "SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name))
"""The signals whose handlers L{keepSignalState} puts back."""


def keepSignalState(case):
    """
    Put the handlers of L{SIGNALS} and the calling thread's signal mask
    back as they are now once C{case} ends.

    @param case: a test case.
    """
    for number in SIGNALS:
        handler = signal.getsignal(number)
        if handler is not None:
            case.addCleanup(signal.signal, number, handler)
    case.addCleanup(signal.pthread_sigmask, signal.SIG_SETMASK,
                    signal.pthread_sigmask(signal.SIG_BLOCK, []))
