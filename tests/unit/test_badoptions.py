"""
Every row of L{tests.badoptions} (a bad command line) is one usage error:
parsed in this process, a L{usage.UsageError} whose one line starts with
the row's fragment, given within seconds (a FIFO or a device that never
ends must not hold the parse); run as a real C{twistd ftpkit} and
C{python -m ftpkit}, exit status 1, that line on standard error and
nothing else, no pid file left and no socket made.
"""

import os
import resource
import signal
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.reloadingfile import MAX_FILE_BYTES
from tests.badoptions import NOT_UTF8, ROWS
from tests.scratch import shortDirectory
from tests.tapoptions import parse
from tests.tlssupport import makeCertificate
from tests.twistdrun import SOURCE, TWISTD

SECONDS = 10
"""How long one parse may take before the test calls it hung."""

ENDLESS = "{zero}"
"""How a row names C{/dev/zero}."""

MEMORY = 1 << 31
"""The address space, in bytes, of a process parsing such a row."""


class Hung(Exception):
    """
    A parse did not end within L{SECONDS}.
    """


def _hung(number, frame):
    raise Hung()


def writeFile(path, data):
    """
    @param path: a file to create.
    @param data: its content, C{bytes}.
    @return: C{path}.
    """
    with open(path, "wb") as f:
        f.write(data)
    return path


def makeFiles(directory):
    """
    Make the files the rows name.

    @param directory: an empty scratch directory.
    @return: a C{dict} from each name in L{tests.badoptions}' docstring to
        its path.
    """
    files = {"dir": os.path.join(directory, "dir"),
             "missing": os.path.join(directory, "missing", "nothing"),
             "fifo": os.path.join(directory, "fifo"),
             "zero": "/dev/zero",
             "file": writeFile(os.path.join(directory, "empty"), b"")}
    os.mkdir(files["dir"])
    os.mkfifo(files["fifo"])
    files["cert"], files["key"], _ = makeCertificate(directory)
    _, files["otherKey"], _ = makeCertificate(directory, "other")
    _, _, files["expired"] = makeCertificate(directory, "old", expired=True)
    with open(files["cert"], "rb") as f:
        certificate = f.read()
    with open(os.path.join(directory, "other.crt"), "rb") as f:
        # CA certificates, none of them the key's.
        files["bundle"] = writeFile(os.path.join(directory, "bundle.crt"),
                                    f.read() + certificate)
    files["der"] = writeFile(
        os.path.join(directory, "server.der"),
        x509.load_pem_x509_certificate(certificate).public_bytes(
            serialization.Encoding.DER))
    with open(files["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    files["encrypted"] = writeFile(
        os.path.join(directory, "encrypted.key"), key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret")))
    files["badPasswords"] = writeFile(
        os.path.join(directory, "passwd"), b"alice:pw\nno colon here\n")
    files["badUsers"] = writeFile(
        os.path.join(directory, "users.toml"), b"[users.alice\n")
    files["huge"] = os.path.join(directory, "huge")
    with open(files["huge"], "wb") as f:
        # Sparse: one byte past the cap, taking no room on the disk.
        f.truncate(MAX_FILE_BYTES + 1)
    return files


def commandLine(row, files):
    """
    @param row: C{(arguments, fragment)} of L{tests.badoptions.ROWS}.
    @param files: what L{makeFiles} returned.
    @return: the row's arguments, the files' paths in them.
    """
    return [argument.format(**files) for argument in row[0]]


class InProcessTests(unittest.TestCase):
    """
    Each row parsed by L{ftpkit.deploy.tap.Options}.
    """

    def setUp(self):
        self.files = makeFiles(shortDirectory(self))
        self.addCleanup(signal.signal, signal.SIGALRM,
                        signal.signal(signal.SIGALRM, _hung))
        self.addCleanup(signal.setitimer, signal.ITIMER_REAL, 0)

    def refused(self, arguments):
        """
        @param arguments: a command line.
        @return: the message of the usage error parsing it gave, or a
            text saying what else happened.
        """
        signal.setitimer(signal.ITIMER_REAL, SECONDS)
        try:
            parse(*arguments)
        except usage.UsageError as e:
            return str(e)
        except Hung:
            return f"no answer within {SECONDS} seconds"
        except BaseException as e:  # noqa: BLE001 (reported as the failure)
            return f"{type(e).__name__}: {e}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return "accepted"

    def test_everyRow(self):
        """
        Every row is refused, in one line starting with its fragment; but
        those naming C{/dev/zero}, which a parse reading it would read
        until memory runs out, each in a process of bounded memory
        (L{ProcessTests.test_endlessFile}).
        """
        wrong = []
        for row in ROWS:
            if ENDLESS in " ".join(row[0]):
                continue
            arguments = commandLine(row, self.files)
            message = self.refused(arguments)
            if not message.startswith(row[1]) or "\n" in message:
                wrong.append(f"{arguments!r}: {message!r}")
        self.assertEqual(wrong, [])

    def test_fragmentsNameOptions(self):
        """
        Each row's fragment names an option it was given, or is the
        parser's own message naming one.
        """
        for arguments, fragment in ROWS:
            given = [argument.partition("=")[0] for argument in arguments
                     if argument.startswith("--")]
            named = fragment.partition(":")[0]
            self.assertTrue(named in given or any(
                option in fragment or option[2:] in fragment
                for option in given) or "argument" in fragment,
                (arguments, fragment))


PROCESS_ROWS = [
    (["--workers", "0"], "--workers: must be a positive integer"),
    (["--workers", str(2 ** 64)], "--workers: at most "),
    (["--max-connections", NOT_UTF8], "--max-connections: must be"),
    (["--tls-cert", "{fifo}"], "--tls-cert: "),
    (["--tls-cert", "{zero}"], "--tls-cert: "),
    (["--tls-cert", "{cert}", "--tls-key", "{encrypted}"], "--tls-key: "),
    (["--listen", "ssl:0:privateKey={fifo}"], "--listen: "),
    (["--listen", "unix:{dir}/s:mode=77777777777"], "--listen: bad "),
    (["--listen", f"tcp:0:backlog={2 ** 64}"], "--listen: bad "),
    (["--listen", "stdio:"], "--listen: bad endpoint 'stdio:': stdio: "
     "listens on no socket"),
    (["--xferlog", "{fifo}"], "--xferlog: "),
    (["--auth", "file:{badPasswords}"], "--auth: "),
    (["--workers", "2", "--passive-ports", "0-0"], "--passive-ports: "),
    (["--workers", "2", "--metrics", "tcp:99999"], "--metrics: bad "),
    (["--workers", "2", "--listen", "unix:{dir}/s"], "--workers: "),
    (["--max-connections", "\u0665"], "--max-connections: must be"),
    (["--listen", "tcp:\u0662\u0661\u0662\u0661"], "--listen: bad "),
    (["--idle-timeout", "1e3"], "--idle-timeout: must be"),
    (["--max-upload-size", " 5M"], "--max-upload-size: must be"),
    (["--no-listing-cache", "--listing-cache", "64M"],
     "--no-listing-cache: contradicts --listing-cache"),
    (["--realm", "fsspec:sftp://u@127.0.0.1/x?port=99999"],
     "--realm: sftp:// option port='99999': must be a port from 1 to 65535"),
    (["--workers", "2", "--realm", "fsspec:s3://b?max_concurrency=0"],
     "--realm: s3:// option max_concurrency='0': must be a whole number"),
    (["--listen", "unix:s:lockfile=2"], "--listen: bad endpoint "
     "'unix:s:lockfile=2': lockfile '2' must be 1/0, true/false"),
]
"""Rows of L{tests.badoptions} (or like them) run through real
processes: those that could hang a start, and each process mode."""


class ProcessTests(unittest.TestCase):
    """
    Rows run by C{twistd -n ftpkit} and C{python -m ftpkit}.
    """

    timeout = 300

    def check(self, command, name, rows=PROCESS_ROWS):
        """
        Run C{rows} through C{command}, each in a process whose address
        space is at most L{MEMORY}.

        @param command: the command's first arguments (before ftpkit's).
        @param name: what the error line starts with.
        @param rows: rows as L{tests.badoptions.ROWS}'s.
        """
        directory = shortDirectory(self)
        files = makeFiles(directory)
        pidFile = os.path.join(directory, "twistd.pid")
        wrong = []
        for row in rows:
            arguments = commandLine(row, files)
            try:
                done = subprocess.run(
                    [*[part.format(pidFile=pidFile) for part in command],
                     "--listen", "tcp:0:interface=127.0.0.1",
                     "--root", directory, *arguments],
                    capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                    env=dict(os.environ, PYTHONPATH=SOURCE),
                    preexec_fn=boundedMemory)
            except subprocess.TimeoutExpired:
                wrong.append(f"{arguments!r}: still running after 30 s")
                continue
            stderr = done.stderr.decode("utf-8", "replace")
            left = os.listdir(files["dir"])
            if (done.returncode != 1 or done.stdout
                    or not stderr.startswith(f"{name}: {row[1]}")
                    or stderr.count("\n") != 1 or os.path.exists(pidFile)
                    or left):
                wrong.append(f"{arguments!r}: status {done.returncode}, "
                             f"{stderr!r}, pid file "
                             f"{os.path.exists(pidFile)}, left {left}")
        self.assertEqual(wrong, [])

    def test_pythonM(self):
        self.check([sys.executable, "-m", "ftpkit"], "ftpkit")

    def test_twistd(self):
        self.check([sys.executable, "-c", TWISTD, "-n",
                    "--pidfile={pidFile}", "ftpkit"], "twistd ftpkit")

    def test_endlessFile(self):
        """
        The rows naming C{/dev/zero}, by C{python -m ftpkit}: a file of
        the configuration that never ends was read until memory ran out.
        """
        self.check([sys.executable, "-m", "ftpkit"], "ftpkit",
                   [row for row in ROWS if ENDLESS in " ".join(row[0])])


def boundedMemory():
    """
    In a child process: limit its address space to L{MEMORY}.
    """
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
