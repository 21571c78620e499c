"""
C{python -m ftpkit ARGS}: C{twistd -n ftpkit ARGS}, in the foreground,
logging to stdout and writing no pid file.
"""

import signal
import sys

from ftpkit.deploy.startinterrupt import interruptQuietly


def main(argv=None):
    """
    Run C{twistd --nodaemon --pidfile= ftpkit} with C{argv}.

    @param argv: the ftpkit options; C{sys.argv[1:]} when C{None}.
    """
    # Ctrl-C while it starts: one line, not a traceback. Before any
    # other import: ftpkit.deploy.stopsignals imports twisted.application
    # and asyncio, a tenth of a second in which Ctrl-C was a traceback.
    interruptQuietly()
    from ftpkit.deploy.stopsignals import holdQuit

    # As the server will (ftpkit.deploy.tap.Options.parseOptions), from
    # the first moment: a SIGHUP while it starts must not end it; it is
    # held until the server serves, then reloads (ReloadOnHangup).
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP])
    # Its log is standard output, which has nothing to rotate: SIGUSR1
    # (the rotation of twistd --logfile) must not end the server, as its
    # default action did, silently.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    # SIGUSR2 means nothing to ftpkit (Options ignores it too, later):
    # its default action would end a server still starting.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    # SIGQUIT stops a running server now: held until it runs, its default
    # action (a core dump) must not end one still starting.
    holdQuit()
    # A plugin module that fails to import: one line, not a traceback at
    # every lookup (twistd's own, of its subcommands, comes first).
    from ftpkit.deploy.pluginlookups import takeOverPluginLookups

    takeOverPluginLookups()
    from twisted.scripts.twistd import run

    args = sys.argv[1:] if argv is None else list(argv)
    sys.argv = ["ftpkit", "--nodaemon", "--pidfile=", "ftpkit", *args]
    run()


if __name__ == "__main__":
    main()
