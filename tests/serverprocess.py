"""
A server in a child process (C{twistd ftpkit} or C{python -m ftpkit}),
its log in a file, for the tests of signals and processes; one of
anonymous and alice on a new directory (L{startServer}); free ports for
the listeners it is given (L{freePort}, L{freeRange}).
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE, TWISTD

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

TIMEOUT = 60
"""Seconds to wait for a server to start, log a line, or exit."""


PICKED_PORTS = (10000, 20000)
"""Where L{freePort} draws its ports from: below the kernel's ephemeral
range (32768 and up on Linux), which every outgoing connection of the
machine and every listener on port 0 takes its port from, and below
L{freeRange}'s passive ranges: a port picked here is taken before the
server binds it only by another picker's server."""


def freePort(host="127.0.0.1", family=socket.AF_INET, rng=random):
    """
    @param host: the address the port is to be free on.
    @param family: its address family.
    @param rng: where the port is drawn from (in L{PICKED_PORTS}).
    @return: a TCP port on C{host} that was free a moment ago.
    """
    while True:
        port = rng.randrange(*PICKED_PORTS)
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port


def chosenPort(log, process, timeout=TIMEOUT):
    """
    Wait until a server started with C{--listen tcp:0:...} says which
    port it took: trusting its own word, not a connection that another
    program on a port picked in advance could have answered.

    @param log: the binary file the server writes its output to.
    @param process: its L{subprocess.Popen}.
    @return: the port.
    @raise OSError: when it exited or C{timeout} passed first (with its
        output).
    """
    deadline = time.monotonic() + timeout
    while True:
        exited = process.poll() is not None
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
        match = re.search(r"ftpkit listening on \S+ port (\d+)", output)
        if match:
            return int(match.group(1))
        if exited or time.monotonic() > deadline:
            raise OSError(f"the server did not listen; its output:\n{output}")
        time.sleep(0.05)


def childrenOf(pid):
    """
    @param pid: a process id.
    @return: the ids of its child processes (from C{/proc}).
    """
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children.extend(int(each) for each in f.read().split())
        except OSError:
            pass
    return children


def waitInReactors(pid):
    """
    @param pid: a server's process id.
    @return: whether its main thread and each of its children's (the
        workers of C{--workers}) sleeps in C{epoll_wait}, every reactor
        idle (from C{/proc/PID/wchan}).
    """
    try:
        for each in [pid, *childrenOf(pid)]:
            with open(f"/proc/{each}/wchan") as f:
                if f.read() not in ("do_epoll_wait", "ep_poll"):
                    return False
    except OSError:
        return False
    return True


def listeningInodes(port):
    """
    @param port: a TCP port.
    @return: the inodes of the sockets listening on it, on any address of
        either family (from C{/proc/net/tcp} and C{tcp6}).
    """
    return {fields[9] for fields in _tcpSockets()
            if fields[3] == "0A" and _port(fields[1]) == port}


def _tcpSockets():
    """
    @return: the fields of each line of C{/proc/net/tcp} and C{tcp6}
        (local and remote address, state, ..., inode).
    """
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            yield line.split()


def _port(address):
    """
    @param address: an address of C{/proc/net/tcp}, C{HEXADDR:HEXPORT}.
    @return: its port.
    """
    return int(address.rsplit(":", 1)[1], 16)


def holdsAny(pid, inodes):
    """
    @param pid: a process id.
    @param inodes: socket inodes (L{listeningInodes}).
    @return: whether the process or one of its descendants holds one of
        those sockets.
    """
    wanted = {f"socket:[{inode}]" for inode in inodes}
    pending = [pid]
    while pending:
        each = pending.pop()
        try:
            descriptors = os.listdir(f"/proc/{each}/fd")
            pending.extend(childrenOf(each))
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{each}/fd/{descriptor}") in wanted:
                    return True
            except OSError:
                pass
    return False


def serverEnd(client):
    """
    @param client: a socket connected to a server on this machine.
    @return: the inodes of the server's end of its connection, once the
        server accepted it (none while it waits in the listen queue).
    """
    port, serverPort = client.getsockname()[1], client.getpeername()[1]
    return {fields[9] for fields in _tcpSockets()
            if _port(fields[1]) == serverPort and _port(fields[2]) == port
            and fields[9] != "0"}


def workerServing(pid, client):
    """
    @param pid: the process id of a C{--workers} server (its acceptor).
    @param client: a socket connected to it (a control connection a
        worker took).
    @return: the id of the worker holding the server's end of it, or
        C{None} when none does (yet).
    """
    inodes = serverEnd(client)
    for worker in childrenOf(pid):
        if holdsAny(worker, inodes):
            return worker
    return None


def defaultSignalsFirst(preexec=None):
    """
    @param preexec: called in the child before it runs Python, or C{None}.
    @return: what the child runs before Python: C{SIGINT} and C{SIGQUIT}
        back to their default actions first. A test run started in the
        background by a script (a shell without job control) ignores
        both, the child inherited that, and the tests that stop it with
        them failed.
    """
    def run():
        for number in (signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        if preexec is not None:
            preexec()
    return run


class ServerProcess:
    """
    One server in a child process.

    @ivar port: the port it listens on.
    @ivar metricsPort: the port of its C{--metrics} endpoint on
        127.0.0.1, for a server started with C{metrics}; else C{None}.
    @ivar host: the address it is reached at (127.0.0.1 unless given).
    @ivar logPath: the file its output goes to.
    """

    host = "127.0.0.1"
    metricsPort = None

    def __init__(self, testCase, options, twistd=False, twistdOptions=(),
                 cwd=None, env=None, python=None, preexec=None,
                 listen=None, host="127.0.0.1", metrics=False,
                 stdout=None):
        """
        Start it (see L{waitForGreeting}); the test case stops it.

        @param testCase: the running test (for C{mktemp} and cleanups).
        @param options: the ftpkit options, without C{--listen}.
        @param twistd: run C{twistd -n ftpkit} instead of
            C{python -m ftpkit}.
        @param twistdOptions: C{twistd}'s options (with C{twistd}).
        @param cwd: the directory to run in.
        @param env: extra environment variables (C{PYTHONPATH} among
            them replaces the one that finds this checkout).
        @param python: with C{twistd}, the Python arguments running it
            [default: C{-c} and plain C{twistd}].
        @param preexec: called in the child before it runs Python.
        @param listen: called with a port that was free a moment ago, it
            returns the C{--listen} options [default: that port on
            127.0.0.1].
        @param host: an address the server listens on, for
            L{greeting} and L{login}.
        @param metrics: give it C{--metrics} on a port of its own
            (L{metricsPort}), picked again with the listening port when
            either was taken meanwhile (L{_portTaken}): a port picked by
            the test and passed among C{options} is not.
        @param stdout: the descriptor of the server's standard output (a
            pipe the test reads), or C{None} for its log file; with one
            given, the log file gets its standard error alone.
        """
        self.testCase = testCase
        self._metrics = metrics
        self.host = host
        self._listen = listen or (
            lambda port: ["--listen", f"tcp:{port}:interface=127.0.0.1"])
        self.logPath = os.path.abspath(testCase.mktemp())
        self._start = lambda listen: subprocess.Popen(
            [sys.executable,
             *([*(python or ["-c", TWISTD]),
                *(twistdOptions or ["-n", "--pidfile="]), "ftpkit"]
               if twistd else ["-m", "ftpkit"]),
             *listen, *options],
            cwd=cwd, env={**os.environ, "PYTHONPATH": SOURCE, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=self._logFile if stdout is None else stdout,
            stderr=subprocess.STDOUT if stdout is None else self._logFile,
            preexec_fn=defaultSignalsFirst(preexec))
        self._logFile = open(self.logPath, "wb")
        testCase.addCleanup(self._logFile.close)
        self._launch()
        testCase.addCleanup(self.stop)

    def _launch(self):
        """
        Start the process on a port that was free a moment ago (and its
        metrics endpoint on another, if asked for).
        """
        self.port = freePort()
        listen = self._listen(self.port)
        if self._metrics:
            self.metricsPort = freePort()
            listen = [*listen, "--metrics",
                      f"tcp:{self.metricsPort}:interface=127.0.0.1"]
        self.process = self._start(listen)

    def _portTaken(self):
        """
        If the server exited because another test took its port (or its
        metrics port) in the meantime, start it again on others.

        @return: whether it was started again.
        """
        if (self.process.poll() is None
                or "Address already in use" not in self.log()):
            return False
        self._logFile.seek(0)
        self._logFile.truncate()
        self._launch()
        return True

    def metricsURL(self, path="/metrics"):
        """
        @param path: a path of the metrics endpoint.
        @return: its URL, for a server started with C{metrics}.
        """
        return f"http://127.0.0.1:{self.metricsPort}{path}"

    def sessionRecords(self):
        """
        @return: the records of C{/sessions} (JSON), for a server started
            with C{metrics}: the sessions open now.
        """
        with urllib.request.urlopen(self.metricsURL("/sessions"),
                                    timeout=30) as response:
            return json.loads(response.read())

    def running(self):
        """
        @return: whether the server's process is still running.
        """
        return self.process.poll() is None

    def log(self):
        """
        @return: what the server wrote so far, as text; while it runs, up
            to its last line break only: a line it is writing is left for
            the next look (a reader may see the first part of a write), so
            each line returned is whole.
        """
        running = self.running()
        with open(self.logPath, "rb") as f:
            written = f.read()
        if running:
            written = written[:written.rfind(b"\n") + 1]
        return written.decode("utf-8", "replace")

    def waitFor(self, condition, what):
        """
        Poll C{condition} until it is true.

        @param condition: a callable taking no argument.
        @param what: what is waited for, for the failure message.
        @return: what C{condition} returned.
        """
        deadline = time.monotonic() + TIMEOUT
        while True:
            self._portTaken()
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                self.testCase.fail(f"timed out waiting for {what}; log:\n"
                                   + self.log())
            time.sleep(0.05)

    def waitForLog(self, text, count=1):
        """
        Wait until C{text} occurs C{count} times in the log.

        @return: the log.
        """
        return self.waitFor(
            lambda: self.log() if self.log().count(text) >= count else None,
            f"{count} x {text!r} in the log")

    def greeting(self):
        """
        @return: the first reply line a new client gets, or C{b""} when
            it cannot connect.
        """
        try:
            with socket.create_connection((self.host, self.port),
                                          timeout=10) as probe:
                return probe.recv(200)
        except OSError:
            return b""

    def listensHere(self):
        """
        @return: whether the listener on L{port}, if any, is this server's:
            not a socket another program took between L{freePort} and
            this server's start (whose greeting, and login, would be
            taken for this server's; this server then exits, its port
            taken, and L{_portTaken} starts it again).
        """
        inodes = listeningInodes(self.port)
        return not inodes or holdsAny(self.process.pid, inodes)

    def waitForGreeting(self):
        """
        Wait until a new client is greeted with C{220} by this server.
        """
        def greeted():
            if self.process.poll() is not None and not self._portTaken():
                self.testCase.fail("server exited with status %s; log:\n%s"
                                   % (self.process.returncode, self.log()))
            return (self.listensHere()
                    and self.greeting().startswith(b"220"))

        self.waitFor(greeted, "a 220 greeting")

    def login(self, user="anonymous", password="x"):
        """
        @return: a logged-in C{ftplib.FTP} (see L{ftplibLogin}).
        """
        return ftplibLogin(self.testCase, self.port, user, password,
                           host=self.host)

    def signal(self, number):
        """
        Send the server a signal.
        """
        self.process.send_signal(number)

    def stop(self):
        """
        Stop it (C{SIGTERM}, then C{SIGKILL}) if it still runs.

        @return: its exit status.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def startServer(testCase, *options, users="alice:secret", metrics=False):
    """
    Start C{python -m ftpkit} serving a new directory to anonymous and
    C{users}, and wait for its greeting.

    @param testCase: the running test.
    @param options: more of the server's options.
    @param users: C{--auth memory:}'s users.
    @param metrics: give it C{--metrics} (see L{ServerProcess}).
    @return: C{(server, root)}: the L{ServerProcess} and the directory.
    """
    root = scratchDirectory(testCase)
    server = ServerProcess(
        testCase, ["--root", root, "--auth", "anonymous",
                   "--auth", "memory:" + users, *options], cwd=root,
        metrics=metrics)
    server.waitForGreeting()
    return server, root


def startServing(testCase, options, workers=None):
    """
    Start C{python -m ftpkit} with C{options}, in one process or under
    C{--workers}, and wait until it serves: its greeting, or every worker
    ready.

    @param testCase: the running test.
    @param options: the server's options.
    @param workers: the C{--workers} count, or C{None} for one process.
    @return: the L{ServerProcess}.
    """
    if workers:
        options = [*options, "--workers", str(workers)]
    server = ServerProcess(testCase, options)
    if workers:
        server.waitForLog(READY, workers)
    else:
        server.waitForGreeting()
    return server


def freeRange(size, rng=random):
    """
    @param size: how many ports.
    @param rng: where the lowest is drawn from.
    @return: C{(low, high)}: C{size} consecutive ports, all free now, below
        the kernel's ephemeral range.
    """
    while True:
        low = rng.randrange(20000, 30000 - size)
        probes = []
        try:
            for port in range(low, low + size):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return low, low + size - 1
