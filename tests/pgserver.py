"""
A throwaway PostgreSQL server for the tests: C{initdb} into a temporary
directory, C{pg_ctl} on a free loopback port, trust authentication,
removed when stopped, when it fails to start, or when the test process
dies first (L{tests.pgguard}).
"""

import glob
import os
import pwd
import subprocess
import sys
import tempfile

from tests import pgguard
from tests.serverprocess import freePort

PORT_ATTEMPTS = 5
"""Ports the server is started on before giving up, each free a moment
before."""


def binaries():
    """
    @return: the directory of the newest installed PostgreSQL server's
        programs, or C{None} when there is none.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def _account():
    """
    @return: the account PostgreSQL runs as (it refuses root), or C{None}
        when the process is not root (then it runs as itself).
    """
    if os.getuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


class PostgresServer:
    """
    One PostgreSQL cluster.

    @ivar port: its port on 127.0.0.1.
    @ivar dsn: a connection string for its C{postgres} database as the
        superuser C{ftpkit}.
    """

    def __init__(self):
        """
        Create and start the cluster.

        @raise RuntimeError: when PostgreSQL is not installed or fails to
            start (with its log).
        """
        bin = binaries()
        if bin is None:
            raise RuntimeError("PostgreSQL is not installed"
                               " (apt-get install postgresql)")
        self._bin = bin
        self._dir = tempfile.mkdtemp(prefix="ftpkit-pg-")
        self._account = _account()
        self._data = os.path.join(self._dir, "data")
        self._guard = subprocess.Popen(
            [sys.executable, pgguard.__file__, self._dir,
             *self._command("pg_ctl", "-D", self._data, "-m", "immediate",
                            "-w", "stop")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            self._create()
        except BaseException:
            self.stop(failed=True)
            raise

    def _create(self):
        """
        Make the cluster and start it on a free port.

        @raise RuntimeError: when a program fails (with its log).
        """
        if self._account is not None:
            os.chown(self._dir, self._account.pw_uid, self._account.pw_gid)
        self._run("initdb", "-D", self._data, "-U", "ftpkit", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        for attempt in range(PORT_ATTEMPTS):
            self.port = freePort()
            self.dsn = (f"host=127.0.0.1 port={self.port} user=ftpkit"
                        " dbname=postgres connect_timeout=5")
            before = len(self.log())
            try:
                self._start()
                return
            except RuntimeError:
                # Another process took the port between freePort and the
                # server's bind: start it again on another.
                taken = "Address already in use" in self.log()[before:]
                if not taken or attempt == PORT_ATTEMPTS - 1:
                    raise

    def _start(self):
        """
        Start the cluster on its port.
        """
        self._run("pg_ctl", "-D", self._data, "-l",
                  os.path.join(self._dir, "log"), "-w", "-t", "60", "-o",
                  f"-k {self._dir} -p {self.port}"
                  " -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def restart(self):
        """
        Stop the server at once (its connections cut, as by a crash or a
        fail-over) and start it again on the same port, keeping its data.
        """
        self._run("pg_ctl", "-D", self._data, "-m", "immediate", "-w",
                  "stop")
        self._start()

    def _command(self, program, *args):
        """
        @return: the command line running one of PostgreSQL's programs as
            its account.
        """
        command = [os.path.join(self._bin, program), *args]
        if self._account is not None:
            command = ["runuser", "-u", self._account.pw_name, "--", *command]
        return command

    def _run(self, program, *args):
        """
        Run one of PostgreSQL's programs as its account.

        @raise RuntimeError: when it fails, with its output and the log.
        """
        done = subprocess.run(self._command(program, *args), cwd=self._dir,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}"
                               f"{self.log()}")

    def log(self):
        """
        @return: the server's log so far.
        """
        try:
            with open(os.path.join(self._dir, "log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, failed=False):
        """
        Stop the server at once and remove its files: its guard
        (L{tests.pgguard}) does, told by the end of its input, and is
        waited for. Again, nothing is done.

        @param failed: whether the server is stopped because it failed
            to start: the stop's own failure is not raised then.
        @raise RuntimeError: when C{pg_ctl stop} failed (with its output).
        """
        if self._guard.returncode is not None:
            return
        output, _ = self._guard.communicate()
        if self._guard.returncode != 0 and not failed:
            raise RuntimeError(f"pg_ctl stop failed: {output}")
