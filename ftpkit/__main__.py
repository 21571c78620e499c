"""
C{python -m ftpkit ARGS}: C{twistd -n ftpkit ARGS}, in the foreground,
logging to stdout and writing no pid file.
"""

import sys

from twisted.scripts.twistd import run


def main(argv=None):
    """
    Run C{twistd --nodaemon --pidfile= ftpkit} with C{argv}.

    @param argv: the ftpkit options; C{sys.argv[1:]} when C{None}.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    sys.argv = ["ftpkit", "--nodaemon", "--pidfile=", "ftpkit", *args]
    run()


if __name__ == "__main__":
    main()
