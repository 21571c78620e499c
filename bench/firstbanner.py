"""
C{python -m bench.firstbanner}: how long a server takes from its start to
its first C{220}, on an empty root.

Each server is started as C{python -m bench} starts it
(L{bench.servers}), and a client connects every 5 ms until one gets the
greeting; the time from the start of the process to that greeting is
one round's figure. Rounds of the servers are interleaved, after one
start of each that is not counted (the page cache, and bytecode where
Python writes it: with C{PYTHONDONTWRITEBYTECODE} set, a checkout's
modules that were never compiled are compiled at every start). The
median and min-max of each server, and its median's ratio to
pyftpdlib's, are printed. C{--baseline DIR} (repeatable) adds ftpkit
from another checkout; C{--workers} adds ftpkit with C{--workers 2}
(and each baseline likewise).
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench.servers import (
    Ftpkit,
    FtpkitTwoWorkers,
    Pyftpdlib,
    baselineServers,
    freePort,
)

POLL_INTERVAL = 0.005
"""Seconds between two connection attempts while the server starts."""


def firstBanner(server, timeout=30.0):
    """
    Start C{server}, wait for its first greeting, stop it.

    @param server: a L{bench.servers.Server}.
    @param timeout: the most seconds to wait.
    @return: the seconds from just before the process started to the
        first C{220} read.
    @raise RuntimeError: when it exits or does not greet in time.
    """
    port = freePort()
    started = time.perf_counter()
    process = subprocess.Popen(
        server.command(port, False), cwd=server.directory,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.perf_counter() - started < timeout:
            try:
                connection = socket.create_connection(("127.0.0.1", port),
                                                      timeout=timeout)
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{server.name} exited with "
                                       f"{process.returncode}") from None
                time.sleep(POLL_INTERVAL)
                continue
            with connection:
                if connection.recv(4).startswith(b"220"):
                    return time.perf_counter() - started
        raise RuntimeError(f"{server.name}: no 220 within {timeout:g} s")
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        process.wait()


def summary(name, times, reference=None):
    """
    @param name: the server's name.
    @param times: its rounds' seconds.
    @param reference: pyftpdlib's median, or C{None}.
    @return: a line: the name, the median and min-max in seconds, and the
        median's ratio to C{reference}.
    """
    median = statistics.median(times)
    ratio = f"  {median / reference:.2f}x" if reference else ""
    return (f"{name:20s} {median:.3f} ({min(times):.3f}-{max(times):.3f})"
            f"{ratio}")


def main(argv=None):
    """
    Measure, and print one line per server.

    @param argv: the arguments (C{sys.argv[1:]} by default).
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench.firstbanner",
        description="Seconds from a server's start to its first 220.")
    parser.add_argument("--rounds", type=int, default=10,
                        help="rounds of every server [default: 10]")
    parser.add_argument("--workers", action="store_true",
                        help="also ftpkit with --workers 2")
    parser.add_argument("--baseline", metavar="DIR", action="append",
                        default=[], help="also ftpkit from the checkout DIR"
                        " (repeatable)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    kinds = [Pyftpdlib, Ftpkit]
    for kind in baselineServers(
            [os.path.abspath(d) for d in args.baseline]).values():
        if not kind.installed():
            parser.error(f"{kind.directory} is no ftpkit checkout")
        kinds.append(kind)
    if args.workers:
        kinds += [type(kind.__name__ + "TwoWorkers",
                       (FtpkitTwoWorkers, kind),
                       {"name": kind.name + "-w2"})
                  for kind in kinds[1:]]
    workdir = tempfile.mkdtemp(prefix="ftpkit-firstbanner-")
    try:
        root = os.path.join(workdir, "root")
        os.mkdir(root)
        servers = [kind(root, workdir, None) for kind in kinds]
        for server in servers:
            firstBanner(server)
        times = {server.name: [] for server in servers}
        for _ in range(args.rounds):
            for server in servers:
                times[server.name].append(firstBanner(server))
    finally:
        shutil.rmtree(workdir)
    reference = statistics.median(times[Pyftpdlib.name])
    for name, seconds in times.items():
        print(summary(name, seconds, reference))


if __name__ == "__main__":
    main(sys.argv[1:])
