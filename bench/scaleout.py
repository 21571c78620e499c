"""
C{python -m bench.scaleout}: what a second ftpkit node buys behind HAProxy.

It starts, on loopback, two clusters laid out as C{docs/scale-out.rst}
shows (L{bench.balancer}): one HAProxy with one node, and one HAProxy with
two nodes, all serving one root. Then, interleaved (one node, two nodes,
one node, ...), it measures through each balancer:

  - logins per second: C{--clients} clients each connect, log in
    (C{USER}, C{PASS}, C{TYPE I}) and C{QUIT}, C{--logins} in all;
  - 16 KiB files per second: C{--clients} clients, logged in once, fetch
    C{--files} files over passive connections that go through the
    balancer too (each checked);
  - with each, the CPU milliseconds the nodes together, HAProxy and the
    client (this process) spent per login or file.

Each balancer gets a few untimed logins and files first.

It prints each figure's median and min-max, and the ratio of two nodes to
one, median and min-max over the rounds. Needs Debian's C{haproxy}
(without it, it says so and measures nothing). Like the rest of C{bench},
its numbers belong in C{docs/}, not in docstrings.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench import sessions
from bench.balancer import (
    ATTEMPTS,
    freeRange,
    haproxyConfig,
    haproxyInstalled,
    portsTaken,
    startHaproxy,
    waitForGreeting,
)
from bench.procstat import cpuSeconds
from bench.scenarios import TransferError
from bench.servers import REPO, ServerFailed, freePort, waitForListening
from bench.sessions import Session

USER = PASSWORD = "bench"

NODE_HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
"""The nodes' addresses (each cluster's balancer listens on 127.0.0.1, and
a node's passive ports are bound on both)."""

PASSIVE_PORTS = 200
"""Passive ports per node."""

SMALL = 16384
"""The small files' size."""

FIGURES = ("logins/s", "16 KiB files/s", "node CPU ms/login",
           "node CPU ms/file", "HAProxy CPU ms/login", "HAProxy CPU ms/file",
           "client CPU ms/login", "client CPU ms/file")

WARM_UP = 40
"""Logins and files through each balancer before the first round."""


class PortsTaken(Exception):
    """
    The balancer could not bind a port that was free a moment before.
    """


class Cluster:
    """
    ftpkit nodes and the HAProxy in front of them.

    @ivar name: C{"1 node"}, C{"2 nodes"}...
    @ivar port: the balancer's control port on 127.0.0.1.
    """

    def __init__(self, hosts, root, workdir):
        """
        Start the nodes, then the balancer (again on other ports, up to
        L{ATTEMPTS} times, when a port was taken meanwhile).

        @param hosts: one loopback address per node.
        @param root: the directory every node serves.
        @param workdir: a scratch directory for configuration and logs.
        @raise ServerFailed: when a part does not start.
        """
        self.name = f"{len(hosts)} node" + ("s" if len(hosts) > 1 else "")
        self._processes = []
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self._startAll(hosts, root, workdir)
                return
            except PortsTaken:
                self.stop()
                if attempt == ATTEMPTS:
                    raise ServerFailed("haproxy's ports were taken"
                                       f" {ATTEMPTS} times") from None
            except BaseException:
                self.stop()
                raise

    def _startAll(self, hosts, root, workdir):
        """
        Start the nodes on ports that were free, then the balancer.

        @raise PortsTaken: when the balancer could not bind its ports.
        """
        self._nodes = []
        self._balancer = None
        backends, ranges = [], []
        for host in hosts:
            port = freePort()
            low, high = freeRange(PASSIVE_PORTS, ("127.0.0.1", host))
            process = self._start(
                [sys.executable, "-m", "ftpkit",
                 "--listen", f"haproxy:tcp:{port}:interface={host}",
                 "--trusted-proxy", "127.0.0.1",
                 "--passive-ports", f"{low}-{high}", "--root", root,
                 "--auth", f"memory:{USER}:{PASSWORD}",
                 "--max-connections", "100000",
                 "--max-connections-per-ip", "100000",
                 "--idle-timeout", "3600"],
                os.path.join(workdir, f"node-{host}-{port}.log"))
            waitForListening(host, port, process, f"the node on {host}")
            self._nodes.append(process.pid)
            backends.append((host, port))
            ranges.append((low, high))
        self.port = freePort()
        config = os.path.join(workdir, f"haproxy-{self.port}.cfg")
        with open(config, "w") as f:
            f.write(haproxyConfig(self.port, backends, ranges))
        log = os.path.join(workdir, f"haproxy-{self.port}.log")
        balancer = self._start(None, log, config)
        self._balancer = balancer.pid
        if not waitForGreeting(self.port, balancer, probes=len(hosts)):
            with open(log, errors="replace") as f:
                text = f.read()
            if portsTaken(text):
                raise PortsTaken()
            raise ServerFailed("haproxy did not start:\n" + text)

    def _start(self, argv, logPath, haproxyConfigPath=None):
        """
        Start a node (C{argv}) or the balancer (C{haproxyConfigPath}).

        @return: the L{subprocess.Popen}.
        """
        with open(logPath, "wb") as log:
            if haproxyConfigPath is not None:
                process = startHaproxy(haproxyConfigPath, log)
            else:
                process = subprocess.Popen(
                    argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT)
        self._processes.append(process)
        return process

    def cpu(self):
        """
        @return: CPU seconds the nodes, the balancer and this (client)
            process used so far.
        """
        return (cpuSeconds(self._nodes), cpuSeconds([self._balancer]),
                time.process_time())

    def stop(self):
        """
        Stop the balancer and the nodes.
        """
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes = []


def logins(port, count, clients, cpu=lambda: (0.0, 0.0, 0.0)):
    """
    Log in and out C{count} times, C{clients} sessions at a time.

    @param port: the balancer's control port.
    @param count: how many logins.
    @param clients: how many sessions at a time.
    @param cpu: returns the CPU seconds the nodes, the balancer and the
        client used so far (L{Cluster.cpu}).
    @return: logins per second, and the nodes', the balancer's and the
        client's CPU milliseconds per login.
    """
    left = [count]

    def client():
        while left[0] > 0:
            left[0] -= 1
            session = Session()
            try:
                yield from session.connect(port, USER, PASSWORD)
                yield from session.quit()
            finally:
                session.close()

    before = cpu()
    start = time.perf_counter()
    sessions.run([client() for _ in range(min(clients, count))])
    elapsed = time.perf_counter() - start
    return (count / elapsed, *perOperation(before, cpu(), count))


def smallFiles(port, files, clients, cpu=lambda: (0.0, 0.0, 0.0)):
    """
    Fetch every small file once, C{clients} sessions logged in before the
    clock starts, and check each.

    @param port: the balancer's control port.
    @param files: C{(name, content)} pairs.
    @param clients: how many sessions fetch at a time.
    @param cpu: as for L{logins}.
    @return: files per second, and the nodes', the balancer's and the
        client's CPU milliseconds per file.
    @raise TransferError: when a file arrived wrong.
    """
    queue = list(reversed(files))
    logged = [Session() for _ in range(min(clients, len(files)))]

    def fetch(session):
        while queue:
            name, content = queue.pop()
            got = yield from session.retr(name)
            if got != content:
                raise TransferError(
                    f"{name}: {len(got)} bytes, expected {len(content)}")

    try:
        sessions.run([s.connect(port, USER, PASSWORD) for s in logged])
        before = cpu()
        start = time.perf_counter()
        sessions.run([fetch(s) for s in logged])
        elapsed = time.perf_counter() - start
        after = cpu()
        sessions.run([s.quit() for s in logged])
    finally:
        for session in logged:
            session.close()
    return (len(files) / elapsed, *perOperation(before, after, len(files)))


def perOperation(before, after, count):
    """
    @param before: CPU seconds of each part (L{Cluster.cpu}) before.
    @param after: the same after.
    @param count: the operations done in between.
    @return: each part's CPU milliseconds per operation.
    """
    return tuple((b - a) * 1000 / count for a, b in zip(before, after))


def writeFiles(root, count):
    """
    Write the small files under C{root/small}.

    @param root: the directory the nodes serve.
    @param count: how many files.
    @return: C{(name, content)} pairs.
    """
    os.makedirs(os.path.join(root, "small"))
    files = []
    for i in range(count):
        name = f"small/f{i:05d}"
        content = os.urandom(SMALL)
        with open(os.path.join(root, name), "wb") as f:
            f.write(content)
        files.append((name, content))
    return files


def run(args, workdir, progress=lambda line: None):
    """
    Start both clusters and measure them, interleaved.

    @param args: the parsed options (L{parseArguments}).
    @param workdir: a scratch directory.
    @param progress: called with a line of progress.
    @return: C{{figure: {cluster name: [per round]}}}.
    """
    root = os.path.join(workdir, "root")
    files = writeFiles(root, args.files)
    clusters = []
    try:
        for hosts in (NODE_HOSTS[:1], NODE_HOSTS[1:3]):
            clusters.append(Cluster(hosts, root, workdir))
        for cluster in clusters:
            # Untimed: each node's first sessions import and set up what
            # the later ones find ready.
            logins(cluster.port, WARM_UP, 2)
            smallFiles(cluster.port, files[:WARM_UP], 2)
        figures = {figure: {c.name: [] for c in clusters}
                   for figure in FIGURES}
        for number in range(1, args.repeat + 1):
            for cluster in clusters:
                for kind, measured in (
                        ("login", logins(cluster.port, args.logins,
                                         args.clients, cluster.cpu)),
                        ("file", smallFiles(cluster.port, files,
                                            args.clients, cluster.cpu))):
                    rate, nodes, balancer, client = measured
                    for figure, value in (
                            (FIGURES[0 if kind == "login" else 1], rate),
                            (f"node CPU ms/{kind}", nodes),
                            (f"HAProxy CPU ms/{kind}", balancer),
                            (f"client CPU ms/{kind}", client)):
                        figures[figure][cluster.name].append(value)
                progress(f"round {number}, {cluster.name}: " + ", ".join(
                    f"{_number(values[cluster.name][-1])} {figure}"
                    for figure, values in figures.items()))
    finally:
        for cluster in clusters:
            cluster.stop()
    return figures


def report(figures):
    """
    @param figures: what L{run} returned.
    @return: the lines to print: a heading, then one per figure (rates,
        then CPU milliseconds per operation) with each
        cluster's median and min-max and the ratio of the last cluster to
        the first (median and min-max of the rounds' ratios).
    """
    names = list(next(iter(figures.values())))
    first, last = names[0], names[-1]
    lines = ["".join(f"{name:>22}" for name in ["", *names])
             + f"{last + ' / ' + first:>26}"]
    for figure, values in figures.items():
        cells = [f"{figure:>22}"]
        for name in names:
            samples = values[name]
            cells.append(f"{_number(statistics.median(samples))} "
                         f"({_number(min(samples))}-{_number(max(samples))})"
                         .rjust(22))
        ratios = [b / a if a else float("nan")
                  for a, b in zip(values[first], values[last])]
        cells.append(f"{statistics.median(ratios):.2f}x "
                     f"({min(ratios):.2f}-{max(ratios):.2f})".rjust(26))
        lines.append("".join(cells))
    return lines


def _number(value):
    """
    @return: C{value} as text: whole above 100, else three digits.
    """
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def parseArguments(argv):
    """
    @param argv: the command line without the program name.
    @return: an L{argparse.Namespace}.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few sessions and files, one round (a smoke"
                        " run)")
    parser.add_argument("--repeat", type=int,
                        help="interleaved rounds [default: 5, quick 1]")
    parser.add_argument("--logins", type=int,
                        help="logins per sample [default: 2000, quick 20]")
    parser.add_argument("--files", type=int,
                        help="16 KiB files per sample [default: 2000,"
                        " quick 20]")
    parser.add_argument("--clients", type=int,
                        help="concurrent clients [default: 50, quick 4]")
    args = parser.parse_args(argv)
    for name, full, quick in (("repeat", 5, 1), ("logins", 2000, 20),
                              ("files", 2000, 20), ("clients", 50, 4)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv=None):
    """
    Parse the options, measure, print.

    @param argv: the arguments, or C{None} for C{sys.argv[1:]}.
    @return: the exit status.
    """
    args = parseArguments(sys.argv[1:] if argv is None else argv)
    if not haproxyInstalled():
        print("haproxy is not installed (apt-get install haproxy):"
              " nothing measured", file=sys.stderr)
        return 0
    workdir = tempfile.mkdtemp(prefix="ftpkit-bench-scaleout-")
    try:
        figures = run(args, workdir,
                      lambda line: print(line, file=sys.stderr, flush=True))
        for line in report(figures):
            print(line)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
