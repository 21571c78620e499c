"""
The signals a server holds while it starts (L{holdStartSignals}), from the
first moment ftpkit's code runs in C{twistd}: when C{twistd} picks the
C{ftpkit} subcommand (C{twisted/plugins/ftpkit_plugin.py}), before it
loads ftpkit's options. Held only once those were loaded (a second under
load: they import the whole server), a C{SIGUSR1} or C{SIGUSR2} in that
moment ended the server with their default action, without a line, and
a C{SIGQUIT} with a core dump.
"""

import signal

from ftpkit.deploy.stopsignals import holdQuit


def holdStartSignals():
    """
    Block C{SIGHUP} until the service reloads on it
    (L{ftpkit.deploy.hangup.ReloadOnHangup}: its default action would end
    the server), C{SIGUSR1} until the service decides (twistd's log
    rotation installs its handler only where the signal has none:
    L{ftpkit.deploy.service.KeepOnRotation}) and C{SIGQUIT} until the reactor
    runs (L{holdQuit}); ignore C{SIGUSR2}, which means nothing to ftpkit
    (C{twistd --debug} sets its own handler later).
    """
    if not hasattr(signal, "SIGHUP"):
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP, signal.SIGUSR1])
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    holdQuit()
