"""
C{python -m bench.objectstore}: what serving S3 through ftpkit costs.

It starts moto's S3 server and an ftpkit server (C{--realm fsspec:s3://})
on loopback, then, interleaved, moves one object of C{--size} MiB:

  - RETR and STOR through ftpkit (C{bench.client.Client});
  - the same download and upload straight from Python with s3fs, which is
    what ftpkit itself does behind the FTP session: with s3fs's defaults
    (what a program using it gets), and a download fetching as much per
    request as ftpkit does (its read block, smaller than s3fs's default
    to bound a download's memory).

It prints each figure's median MB/s and min-max, and ftpkit's ratios to
the direct copies (1.0: ftpkit adds nothing). Needs C{pip install -e '.[dev]'}
(moto's server, s3fs). Like the rest of C{bench}, run it on a quiet
machine; the numbers belong in C{docs/benchmark.rst}, not in docstrings.
"""

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench.client import Client
from bench.servers import freePort, waitForListening
from ftpkit.shells.fsspecbackends import READ_BLOCK

MiB = 1 << 20

_KEY = _SECRET = "bench"

_SAME_BLOCKS = "GET direct, same blocks"
"""The figure of a direct download fetching what ftpkit fetches per
request (L{ftpkit.shells.fsspecbackends.READ_BLOCK}), where C{GET direct}
uses s3fs's default (50 MiB)."""


def announcedPort(logPath, process, timeout=60.0):
    """
    Wait until an ftpkit started on port 0 logs the port it took: a port
    picked in advance may be taken by another program meanwhile, whose
    answers would then be read as ftpkit's.

    @param logPath: the file ftpkit writes its output to.
    @param process: its L{subprocess.Popen}.
    @return: the port.
    @raise RuntimeError: when it exited or C{timeout} passed first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(logPath, "rb") as log:
            output = log.read().decode("utf-8", "replace")
        match = re.search(r"ftpkit listening on \S+ port (\d+)", output)
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise RuntimeError(f"ftpkit exited with {process.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"ftpkit did not listen within {timeout:.0f} s")


class Servers:
    """
    moto's S3 server and an ftpkit serving a bucket of it.

    @ivar endpoint: moto's URL.
    @ivar bucket: the bucket.
    @ivar ftpPort: ftpkit's port.
    @ivar fs: an s3fs filesystem on moto, for the direct copies.
    """

    def __init__(self, workdir):
        """
        Start both servers.

        @param workdir: a scratch directory.
        """
        import s3fs

        self._processes = []
        env = dict(os.environ, AWS_ACCESS_KEY_ID=_KEY, AWS_SECRET_ACCESS_KEY=_SECRET)
        motoPort = freePort()
        self._start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                     "-p", str(motoPort)], env, motoPort, "moto", workdir)
        self.endpoint = f"http://127.0.0.1:{motoPort}"
        self.fs = s3fs.S3FileSystem(key=_KEY, secret=_SECRET,
                                    endpoint_url=self.endpoint,
                                    skip_instance_cache=True)
        self.bucket = "bench"
        self.fs.mkdir(self.bucket)
        config = os.path.join(workdir, "s3.toml")
        with open(config, "w") as f:
            f.write(f'[options]\nkey = "{_KEY}"\nsecret = "{_SECRET}"\n')
        process, logPath = self._start(
            [sys.executable, "-m", "ftpkit", "--listen",
             "tcp:0:interface=127.0.0.1", "--realm",
             f"fsspec:s3://{self.bucket}?config={config}"
             f"&endpoint_url={self.endpoint}",
             "--auth", "memory:bench:bench"],
            env, None, "ftpkit", workdir)
        self.ftpPort = announcedPort(logPath, process)

    def _start(self, argv, env, port, what, workdir):
        """
        Start a server, waiting until C{port} accepts connections, if given.

        @return: its L{subprocess.Popen} and the path of its output.
        """
        logPath = os.path.join(workdir, what + ".log")
        log = open(logPath, "wb")
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
        self._processes.append((process, log))
        if port is not None:
            waitForListening("127.0.0.1", port, process, what)
        return process, logPath

    def stop(self):
        """
        Stop both servers.
        """
        for process, log in reversed(self._processes):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def ftpStor(servers, source, size):
    """
    Upload C{source} through ftpkit as C{ftp.bin}.

    @return: the bytes moved.
    """
    client = Client(servers.ftpPort, "bench", "bench")
    try:
        with open(source, "rb") as f:
            return client.stor("ftp.bin", f, size)
    finally:
        client.quit()


def ftpRetr(servers, digest):
    """
    Download C{ftp.bin} through ftpkit, checking its hash.

    @return: the bytes moved.
    """
    client = Client(servers.ftpPort, "bench", "bench")
    try:
        hasher = hashlib.sha256()
        moved = client.retr("ftp.bin", hasher)
    finally:
        client.quit()
    if hasher.hexdigest() != digest:
        raise RuntimeError("RETR through ftpkit: content differs")
    return moved


def directPut(servers, source, size):
    """
    Upload C{source} straight to S3 with s3fs, as C{direct.bin}.

    @return: the bytes moved.
    """
    servers.fs.put_file(source, f"{servers.bucket}/direct.bin")
    return size


def directGet(servers, digest, blockSize=None):
    """
    Download C{direct.bin} straight from S3 with s3fs, checking its hash.

    @param servers: the running servers (their S3 endpoint).
    @param digest: the SHA-256 digest C{direct.bin} must have.
    @param blockSize: the bytes s3fs fetches per request, or C{None} for
        its own default (what a program using it gets).
    @return: the bytes moved.
    """
    hasher = hashlib.sha256()
    moved = 0
    options = {} if blockSize is None else {"block_size": blockSize}
    with servers.fs.open(f"{servers.bucket}/direct.bin", "rb", **options) as f:
        while True:
            chunk = f.read(MiB)
            if not chunk:
                break
            hasher.update(chunk)
            moved += len(chunk)
    if hasher.hexdigest() != digest:
        raise RuntimeError("direct GET: content differs")
    return moved


def timed(transfer, size):
    """
    @return: MB/s of C{transfer()}, which must move C{size} bytes.
    """
    start = time.perf_counter()
    moved = transfer()
    elapsed = time.perf_counter() - start
    if moved != size:
        raise RuntimeError(f"moved {moved} bytes of {size}")
    return size / elapsed / 1e6


def run(size, repeat, workdir):
    """
    Measure, interleaved.

    @param size: the object's size in bytes.
    @param repeat: rounds.
    @param workdir: a scratch directory.
    @return: a C{dict} of figure name to its MB/s per round.
    """
    source = os.path.join(workdir, "object.bin")
    with open(source, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
        f.write(os.urandom(size % MiB))
    with open(source, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    servers = Servers(workdir)
    figures = {"STOR via ftpkit": [], "PUT direct": [],
               "RETR via ftpkit": [], "GET direct": [], _SAME_BLOCKS: []}
    try:
        for _ in range(repeat):
            figures["STOR via ftpkit"].append(
                timed(lambda: ftpStor(servers, source, size), size))
            figures["PUT direct"].append(
                timed(lambda: directPut(servers, source, size), size))
            figures["RETR via ftpkit"].append(
                timed(lambda: ftpRetr(servers, digest), size))
            figures["GET direct"].append(
                timed(lambda: directGet(servers, digest), size))
            figures[_SAME_BLOCKS].append(
                timed(lambda: directGet(servers, digest, READ_BLOCK), size))
    finally:
        servers.stop()
    return figures


def report(figures):
    """
    @param figures: what L{run} returned.
    @return: the lines to print: each figure's median and min-max, and
        ftpkit's ratios to the direct copies.
    """
    medians = {name: statistics.median(values) for name, values in figures.items()}
    lines = [f"{name:24} {medians[name]:8.1f} MB/s  ({min(values):.1f}-"
             f"{max(values):.1f})" for name, values in figures.items()]
    for ours, theirs in (("STOR via ftpkit", "PUT direct"),
                         ("RETR via ftpkit", _SAME_BLOCKS),
                         ("RETR via ftpkit", "GET direct")):
        lines.append(f"{ours} / {theirs}: {medians[ours] / medians[theirs]:.2f}x")
    return lines


def main(argv=None):
    """
    Parse the options, measure, print.

    @return: the exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.objectstore",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256,
                        help="the object's size in MiB [default: 256]")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds [default: 3]")
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="ftpkit-bench-s3-")
    try:
        for line in report(run(args.size * MiB, args.repeat, workdir)):
            print(line)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
