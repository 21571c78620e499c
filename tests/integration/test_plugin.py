"""
Tests for C{twisted/plugins/ftpkit_plugin.py}, run the way users run it:
C{twistd} in a child process.
"""

import os
import socket
import subprocess
import sys
import time

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE, TWISTD, runPython

_PLAIN_START = (
    "import sys\n"
    "from twisted.application.service import IServiceMaker\n"
    "from twisted.plugin import getPlugins\n"
    "maker, = [p for p in getPlugins(IServiceMaker) if p.tapname == 'ftpkit']\n"
    "options = maker.options()\n"
    "options.parseOptions(sys.argv[1:])\n"
    "maker.makeService(options).privilegedStartService()\n"
    "print(' '.join(sys.modules))\n"
)
"""What C{twistd ftpkit ARGS} does before its reactor runs, then the
names of the modules it imported."""


class SourceTreeTests(unittest.TestCase):
    """
    The plugin, found from the source tree.
    """

    def twistd(self, *args):
        """
        Run C{twistd ARGS} with the source tree first on the path.

        @return: C{(exitCode, output)}.
        """
        cwd = scratchDirectory(self)
        return runPython(["-c", TWISTD, *args], cwd, SOURCE)

    def test_listed(self):
        """
        C{twistd --help} lists C{ftpkit}.
        """
        code, output = self.twistd("--help")
        self.assertEqual(code, 0, output)
        self.assertIn("    ftpkit ", output)

    def test_badValue(self):
        """
        A bad value exits with status 1 and one line naming the option and
        why (not twistd's whole help first).
        """
        code, output = self.twistd("ftpkit", "--max-connections", "x")
        self.assertEqual(code, 1, output)
        self.assertEqual(
            output,
            "twistd ftpkit: --max-connections: must be a positive integer,"
            " not 'x' (see --help)\n")

    def test_helpRealms(self):
        """
        C{twistd ftpkit --help-realms} lists both built-in realms and
        exits with status 0.
        """
        code, output = self.twistd("ftpkit", "--help-realms")
        self.assertEqual(code, 0, output)
        self.assertIn("filesystem", output)
        self.assertIn("memory", output)

    def test_lazyImports(self):
        """
        Loading the plugin module imports neither L{ftpkit.deploy.tap},
        L{ftpkit.auth.realms} nor L{ftpkit.control.server}: a plugin that fails
        to import is silently skipped, so it stays tiny.
        """
        code, output = runPython(
            ["-c", ("import sys, twisted.plugins.ftpkit_plugin; "
                    "print(' '.join(sys.modules))")],
            SOURCE, SOURCE,
        )
        self.assertEqual(code, 0, output)
        loaded = output.split()
        self.assertIn("ftpkit.interfaces", loaded)
        for heavy in ["ftpkit.deploy.tap", "ftpkit.auth.realms",
                      "ftpkit.control.server", "ftpkit.control.connection"]:
            self.assertNotIn(heavy, loaded)

    def test_plainStartImportsNoExtras(self):
        """
        Parsing the options of a plain server (a directory, C{--auth
        memory} or C{anonymous}) and building and privileged-starting its
        service imports none of what only some configurations use:
        prometheus (C{--metrics}), fsspec (its realm), psycopg (C{pg:}),
        hypothesis (tests), tomllib (a users file) or Twisted's Conch
        (its C{sshkeys} checker, which listing every checker loaded).
        OpenSSL is not among them: Twisted's reactor imports it.
        """
        extras = ["prometheus_client", "fsspec", "psycopg", "hypothesis",
                  "tomllib", "twisted.conch"]
        for auth in ["memory:u:p", "anonymous"]:
            code, output = runPython(
                ["-c", _PLAIN_START, "--listen", "tcp:0:interface=127.0.0.1",
                 "--root", scratchDirectory(self), "--auth", auth],
                SOURCE, SOURCE,
            )
            self.assertEqual(code, 0, output)
            loaded = output.splitlines()[-1].split()
            self.assertIn("ftpkit.control.server", loaded)
            self.assertEqual([name for name in extras if name in loaded], [],
                             auth)

    def test_mainModule(self):
        """
        C{python -m ftpkit} takes the same options as C{twistd ftpkit}.
        """
        cwd = scratchDirectory(self)
        code, output = runPython(
            ["-m", "ftpkit", "--idle-timeout", "0"], cwd, SOURCE
        )
        self.assertEqual(code, 1, output)
        self.assertEqual(
            output,
            "ftpkit: --idle-timeout: must be a positive number, not '0'"
            " (see --help)\n")


    def test_workersRefuseMemoryRealm(self):
        """
        C{--workers} with C{--realm memory} exits with status 1 and one
        line: each worker would have served a tree of its own, so a
        client (ftplib) found its upload on one session and not on the
        next.
        """
        cwd = scratchDirectory(self)
        code, output = runPython(
            ["-m", "ftpkit", "--workers", "2", "--realm", "memory",
             "--listen", "tcp:2121:interface=127.0.0.1"], cwd, SOURCE)
        self.assertEqual(code, 1, output)
        self.assertEqual(
            output,
            "ftpkit: --workers: --realm memory keeps its files in one "
            "process' memory, and each worker would have its own; serve it "
            "with one process (see --help)\n")


class InstalledTests(unittest.TestCase):
    """
    The plugin, as installed: C{twistd} run outside the source tree.
    """

    def test_listed(self):
        """
        Where ftpkit is installed, C{twistd --help} lists C{ftpkit}: a
        setuptools editable install in its default mode (an import hook)
        fails this.
        """
        cwd = scratchDirectory(self)
        code, output = runPython(["-c", "import ftpkit"], cwd, None)
        if code != 0:
            raise unittest.SkipTest("ftpkit is not installed")
        code, output = runPython(["-c", TWISTD, "--help"], cwd, None)
        self.assertEqual(code, 0, output)
        self.assertIn("    ftpkit ", output)


def freePort():
    """
    @return: a TCP port on 127.0.0.1 that was free a moment ago.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connectWithRetry(port, deadline, server):
    """
    Connect to C{127.0.0.1:port}, retrying until the server listens.

    @param deadline: a C{time.monotonic()} value after which to give up.
    @param server: the server's L{subprocess.Popen}.
    @return: a file reading and writing the connection as bytes.
    @raise OSError: when the server exited or the deadline passed.
    """
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            if server.poll() is not None:
                raise OSError(f"the server exited with {server.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
            continue
        if conn.getsockname() == conn.getpeername():
            # A loopback connect to a free port can connect to itself.
            conn.close()
            if time.monotonic() > deadline:
                raise OSError(f"nothing listens on port {port}")
            continue
        return conn.makefile("rwb", buffering=0)


class ServeTests(unittest.TestCase):
    """
    C{python -m ftpkit} serves a directory, as the README shows.
    """

    def test_anonymousLogin(self):
        """
        The server greets with the banner and lets C{anonymous} log in.
        """
        root = scratchDirectory(self)
        port = freePort()
        env = dict(os.environ, PYTHONPATH=SOURCE)
        log = open(self.mktemp(), "w+b")
        self.addCleanup(log.close)
        server = subprocess.Popen(
            [sys.executable, "-m", "ftpkit",
             "--listen", f"tcp:{port}:interface=127.0.0.1",
             "--root", root, "--auth", "anonymous", "--banner", "hello"],
            cwd=root, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.addCleanup(server.wait, 60)
        self.addCleanup(server.terminate)
        try:
            conn = connectWithRetry(port, time.monotonic() + 60, server)
        except OSError as e:
            log.seek(0)
            self.fail(f"{e}; server output:\n{log.read().decode()}")
        self.addCleanup(conn.close)
        self.assertEqual(conn.readline(), b"220 hello\r\n")
        conn.write(b"USER anonymous\r\n")
        self.assertTrue(conn.readline().startswith(b"331"))
        conn.write(b"PASS guest@\r\n")
        self.assertTrue(conn.readline().startswith(b"230"))
