"""
The guard of a test's PostgreSQL (L{tests.pgserver.PostgresServer}): a
process of its own, in a session of its own, started with the server's
directory and the command that stops it, reading its standard input from
the test process. Once that input ends, it stops the server (where its
data directory holds a C{postmaster.pid}) and removes the directory.

The test process ends the input when it stops the server, and the
system does when the test process dies without doing so (killed, or a
run interrupted before its cleanup): a PostgreSQL, which C{pg_ctl} starts
in a session of its own, outlived a killed trial run, its data left in
C{/tmp}.

Run as C{python pgguard.py DIRECTORY STOP-COMMAND...}; its exit status
is the stop command's (C{0} when there was no server to stop), its
output the command's.
"""

import os
import shutil
import subprocess
import sys


def stopAndRemove(directory, stop):
    """
    Stop the server of C{directory} if it may be running, then remove
    the directory.

    @param directory: the server's directory (its data in C{data}).
    @param stop: the command that stops it, as a list.
    @return: C{(status, output)}: the stop command's exit status and
        output, C{(0, "")} when no C{postmaster.pid} was there.
    """
    status, output = 0, ""
    if os.path.exists(os.path.join(directory, "data", "postmaster.pid")):
        done = subprocess.run(stop, capture_output=True, text=True)
        status, output = done.returncode, done.stdout + done.stderr
    shutil.rmtree(directory, ignore_errors=True)
    return status, output


def main(argv):
    """
    Wait for standard input to end, then L{stopAndRemove}.

    @param argv: C{[DIRECTORY, STOP-COMMAND...]}.
    @return: the exit status.
    """
    directory, *stop = argv
    sys.stdin.read()
    status, output = stopAndRemove(directory, stop)
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except OSError:
        # The test process is gone: nobody reads what it says.
        pass
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
