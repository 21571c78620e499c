"""
C{python -m bench.listburst}: many sessions listing one large directory
the listings' cache does not hold yet, all at the same moment (the
thirty-fifth attack sweep's burst, C{docs/benchmark.rst},
C{bench-listshare-36}).

For each round and each C{--checkout} in turn, a server of that checkout
(C{python -m ftpkit}, one process, the listings' cache on) is started on
loopback serving a directory of C{--entries} files (made once, as
C{bench.cpuperop} makes its own), so the cache is empty; C{--sessions}
clients log in, then all send C{LIST} (half of them C{MLSD}) of it at
once and read their data connections to the end (C{--stalled} of them
send C{LIST} and read nothing until the others are done; with
C{--read-stalled}, they then read theirs to the end). The server keeps
C{--listing-cache} bytes of listings (its default when not given).
Meanwhile one
more session sends C{NOOP} every 10 ms. Printed per run: the server's
resident memory before the burst, at its highest and after; its CPU
seconds; the burst's seconds; the slowest and the 99th percentile
C{NOOP} replies.
"""

import argparse
import ftplib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench.cpuperop import makeDirectory
from bench.procstat import cpuSeconds, memoryKiB
from ftpkit.loopback import quietPort


def _start(checkout, root, cache=None):
    """
    Start a server of a checkout and wait for its greeting.

    @param checkout: the checkout's directory.
    @param root: the directory it serves.
    @param cache: its C{--listing-cache}, or C{None} for its default.
    @return: the C{subprocess.Popen} and its port.
    """
    port = quietPort()
    if port is None:
        raise RuntimeError("no free port")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
    server = subprocess.Popen(
        [sys.executable, "-m", "ftpkit", "--listen",
         f"tcp:{port}:interface=127.0.0.1", "--root", root,
         "--auth", "anonymous",
         *(["--listing-cache", cache] if cache else [])],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = ftplib.FTP()
        try:
            probe.connect("127.0.0.1", port, timeout=5)
        except OSError:
            time.sleep(0.1)
            continue
        probe.close()
        return server, port
    server.kill()
    raise RuntimeError(f"{checkout}: no server on {port}")


def _session(port):
    """
    @return: an C{ftplib.FTP} logged in anonymously.
    """
    client = ftplib.FTP()
    client.connect("127.0.0.1", port, timeout=300)
    client.login()
    return client


def _list(client, command, start, stall, done, readStalled=False):
    """
    Send a listing command once C{start} is set, and read its data
    connection to the end (or, to C{stall}, once C{done} is set: then
    close it, or with C{readStalled} read it to the end).

    @return: the bytes read.
    """
    start.wait()
    data = client.transfercmd(command)
    if stall:
        done.wait()
        if not readStalled:
            data.close()
            try:
                client.voidresp()
            except ftplib.Error:
                pass
            return 0
    total = 0
    while True:
        chunk = data.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    data.close()
    client.voidresp()
    return total


def _noops(client, done, latencies):
    """
    Send C{NOOP} every 10 ms until C{done} is set, noting each reply's
    seconds.
    """
    while not done.is_set():
        sent = time.monotonic()
        client.voidcmd("NOOP")
        latencies.append(time.monotonic() - sent)
        time.sleep(0.01)


def burst(checkout, root, sessions, stalled, cache=None, readStalled=False):
    """
    One run: see the module's docstring.

    @return: a C{dict} of the figures.
    """
    server, port = _start(checkout, root, cache)
    try:
        clients = [_session(port) for _ in range(sessions + stalled)]
        prober = _session(port)
        time.sleep(0.5)
        before = memoryKiB([server.pid], False)
        cpu = cpuSeconds([server.pid])
        start, done, listed = threading.Event(), threading.Event(), []
        peak = [before]
        threads = []
        for number, client in enumerate(clients):
            command = "MLSD many" if number % 2 else "LIST many"
            stall = number >= sessions

            def run(client=client, command=command, stall=stall):
                listed.append(_list(client, command, start, stall, done,
                                    readStalled))

            threads.append(threading.Thread(target=run))
        latencies = []
        probe = threading.Thread(target=_noops,
                                 args=(prober, done, latencies))

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], memoryKiB([server.pid], False))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        for thread in threads:
            thread.start()
        probe.start()
        sampler.start()
        began = time.monotonic()
        start.set()
        for thread in threads[:sessions]:
            thread.join()
        seconds = time.monotonic() - began
        done.set()
        for thread in threads[sessions:] + [probe, sampler]:
            thread.join()
        after = memoryKiB([server.pid], False)
        latencies.sort()
        return {"rss before MB": before / 1024, "rss peak MB": peak[0] / 1024,
                "rss after MB": after / 1024,
                "server cpu s": cpuSeconds([server.pid]) - cpu,
                "burst s": seconds,
                "noop max ms": 1000 * latencies[-1],
                "noop p99 ms": 1000 * latencies[
                    int(0.99 * (len(latencies) - 1))],
                "listed MB": sum(listed) / 1e6}
    finally:
        server.kill()
        server.wait()


def main(argv=None):
    """
    Run the rounds and print each run's figures, then each checkout's
    medians.

    @param argv: the arguments, or C{None} for C{sys.argv}'s.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.listburst")
    parser.add_argument("--checkout", action="append", required=True)
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--stalled", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--listing-cache", default=None)
    parser.add_argument("--read-stalled", action="store_true")
    parser.add_argument("--tmp", default=None)
    options = parser.parse_args(argv)
    base = tempfile.mkdtemp(prefix="listburst-", dir=options.tmp)
    makeDirectory(os.path.join(base, "many"), options.entries)
    results = {checkout: [] for checkout in options.checkout}
    try:
        for _ in range(options.rounds):
            for checkout in options.checkout:
                figures = burst(checkout, base, options.sessions,
                                options.stalled, options.listing_cache,
                                options.read_stalled)
                results[checkout].append(figures)
                print(checkout, " ".join(
                    f"{name}={value:.1f}" for name, value in figures.items()),
                    flush=True)
    finally:
        shutil.rmtree(base)
    for checkout, runs in results.items():
        print("median", checkout, " ".join(
            f"{name}={statistics.median(run[name] for run in runs):.1f}"
            for name in runs[0]))


if __name__ == "__main__":
    main()
