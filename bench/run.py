"""
C{python -m bench}: start ftpkit, pyftpdlib and vsftpd on loopback and
measure them, interleaved, in one run. See C{docs/benchmark.rst}.
"""

import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback

from bench import scenarios as sc
from bench.certs import writeSelfSigned
from bench.client import ReplyError
from bench.procstat import timeWaitSockets
from bench.report import formatNumber, summarise, table
from bench.servers import (
    SERVERS,
    ServerFailed,
    baselineServers,
    twoWorkerBaselines,
)

TIME_WAIT_LIMIT = 12000
"""Above this many connections in TIME_WAIT a sample waits for them to
expire: a small-file sample leaves up to 6,000, and with the kernel's
28,000 ephemeral ports used up a server cannot bind a passive port."""

TIME_WAIT_PATIENCE = 90
"""Seconds to wait at most (Linux keeps TIME_WAIT for 60)."""


class Scenario:
    """
    One measurement as the runner sees it.

    @ivar name: its name for C{--only}.
    @ivar title: a template for its heading.
    @ivar run: the function in L{bench.scenarios}.
    @ivar tls: whether it needs a server with TLS configured.
    @ivar fresh: whether it needs a freshly started server (memory figures).
    """

    def __init__(self, name, title, run, tls=False, fresh=False):
        """
        @param name: see L{name}; and likewise the others.
        """
        self.name = name
        self.title = title
        self.run = run
        self.tls = tls
        self.fresh = fresh


SCENARIOS = [
    Scenario("retr", "RETR {big} MiB, plain", sc.retr),
    Scenario("stor", "STOR {big} MiB, plain", sc.stor),
    Scenario("retr-tls", "RETR {big} MiB, explicit FTPS (PROT P)",
             sc.retrTLS, tls=True),
    Scenario("stor-tls", "STOR {big} MiB, explicit FTPS (PROT P)",
             sc.storTLS, tls=True),
    Scenario("small", "{files} x 16 KiB RETR, {clients} clients,"
             " one login per client", sc.smallFiles),
    Scenario("small-login", "{files} x 16 KiB RETR, {clients} clients,"
             " one login per file", sc.smallFilesLoginEach),
    Scenario("small-stor", "{files} x 16 KiB STOR, {clients} clients,"
             " one login per client", sc.smallUploads),
    Scenario("idle", "{sessions} idle logged-in sessions", sc.idleSessions,
             fresh=True),
    Scenario("list", "LIST and MLSD of a {entries}-entry directory",
             sc.listings),
    Scenario("login-tls", "{sessions} explicit FTPS logins, 8 clients",
             sc.tlsLogins, tls=True),
    Scenario("mixed", "{clients} clients each: login, LIST, 10 RETR,"
             " 2 STOR, QUIT", sc.mixed),
    Scenario("slowread", "slow reader of RETR {big} MiB at 1 MiB/s for"
             " {slow} s", sc.slowReader, fresh=True),
]


def parseArguments(argv):
    """
    @param argv: the command line without the program name.
    @return: an L{argparse.Namespace}.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark ftpkit against other FTP servers on loopback.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a smoke run (1-2 minutes)")
    parser.add_argument("--servers",
                        default="ftpkit,pyftpdlib,vsftpd,proftpd,pure-ftpd",
                        help="comma-separated, of "
                        + ",".join(SERVERS) + " (default: %(default)s; a"
                        " server not installed is skipped; ftpkit-w2 is"
                        " ftpkit with --workers 2; pyftpdlib-info is"
                        " pyftpdlib logging as it does by default, a line"
                        " per connect, login, transfer and disconnect)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of every scenario (default: 3)")
    parser.add_argument("--only", default="",
                        help="comma-separated scenarios: "
                        + ",".join(s.name for s in SCENARIOS))
    parser.add_argument("--json", metavar="FILE",
                        help="write all samples and medians here")
    parser.add_argument("--big-mib", type=int,
                        help="size of the large file (default 1024, quick 64)")
    parser.add_argument("--files", type=int,
                        help="small files (default 2000, quick 200)")
    parser.add_argument("--clients", type=int, default=50,
                        help="concurrent small-file clients (default 50)")
    parser.add_argument("--sessions", type=int,
                        help="idle sessions (default 1000, quick 200)")
    parser.add_argument("--entries", type=int,
                        help="entries of the listed directory (default 10000,"
                        " quick 2000)")
    parser.add_argument("--slow-seconds", type=float,
                        help="slow reader duration (default 5, quick 2)")
    parser.add_argument("--baseline", metavar="DIR", action="append",
                        default=[],
                        help="also run ftpkit from the checkout DIR (as"
                        " ftpkit-base; a second as ftpkit-base2, and so on),"
                        " e.g. a worktree of the commit before a change;"
                        " with ftpkit-w2 among the servers, also with"
                        " --workers 2 (ftpkit-base-w2...); repeatable")
    parser.add_argument("--ftpkit-arg", action="append", default=[],
                        metavar="ARG", help="extra ftpkit argument, repeatable"
                        " (e.g. --ftpkit-arg=--workers=2)")
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, small in [("big_mib", 1024, 64), ("files", 2000, 200),
                              ("sessions", 1000, 200),
                              ("entries", 10000, 2000),
                              ("slow_seconds", 5, 2)]:
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    known = {s.name for s in SCENARIOS}
    args.only = [n for n in args.only.split(",") if n]
    args.servers = [n for n in args.servers.split(",") if n]
    for name in args.only:
        if name not in known:
            parser.error(f"unknown scenario {name!r}")
    for name in args.servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.baseline = [os.path.abspath(d) for d in args.baseline]
    for directory in args.baseline:
        if not os.path.isdir(os.path.join(directory, "ftpkit")):
            parser.error(f"--baseline: no ftpkit package in {directory}")
    args.baselines = baselineServers(args.baseline)
    for i, name in enumerate(args.baselines, 1):
        if name not in args.servers:
            args.servers.insert(i, name)
    if "ftpkit-w2" in args.servers:
        after = args.servers.index("ftpkit-w2")
        workers = twoWorkerBaselines(args.baselines)
        for place, name in enumerate(workers, after + 1):
            args.servers.insert(place, name)
        args.baselines.update(workers)
    return args


def makeWorkload(workdir, args):
    """
    Write the large file and the small files.

    @param workdir: the benchmark's temporary directory.
    @param args: the parsed options.
    @return: a L{bench.scenarios.Workload}.
    """
    data = os.path.join(workdir, "data")
    os.makedirs(os.path.join(data, "small"))
    big = os.path.join(data, "big.bin")
    hasher = hashlib.sha256()
    block = 16 * sc.MiB
    with open(big, "wb") as f:
        left = args.big_mib * sc.MiB
        while left:
            chunk = os.urandom(min(block, left))
            hasher.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    small = []
    for i in range(args.files):
        content = os.urandom(16384)
        name = f"small/f{i:05d}"
        with open(os.path.join(data, name), "wb") as f:
            f.write(content)
        small.append((name, content))
    many = os.path.join(data, "many")
    os.mkdir(many)
    for i in range(args.entries):
        open(os.path.join(many, f"entry-{i:05d}.txt"), "wb").close()
    return sc.Workload(big, hasher.hexdigest(), small, args.clients,
                       args.sessions, args.slow_seconds,
                       entries=args.entries)


def makeRoot(workdir, name, work):
    """
    A server's root: a hard link to the large file, files of its own in
    the listed directories (C{small/}, C{many/}), and C{up/} for uploads
    (vsftpd's anonymous root must not be writable, so uploads go below it).

    The listed files are not hard links: a file of one name, as a served
    tree's files usually are, is what a server may keep a listing of
    (ftpkit's cache describes a file of several names again at each use,
    since it may change through another name).

    @param workdir: the benchmark's temporary directory.
    @param name: the server's name.
    @param work: the L{bench.scenarios.Workload}.
    @return: the root's path.
    """
    root = os.path.join(workdir, name, "root")
    os.makedirs(os.path.join(root, "small"))
    os.link(work.bigPath, os.path.join(root, work.bigName))
    data = os.path.dirname(work.bigPath)
    for small, _ in work.small:
        shutil.copyfile(os.path.join(data, small), os.path.join(root, small))
    os.mkdir(os.path.join(root, "many"))
    for name in os.listdir(os.path.join(data, "many")):
        open(os.path.join(root, "many", name), "wb").close()
    up = os.path.join(root, "up")
    os.mkdir(up)
    os.chmod(up, 0o777)
    return root


class Runner:
    """
    Runs the scenarios against the servers and keeps the samples.

    @ivar results: scenario name to server name to
        C{{"samples": [...], "errors": [...]}}.
    """

    def __init__(self, args, workdir):
        """
        @param args: the parsed options.
        @param workdir: the temporary directory for files and servers.
        """
        self.args = args
        self.workdir = workdir
        self.servers = []
        self.plain = {}
        self.tls = {}
        self.results = {}
        self.notes = []

    def log(self, message):
        """
        @param message: a progress line for stderr.
        """
        print(message, file=sys.stderr, flush=True)

    def setUp(self):
        """
        Make the files and start the servers (plain; TLS when configured).
        """
        args = self.args
        self.log(f"writing {args.big_mib} MiB and {args.files} small files")
        self.work = makeWorkload(self.workdir, args)
        pem = writeSelfSigned(os.path.join(self.workdir, "bench.pem"))
        os.chmod(pem, 0o644)
        wantTLS = any(s.tls for s in self.scenarios())
        for name, cls in args.baselines.items():
            self.notes.append(f"{name} is ftpkit from {cls.directory}")
        for name in args.servers:
            cls = args.baselines.get(name) or SERVERS[name]
            if not cls.installed():
                self.notes.append(
                    f"{name} is not installed: skipped (python -m"
                    " bench.fetchservers unpacks it)")
                continue
            serverDir = os.path.join(self.workdir, name)
            os.makedirs(serverDir)
            root = makeRoot(self.workdir, name, self.work)
            extra = args.ftpkit_arg if name.startswith("ftpkit") else ()
            server = cls(root, serverDir, pem, extra)
            try:
                self.plain[name] = server.start()
            except ServerFailed as e:
                self.notes.append(f"{name} skipped: {e}")
                continue
            self.servers.append(server)
            if wantTLS:
                try:
                    self.tls[name] = server.start(tls=True)
                except ServerFailed as e:
                    reason = [x for x in str(e).splitlines() if x.strip()]
                    self.notes.append(f"{name}: no TLS runs: {reason[-1]}")

    def tearDown(self):
        """
        Stop every server started.
        """
        for instance in [*self.plain.values(), *self.tls.values()]:
            instance.stop()
        self.plain.clear()
        self.tls.clear()

    def scenarios(self):
        """
        @return: the selected L{Scenario}s.
        """
        only = self.args.only
        return [s for s in SCENARIOS if not only or s.name in only]

    def instanceFor(self, scenario, server):
        """
        The instance a scenario runs on, restarting it when needed.

        @param scenario: the L{Scenario}.
        @param server: the L{bench.servers.Server}.
        @return: an L{bench.servers.Instance}, or C{None} (no TLS).
        """
        pool = self.tls if scenario.tls else self.plain
        instance = pool.get(server.name)
        if instance is None:
            return None
        if scenario.fresh or not instance.alive():
            if not instance.alive():
                self.notes.append(f"{server.name} died; restarted:\n"
                                  + instance.logTail(5))
            instance.stop()
            del pool[server.name]
            pool[server.name] = server.start(tls=scenario.tls)
            instance = pool[server.name]
        return instance

    def record(self, scenario, server, figures=None, error=None,
               round=None):
        """
        Keep one sample or one error.

        @param scenario: the L{Scenario}.
        @param server: the L{bench.servers.Server}.
        @param figures: a sample, or C{None}.
        @param error: an error message, or C{None}.
        @param round: the round a sample belongs to (C{None} for the
            untimed verification).
        """
        entry = self.results.setdefault(scenario.name, {}).setdefault(
            server.name, {"samples": [], "rounds": [], "errors": []})
        if figures is not None:
            entry["samples"].append(figures)
            entry["rounds"].append(round)
        if error is not None:
            entry["errors"].append(error)

    def settle(self):
        """
        Wait, up to L{TIME_WAIT_PATIENCE} seconds, until the connections
        of earlier samples in C{TIME_WAIT} fall below L{TIME_WAIT_LIMIT}.
        """
        deadline = time.monotonic() + TIME_WAIT_PATIENCE
        waiting = timeWaitSockets()
        if waiting > TIME_WAIT_LIMIT:
            self.log(f"  waiting for {waiting} connections in TIME_WAIT")
        while waiting > TIME_WAIT_LIMIT and time.monotonic() < deadline:
            time.sleep(1)
            waiting = timeWaitSockets()

    def once(self, scenario, server, verify=False):
        """
        Run a scenario once on a server, catching failures.

        @param scenario: the L{Scenario}.
        @param server: the L{bench.servers.Server}.
        @param verify: passed to the scenario.
        @return: the figures, or C{None}.
        """
        self.settle()
        try:
            instance = self.instanceFor(scenario, server)
            if instance is None:
                return None
            return scenario.run(instance, self.work, verify=verify)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            self.log(f"  {scenario.name} on {server.name} failed: {error}")
            expected = (sc.TransferError, ReplyError, ServerFailed, OSError)
            if not isinstance(e, expected):
                traceback.print_exc()
            self.record(scenario, server, error=error)
            return None

    def verify(self):
        """
        One untimed transfer each way (plain and TLS) per server, with the
        content hashed: a fast but wrong server is caught here.
        """
        for scenario in self.scenarios():
            if scenario.run not in (sc.retr, sc.stor, sc.retrTLS, sc.storTLS):
                continue
            for server in self.servers:
                self.log(f"verify {scenario.name} on {server.name}")
                self.once(scenario, server, verify=True)

    def measure(self):
        """
        For each round, for each scenario, for each server (in an order
        rotated every round): one sample.
        """
        for round in range(self.args.repeat):
            k = round % max(1, len(self.servers))
            servers = self.servers[k:] + self.servers[:k]
            for scenario in self.scenarios():
                for server in servers:
                    self.log(f"round {round + 1}/{self.args.repeat}"
                             f" {scenario.name} on {server.name}")
                    figures = self.once(scenario, server)
                    if figures is not None:
                        self.record(scenario, server, figures, round=round)


def optionsRecord(args):
    """
    @param args: the parsed options.
    @return: them as plain values for the C{--json} file (the baseline
        checkouts as their directories, in C{baseline}).
    """
    return {k: v for k, v in vars(args).items() if k != "baselines"}


def main(argv=None):
    """
    Run the benchmark.

    @param argv: the options; C{sys.argv[1:]} when C{None}.
    @return: the exit status.
    """
    args = parseArguments(sys.argv[1:] if argv is None else argv)
    workdir = tempfile.mkdtemp(prefix="ftpkit-bench-")
    os.chmod(workdir, 0o755)
    runner = Runner(args, workdir)

    def cleanUp():
        runner.tearDown()
        shutil.rmtree(workdir, ignore_errors=True)

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    atexit.register(cleanUp)
    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    try:
        baseline = [sc.loopbackBaseline(args.big_mib * sc.MiB)
                    for _ in range(3)]
        runner.setUp()
        if not runner.servers:
            print("no server started:\n" + "\n".join(runner.notes))
            return 1
        runner.verify()
        runner.measure()
    finally:
        cleanUp()
    medians = summarise(runner)
    print(f"ftpkit benchmark: {args.repeat} rounds, {os.cpu_count()} CPUs,"
          f" loopback; {time.monotonic() - started:.0f} s")
    print(f"memory-to-memory loopback copy (the ceiling):"
          f" {formatNumber(statistics.median(baseline))} MB/s\n")
    print(table(runner, medians))
    for note in runner.notes:
        print("note: " + note)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "options": optionsRecord(args),
                "loopback MB/s": baseline,
                "servers": [s.name for s in runner.servers],
                "scenarios": {
                    name: {server: {**entry,
                                    "median": medians[name].get(server, {})}
                           for server, entry in servers.items()}
                    for name, servers in runner.results.items()},
                "notes": runner.notes,
            }, f, indent=2)
    failed = any(e["errors"] for s in runner.results.values()
                 for e in s.values())
    return 1 if failed else 0
