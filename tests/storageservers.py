"""
Real storage servers for the fsspec tests, started on loopback: moto's
standalone S3 server and an OpenSSH C{sshd} with a throwaway host key and
user key. Each is started at most once per test process and stopped when
it exits; a server that cannot start makes the tests that need it skip,
saying why.
"""

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from twisted.trial.unittest import SkipTest

S3_KEY = "testing"
"""The access key id moto accepts (any)."""

S3_SECRET = "testing"
"""The secret access key moto accepts (any)."""

_started = {}


def freePort():
    """
    @return: a TCP port on 127.0.0.1 that was free a moment ago.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _waitForPort(port, process, what, timeout=30.0):
    """
    Wait until something accepts connections on C{port}.

    @raise SkipTest: when C{process} ended or C{timeout} passed first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SkipTest(f"{what} exited at start ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SkipTest(f"{what} did not listen within {timeout:.0f} s")


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
    port = freePort()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_KEY,
               AWS_SECRET_ACCESS_KEY=S3_SECRET, AWS_DEFAULT_REGION="us-east-1")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=env)
    _stopAtExit(process)
    _waitForPort(port, process, "moto's S3 server")
    _started["moto"] = f"http://127.0.0.1:{port}"
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
    port = freePort()
    config = os.path.join(directory, "sshd_config")
    with open(config, "w") as f:
        f.write(
            f"Port {port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {hostKey}\n"
            f"PidFile {directory}/sshd.pid\n"
            f"AuthorizedKeysFile {directory}/authorized_keys\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "UsePAM no\n"
            "StrictModes no\n"
            "Subsystem sftp internal-sftp\n")
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(directory, "log"), "wb"))
    _stopAtExit(process, directory)
    _waitForPort(port, process, "sshd")
    import pwd

    server = SSHServer(port, pwd.getpwuid(os.geteuid()).pw_name, userKey, directory)
    _started["sshd"] = server
    return server
