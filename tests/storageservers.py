"""
Real storage servers for the fsspec tests, started on loopback: moto's
standalone S3 server and an OpenSSH C{sshd} with a throwaway host key and
user key. Each is started at most once per test process and stopped when
it exits; a server that cannot start makes the tests that need it skip,
saying why.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from twisted.trial.unittest import SkipTest

from tests.serverprocess import freePort

S3_KEY = "testing"
"""The access key id moto accepts (any)."""

S3_SECRET = "testing"
"""The secret access key moto accepts (any)."""

_started = {}


PORT_ATTEMPTS = 5
"""Ports a server that must be told its port is started on before giving
up: another process may take a port between L{freePort} and the server's
bind."""


def _waitForLog(path, process, pattern, what, timeout=60.0):
    """
    Wait until a server's log says it listens: trusting the server's own
    word, not a connection that anything else on the port (or the
    connection itself, connected to itself on a free loopback port) could
    have answered.

    @param path: the file the server writes its log to.
    @param process: its L{subprocess.Popen}.
    @param pattern: a compiled regular expression its log matches once it
        listens.
    @param what: the server's name, for the skip reason.
    @return: the match, or C{None} when the server exited because its
        port was taken (start it again on another).
    @raise SkipTest: when it exited for another reason, or C{timeout}
        passed first.
    """
    deadline = time.monotonic() + timeout
    while True:
        exited = process.poll() is not None
        with open(path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        match = pattern.search(log)
        if match:
            return match
        if exited:
            if "Address already in use" in log:
                return None
            raise SkipTest(f"{what} exited at start ({process.returncode}):"
                           f" {log[-500:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise SkipTest(f"{what} did not listen within {timeout:.0f} s")
        time.sleep(0.05)


def _stopAtExit(process, directory=None):
    """
    Stop a server (and remove its directory) when the test process exits.
    """

    def stop():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)


def motoServer():
    """
    Start moto's S3 server (once per process).

    @return: its endpoint URL, C{http://127.0.0.1:PORT}.
    @raise SkipTest: when moto's server or s3fs is not installed, or it
        does not start.
    """
    if "moto" in _started:
        return _started["moto"]
    for module in ("moto.server", "flask", "s3fs"):
        try:
            __import__(module)
        except ImportError:
            raise SkipTest(f"{module} is not installed (pip install -e '.[dev]')")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_KEY,
               AWS_SECRET_ACCESS_KEY=S3_SECRET, AWS_DEFAULT_REGION="us-east-1")
    directory = tempfile.mkdtemp(prefix="ftpkit-moto-")
    log = os.path.join(directory, "log")
    # Port 0: the server takes a free port itself and says which.
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            env=env)
    _stopAtExit(process, directory)
    match = _waitForLog(log, process, re.compile(r"Running on (http://127\.0\.0\.1:\d+)"),
                        "moto's S3 server")
    if match is None:
        raise SkipTest("moto's S3 server could not listen on the port it chose")
    _started["moto"] = match.group(1)
    return _started["moto"]


def s3Filesystem(endpoint):
    """
    @param endpoint: moto's endpoint URL.
    @return: a new s3fs filesystem on it (no listing cache).
    """
    import s3fs

    return s3fs.S3FileSystem(
        key=S3_KEY, secret=S3_SECRET, endpoint_url=endpoint,
        use_listings_cache=False, skip_instance_cache=True)


def newBucket(fs, prefix="t"):
    """
    Make a new, empty bucket.

    @return: its name.
    """
    name = f"{prefix}{os.urandom(6).hex()}"
    fs.mkdir(name)
    return name


def s3URL(directory):
    """
    A new bucket on moto's S3 server, as a C{fsspec:} realm names it.

    @param directory: where the store's config file (its keys) is written.
    @return: C{s3://BUCKET/ftp?config=...&endpoint_url=...}: its realm's
        root is the bucket's C{ftp} prefix; more options follow an C{&}.
    """
    endpoint = motoServer()
    bucket = newBucket(s3Filesystem(endpoint))
    config = os.path.join(directory, "storage.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f'[options]\nkey = "{S3_KEY}"\nsecret = "{S3_SECRET}"\n')
    return f"s3://{bucket}/ftp?config={config}&endpoint_url={endpoint}"


class SSHServer:
    """
    An OpenSSH server on loopback, for the current user, with keys made
    for it.

    @ivar port: its port.
    @ivar user: the user name to log in as.
    @ivar keyFile: the private key that user logs in with.
    @ivar directory: a scratch directory (holding the keys and config).
    """

    def __init__(self, port, user, keyFile, directory):
        self.port = port
        self.user = user
        self.keyFile = keyFile
        self.directory = directory
        self._shared = None

    def sharedFilesystem(self):
        """
        @return: one fsspec SFTP filesystem for the whole test process
            (its connection closes when the process exits; tests whose
            files are closed after they end share it safely).
        """
        if self._shared is None:
            self._shared = self.filesystem()
        return self._shared

    def logTail(self, lines=30):
        """
        @param lines: how many lines.
        @return: the last whole lines of the server's log (for a test's
            failure to show what the server did meanwhile).
        """
        with open(os.path.join(self.directory, "log"), "rb") as f:
            log = f.read().decode("utf-8", "replace")
        whole = log[:log.rfind("\n") + 1].splitlines()
        return "sshd's log, last lines:\n" + "\n".join(whole[-lines:])

    def filesystem(self):
        """
        @return: a new fsspec SFTP filesystem logged in to this server.
        """
        from fsspec.implementations.sftp import SFTPFileSystem

        return SFTPFileSystem(
            "127.0.0.1", port=self.port, username=self.user,
            key_filename=self.keyFile, look_for_keys=False,
            allow_agent=False, skip_instance_cache=True)


def _keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path],
                   check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _startSSHD(sshd, directory, port, hostKey, address="127.0.0.1"):
    """
    Start C{sshd} on a port (its log in C{DIRECTORY/log}, replaced).

    @param address: the loopback address it listens on.
    @return: its L{subprocess.Popen}.
    """
    config = os.path.join(directory, "sshd_config")
    with open(config, "w") as f:
        f.write(
            f"Port {port}\n"
            f"ListenAddress {address}\n"
            f"HostKey {hostKey}\n"
            f"PidFile {directory}/sshd.pid\n"
            f"AuthorizedKeysFile {directory}/authorized_keys\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "UsePAM no\n"
            "LogLevel VERBOSE\n"
            "StrictModes no\n"
            "Subsystem sftp internal-sftp\n")
    with open(os.path.join(directory, "log"), "wb") as log:
        return subprocess.Popen(
            [sshd, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log)


def sshServer():
    """
    Start C{sshd} (once per process).

    @return: an L{SSHServer}.
    @raise SkipTest: when OpenSSH's server or paramiko is not installed,
        or it does not start.
    """
    if "sshd" in _started:
        return _started["sshd"]
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd) or shutil.which("ssh-keygen") is None:
        raise SkipTest(
            "OpenSSH's server is not installed (apt-get install openssh-server)")
    try:
        import paramiko  # noqa: F401
    except ImportError:
        raise SkipTest("paramiko is not installed (pip install -e '.[dev]')")
    directory = tempfile.mkdtemp(prefix="ftpkit-sshd-")
    os.chmod(directory, 0o755)
    hostKey = os.path.join(directory, "host_key")
    userKey = os.path.join(directory, "user_key")
    _keygen(hostKey)
    _keygen(userKey)
    shutil.copy(userKey + ".pub", os.path.join(directory, "authorized_keys"))
    if os.geteuid() == 0:
        # sshd started by root wants its privilege separation directory.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    process, port = _listeningSSHD(sshd, directory, hostKey)
    _stopAtExit(process, directory)
    import pwd

    server = SSHServer(port, pwd.getpwuid(os.geteuid()).pw_name, userKey, directory)
    _started["sshd"] = server
    return server


def _listeningSSHD(sshd, directory, hostKey, address="127.0.0.1"):
    """
    Start C{sshd} on a free port.

    @param address: the loopback address it listens on (C{127.0.0.1} or
        C{::1}).
    @return: C{(process, port)}.
    @raise SkipTest: when it found no free port.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(PORT_ATTEMPTS):
        port = freePort(address, family)
        process = _startSSHD(sshd, directory, port, hostKey, address)
        listening = re.compile(
            f"Server listening on {re.escape(address)} port {port}\\.")
        if _waitForLog(os.path.join(directory, "log"), process, listening,
                       "sshd"):
            return process, port
    raise SkipTest(f"sshd found no free port in {PORT_ATTEMPTS} attempts")


def ownSSHServer(testCase, address="127.0.0.1"):
    """
    Start an OpenSSH server of the test's own, which it may stop with
    C{SIGSTOP} (the process-wide one of L{sshServer} is shared by other
    tests), with that one's keys and user; it is ended (continued first)
    and its directory removed after the test.

    @param testCase: the running test.
    @param address: the loopback address it listens on (C{::1} skips the
        test where this machine has no IPv6 loopback).
    @return: C{(server, process)}: an L{SSHServer} and its listening
        process (whose children are its connections' processes).
    """
    from tests.ipv6 import hasIPv6

    if ":" in address and not hasIPv6():
        raise SkipTest("this machine has no IPv6 loopback (::1)")
    shared = sshServer()
    directory = tempfile.mkdtemp(prefix="ftpkit-ownsshd-")
    os.chmod(directory, 0o755)
    shutil.copy(os.path.join(shared.directory, "authorized_keys"),
                os.path.join(directory, "authorized_keys"))
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    process, port = _listeningSSHD(
        sshd, directory, os.path.join(shared.directory, "host_key"), address)
    testCase.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    testCase.addCleanup(_endStopped, process)
    return SSHServer(port, shared.user, shared.keyFile, directory), process


def _endStopped(process):
    """
    End an sshd that may be stopped, and its connections' processes.

    @param process: its listening process's L{subprocess.Popen}.
    """
    tree = processTree(process.pid)
    for pid in tree:
        _signal(pid, signal.SIGCONT)
    for pid in tree:
        _signal(pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def processTree(pid):
    """
    @param pid: a process.
    @return: its id and those of its descendants, parents first (read
        from Linux's C{/proc/PID/task/TID/children}).
    """
    tree = [pid]
    for parent in tree:
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    tree.extend(int(child) for child in f.read().split())
            except OSError:
                continue
    return tree


def signalTree(pid, number):
    """
    Send a signal to a process and its descendants.

    @param pid: the process.
    @param number: the signal.
    """
    for each in processTree(pid):
        _signal(each, number)


def _signal(pid, number):
    """
    Send a signal to a process that may have ended already.
    """
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
