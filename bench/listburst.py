"""
C{python -m bench.listburst}: many sessions listing one large directory
the listings' cache does not hold yet, all at the same moment (the
thirty-fifth attack sweep's burst, C{docs/benchmark-investigations.rst},
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

C{--stalled-command} is what the stalled sessions send instead of
C{LIST} (C{"LIST -t many"}: a listing read whole and held until taken);
then the memory is also read once each has had its C{150} and the
readers are done (C{rss held}: what the unread listings hold).
C{--long-names} gives the files names of 246 bytes.
C{--workers N} starts the server with that many worker processes; its
memory and CPU are then those of the acceptor and its workers together
(resident sizes summed: compare the growth, not the sizes).
"""

import argparse
import ftplib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench.cpuperop import makeDirectory
from bench.procstat import cpuSeconds, memoryKiB, processTree
from ftpkit.loopback import quietPort


def _start(checkout, root, cache=None, workers=1):
    """
    Start a server of a checkout and wait for its greeting.

    @param checkout: the checkout's directory.
    @param root: the directory it serves.
    @param cache: its C{--listing-cache}, or C{None} for its default.
    @param workers: its C{--workers}.
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
         *(["--listing-cache", cache] if cache else []),
         *(["--workers", str(workers)] if workers > 1 else [])],
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


def _stop(server):
    """
    Stop a server and every process it started (its workers).

    @param server: its C{subprocess.Popen}.
    """
    pids = processTree(server.pid)
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.wait()


def _list(client, command, start, stall, done, readStalled=False,
          held=None):
    """
    Send a listing command once C{start} is set, and read its data
    connection to the end (or, to C{stall}, once C{done} is set: then
    close it, or with C{readStalled} read it to the end).

    @param held: released once a stalled session has its C{150}, or
        C{None}.
    @return: the bytes read.
    """
    start.wait()
    data = client.transfercmd(command)
    if stall and held is not None:
        held.release()
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


def _memory(server):
    """
    @param server: a server's C{subprocess.Popen}.
    @return: the resident KiB of it and the processes it started.
    """
    return memoryKiB(processTree(server.pid), False)


def _cpu(server):
    """
    @param server: a server's C{subprocess.Popen}.
    @return: the CPU seconds of it and the processes it started.
    """
    return cpuSeconds(processTree(server.pid))


def burst(checkout, root, sessions, stalled, cache=None, readStalled=False,
          stalledCommand=None, workers=1):
    """
    One run: see the module's docstring.

    @return: a C{dict} of the figures.
    """
    server, port = _start(checkout, root, cache, workers)
    try:
        clients = [_session(port) for _ in range(sessions + stalled)]
        prober = _session(port)
        time.sleep(0.5)
        before = _memory(server)
        cpu = _cpu(server)
        start, done, listed = threading.Event(), threading.Event(), []
        held = threading.Semaphore(0) if stalledCommand else None
        peak = [before]
        threads = []
        for number, client in enumerate(clients):
            command = "MLSD many" if number % 2 else "LIST many"
            stall = number >= sessions
            if stall and stalledCommand:
                command = stalledCommand

            def run(client=client, command=command, stall=stall):
                listed.append(_list(client, command, start, stall, done,
                                    readStalled, held))

            threads.append(threading.Thread(target=run))
        latencies = []
        probe = threading.Thread(target=_noops,
                                 args=(prober, done, latencies))

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _memory(server))
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
        figures = {}
        if held is not None:
            for _ in range(stalled):
                held.acquire(timeout=300)
            # What the sorted listings' reads left settles.
            time.sleep(1)
            figures["rss held MB"] = _memory(server) / 1024
        done.set()
        for thread in threads[sessions:] + [probe, sampler]:
            thread.join()
        after = _memory(server)
        latencies.sort()
        return {"rss before MB": before / 1024, "rss peak MB": peak[0] / 1024,
                **figures, "rss after MB": after / 1024,
                "server cpu s": _cpu(server) - cpu,
                "burst s": seconds,
                "noop max ms": 1000 * latencies[-1],
                "noop p99 ms": 1000 * latencies[
                    int(0.99 * (len(latencies) - 1))],
                "listed MB": sum(listed) / 1e6}
    finally:
        _stop(server)


def lengthen(path):
    """
    Give the files of a directory names of 246 bytes (C{--long-names}),
    as the thirty-first attack sweep's directory had: an unread
    listing of them is some 3 MB, more than the kernel's buffers take.

    @param path: the directory.
    """
    for name in os.listdir(path):
        os.rename(os.path.join(path, name),
                  os.path.join(path, name + "-" + "x" * (245 - len(name))))


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
    parser.add_argument("--stalled-command", default=None)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--long-names", action="store_true")
    options = parser.parse_args(argv)
    base = tempfile.mkdtemp(prefix="listburst-", dir=options.tmp)
    makeDirectory(os.path.join(base, "many"), options.entries)
    if options.long_names:
        lengthen(os.path.join(base, "many"))
    results = {checkout: [] for checkout in options.checkout}
    try:
        for _ in range(options.rounds):
            for checkout in options.checkout:
                figures = burst(checkout, base, options.sessions,
                                options.stalled, options.listing_cache,
                                options.read_stalled,
                                options.stalled_command, options.workers)
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
