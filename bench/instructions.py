"""
C{python -m bench.instructions}: the instructions the server executes per
operation, counted by C{valgrind --tool=callgrind}, for this checkout and
C{--baseline} checkouts side by side: a count the machine's load does not
change (C{docs/benchmark.rst}, "Running it", says what each scenario of
L{SCENARIOS} does).

Each run starts ftpkit under callgrind (C{PYTHONHASHSEED} the round's
number, from 0: see L{measure}; C{--instr-atstart=no}: start-up is not
counted), drives C{--warmup}
operations uncounted, turns the instrumentation on (C{callgrind_control -i
on}), drives C{--ops} operations with the benchmark's own clients
(L{bench.scenarios._eachFile}, as the C{small} scenarios do), dumps the
count (C{callgrind_control -d}) and stops the server. C{--peer pyftpdlib}
counts pyftpdlib's process the same way, in the same rounds
(C{--peer pyftpdlib-info}: pyftpdlib logging as it does by default).
C{--ftpkit-arg ARG} gives every ftpkit more arguments
(C{--ftpkit-arg=--workers=2}); the server's child processes then run
under callgrind too (C{--trace-children=yes}), and the count is that of
the whole process tree, the acceptor's and its workers'.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

from bench.certs import writeSelfSigned
from bench.client import clientContext
from bench.cpuperop import (
    TREE_DIRECTORIES,
    makeDirectory,
    makeTree,
    makeUploads,
    treeFiles,
)
from bench.scenarios import TransferError, _eachFile, _fetch
from bench.servers import Ftpkit, Pyftpdlib, PyftpdlibInfo, baselineServers

SIZE = 16 * 1024
FILES = 2000
ENTRIES = 2000
FEW = 20
"""Entries of the directory C{list-small} lists, a listing per operation:
what a thread hand-off costs shows against a small directory's lines."""
LIST_SHARE = 50
"""A listing scenario runs one operation for every this many of C{--ops}."""
CALLGRIND_CONTROL = "callgrind_control"
"""The program that turns callgrind's instrumentation on and dumps."""
CONTROL_TIMEOUT = 60.0
"""Seconds a L{CALLGRIND_CONTROL} call may take: its C{vgdb} waits for
ever on a process that died with its FIFO left (a worker of the server
killed on a loaded machine), and the whole measure (a trial worker
running its test) hung with it."""


def _nothing(client, name, content):
    """
    Move nothing: the operation is the login and C{QUIT} around it.

    @param client: a logged-in L{bench.sessions.Session}.
    @param name: unused; so is C{content}.
    """
    return
    yield


def _features(client, name, content):
    """
    Ask C{FEAT}, as lftp, FileZilla, curl and WinSCP do at every login
    (a generator).

    @param client: a logged-in L{bench.sessions.Session}.
    @param name: unused; so is C{content}.
    """
    yield from client.command("FEAT", 211)


def _store(client, name, content):
    """
    Upload C{content} to C{up/} under the file's own name (a generator).

    @param client: a logged-in L{bench.sessions.Session}.
    @param name: a name no other upload of the run has.
    @param content: the bytes.
    """
    yield from client.stor("up/" + name, content)


def _listing(command):
    """
    @param command: C{"LIST"} or C{"MLSD"}.
    @return: an operation that lists a directory with C{command} and
        checks it has a line per entry (a generator function taking the
        client, the directory and how many entries it has, raising
        L{TransferError} for fewer lines).
    """
    def listing(client, name, content):
        body = yield from client.download(f"{command} {name}")
        if body.count(b"\n") < content:
            raise TransferError(f"{command} {name}: too few lines")
    return listing


def sessions(clients, loginEach, transfer):
    """
    A scenario driven by the benchmark's own clients (L{bench.sessions}),
    as the C{small} scenarios drive them.

    @param clients: how many clients at once.
    @param loginEach: log in (and out) for every operation, rather than
        once per client.
    @param transfer: the operation, C{transfer(client, name, content)}.
    @return: C{drive(instance, batch, meter)}: run the operations of
        C{batch} (C{(name, content)} pairs), reading C{meter} before the
        first and after the last.
    """
    def drive(instance, batch, meter):
        _eachFile(instance, SimpleNamespace(small=batch, clients=clients),
                  loginEach, transfer, meter)
    return drive


def tlsLogins(instance, batch, meter):
    """
    Explicit FTPS logins one after the other (C{AUTH TLS}, a full
    handshake, C{USER}, C{PASS}, C{PBSZ}, C{PROT P}, C{QUIT}), as
    C{bench.cpuperop}'s C{login-tls} makes them: one for each item of
    C{batch}, C{meter} read before the first and after the last.

    @param instance: the server, started with TLS.
    @param batch: the operations (only their number counts).
    @param meter: see L{sessions}.
    """
    context = clientContext()
    meter()
    for _ in batch:
        instance.client(context).quit()
    meter()


def commands(tls):
    """
    A scenario of commands on one logged-in session: a C{NOOP} for each
    operation, and its reply (under TLS, one record in and one out).

    @param tls: whether the session is an explicit FTPS one (C{AUTH TLS},
        C{PBSZ}, C{PROT P}).
    @return: C{drive(instance, batch, meter)}, as L{sessions} makes.
    """
    def drive(instance, batch, meter):
        client = instance.client(clientContext() if tls else None)
        meter()
        for _ in batch:
            client.command("NOOP", 200)
        meter()
        client.quit()
    return drive


SCENARIOS = {
    # retr50 is the small scenario's sequence, stor50 small-stor's,
    # login-retr small-login's.
    "retr": sessions(1, False, _fetch),
    "retr50": sessions(50, False, _fetch),
    "stor": sessions(1, False, _store),
    "stor50": sessions(50, False, _store),
    "login": sessions(1, True, _nothing),
    "login-feat": sessions(1, True, _features),
    "login-tls": tlsLogins,
    "noop": commands(False),
    "noop-tls": commands(True),
    "login-retr": sessions(50, True, _fetch),
    "list": sessions(1, False, _listing("LIST")),
    "mlsd": sessions(1, False, _listing("MLSD")),
    "listr": sessions(1, False, _listing("LIST -R")),
    "list-small": sessions(1, False, _listing("LIST")),
}
LISTINGS = frozenset(["list", "mlsd", "listr"])
"""The listing scenarios: a fiftieth of C{--ops} (L{LIST_SHARE}) each."""
TLS = frozenset(["login-tls", "noop-tls"])
"""Scenarios whose server must offer C{AUTH TLS}."""
PEERS = {kind.name: kind for kind in (Pyftpdlib, PyftpdlibInfo)}
"""The other servers C{--peer} can count."""


def items(scenario, files, count, tag):
    """
    The operations of one run.

    @param scenario: a key of L{SCENARIOS}.
    @param files: the C{(name, content)} pairs of the served 16 KiB files.
    @param count: how many operations.
    @param tag: what this run's upload names start with.
    @return: C{count} C{(name, content)} pairs for the scenario's
        operation.
    """
    if scenario == "listr":
        return [("tree", treeFiles(ENTRIES) * TREE_DIRECTORIES)] * count
    if scenario in LISTINGS:
        return [("many", ENTRIES)] * count
    if scenario == "list-small":
        return [("few", FEW)] * count
    if scenario in ("stor", "stor50"):
        return [(f"{tag}{n}.bin", files[n % len(files)][1])
                for n in range(count)]
    return [files[n % len(files)] for n in range(count)]


class Callgrind:
    """
    The instructions a server running under callgrind has executed since
    its first reading, read as L{_eachFile}'s C{meter}: its main
    process's, or with C{tree} those of every process of its tree that
    runs under callgrind (an acceptor's workers).

    @ivar pid: the server's process (callgrind's).
    @ivar out: a process's C{--callgrind-out-file} is C{out.PID}; its
        dump M{n} goes to C{out.PID.n}.
    @ivar tree: a L{bench.procstat.ProcessTree} of the server, or C{None}
        to count its main process alone.
    @ivar pids: the processes counted, once the instrumentation is on.
    @ivar dumps: how many dumps each has written; C{None} before the
        instrumentation is on.
    @ivar total: the instructions counted so far.
    """

    def __init__(self, pid, out, tree=None):
        """
        @param pid: the server's process.
        @param out: see L{out}.
        @param tree: see L{tree}.
        """
        self.pid, self.out, self.tree = pid, out, tree
        self.pids, self.dumps, self.total = [pid], None, 0

    def __call__(self):
        """
        The first reading turns the instrumentation on (of each process
        of the tree that runs under callgrind, with L{tree}); each later
        one dumps (which zeroes callgrind's counters) and adds the dumps'
        totals.

        @return: the instructions counted so far.
        @raise RuntimeError: when callgrind did not answer C{OK} for the
            main process, or for one of the tree's counted before.
        """
        if self.dumps is None:
            if self.tree is not None:
                self.pids = [pid for pid in self.tree.pids()
                             if pid == self.pid or _control(["-i", "on"], pid)]
            _control(["-i", "on"], self.pid, required=True)
            self.dumps = 0
            return self.total
        for pid in self.pids:
            _control(["-d"], pid, required=True)
        self.dumps += 1
        self.total += sum(totals(self.lastDump(pid)) for pid in self.pids)
        return self.total

    def lastDump(self, pid=None):
        """
        @param pid: a process counted; by default the main one.
        @return: the path of its last dump written.
        """
        return f"{self.out}.{pid or self.pid}.{self.dumps}"


def _control(option, pid, required=False):
    """
    Run C{callgrind_control} on one process.

    @param option: its options.
    @param pid: the process.
    @param required: raise unless callgrind answered C{OK}.
    @return: whether it did (a process not under callgrind does not).
    @raise RuntimeError: see C{required}.
    """
    if not os.path.exists(f"/proc/{pid}"):
        stdout, stderr = "", "no such process"
    else:
        stdout, stderr = _answer([CALLGRIND_CONTROL, *option, str(pid)])
    if "OK" in stdout:
        return True
    if required:
        raise RuntimeError(f"callgrind_control {option} {pid}: {stdout}"
                           f" {stderr}")
    return False


def _answer(command):
    """
    Run a command in a process group of its own, for L{CONTROL_TIMEOUT}
    seconds at most (the whole group is killed then: C{vgdb}, which
    C{callgrind_control} starts, holds its output open).

    @param command: the command line.
    @return: C{(stdout, stderr)}, the latter saying so when it was killed.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        return process.communicate(timeout=CONTROL_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        return stdout, f"{stderr} (no answer in {CONTROL_TIMEOUT:g} s)"


def totals(path):
    """
    @param path: a callgrind output file.
    @return: its C{totals:} (or C{summary:}) count of instructions.
    @raise ValueError: if it has neither.
    """
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError(f"{path}: no totals")


def measure(kind, root, workdir, scenario, warm, counted, keep=None,
            pem=None, seed=0, extraArgs=()):
    """
    Start a server under callgrind, run a scenario's warm-up uncounted and
    its counted operations, stop it.

    The count depends on the process's memory layout, which
    C{PYTHONHASHSEED} changes: CPython 3.11 finds the slot of its type
    attribute cache from the address of the attribute's name, so which
    lookups miss it (and walk the classes' MROs) changes with the layout.
    One checkout counted in one layout can be several percent off what it
    counts in another (C{docs/benchmark-investigations.rst},
    C{bench-layout-19}); rounds under different seeds make the min-max
    show it.

    @param kind: L{Ftpkit}, a L{bench.servers.FtpkitBaseline} or a value
        of L{PEERS}.
    @param root: the served directory.
    @param workdir: a directory for logs and callgrind's files.
    @param scenario: a key of L{SCENARIOS}.
    @param warm: the warm-up's C{(name, content)} pairs.
    @param counted: the counted operations' pairs.
    @param keep: a path to copy the count's callgrind file to (that of
        each other process counted, a worker's, to C{keep.PID}), or
        C{None} (or another false value).
    @param pem: the certificate and key, for the scenarios of L{TLS}.
    @param seed: the server's C{PYTHONHASHSEED}.
    @param extraArgs: more arguments for the server; given any, its child
        processes are counted with it (L{Callgrind.tree}).
    @return: instructions per operation.
    """
    server = kind(root, workdir, pem, extraArgs)
    out = os.path.join(workdir, f"{kind.name}-{time.monotonic_ns()}.out")
    command = server.command
    children = ["--trace-children=yes"] if extraArgs else []
    server.command = lambda port, tls: [
        "env", f"PYTHONHASHSEED={seed}", "valgrind", "--tool=callgrind",
        "--instr-atstart=no", *children,
        "--callgrind-out-file=" + out + ".%p",
    ] + command(port, tls)
    instance = server.start(tls=scenario in TLS, timeout=120)
    counter = Callgrind(instance.process.pid, out,
                        instance.tree if extraArgs else None)
    try:
        for batch, meter in ((warm, lambda: 0), (counted, counter)):
            SCENARIOS[scenario](instance, batch, meter)
    finally:
        instance.stop()
    if keep:
        shutil.copyfile(counter.lastDump(), keep)
        for pid in counter.pids[1:]:
            shutil.copyfile(counter.lastDump(pid), f"{keep}.{pid}")
    return counter.total / len(counted)


def makeFiles(root, count):
    """
    Write the 16 KiB files the downloads fetch.

    @param root: the served directory; they go in its C{files/}.
    @param count: how many.
    @return: their C{(name, content)} pairs.
    """
    os.mkdir(os.path.join(root, "files"))
    files = []
    for n in range(count):
        name, content = f"files/{n:04d}.bin", os.urandom(SIZE)
        with open(os.path.join(root, name), "wb") as f:
            f.write(content)
        files.append((name, content))
    return files


def main(argv=None):
    """
    Count, and print the table.

    @param argv: command-line arguments.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions",
        description="Instructions the server executes per operation"
        " (valgrind --tool=callgrind), this checkout against others and"
        " pyftpdlib.")
    parser.add_argument("--ops", type=int, default=1000,
                        help="counted operations per run (default 1000; a"
                        f" 1/{LIST_SHARE} of them for list, mlsd and listr)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="uncounted operations first (default 100)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per checkout and scenario (default 3)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help="comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument("--baseline", metavar="DIR", action="append",
                        default=[], help="also count the checkout DIR")
    parser.add_argument("--peer", action="append", default=[],
                        choices=sorted(PEERS),
                        help="also count this server (repeatable)")
    parser.add_argument("--keep", metavar="DIR",
                        help="leave each run's callgrind file in DIR (a"
                        " worker's too, named with its pid)")
    parser.add_argument("--tmp", metavar="DIR",
                        help="where the served files go (default: $TMPDIR)")
    parser.add_argument("--ftpkit-arg", action="append", default=[],
                        metavar="ARG", help="extra ftpkit argument, for this"
                        " checkout and the baselines (repeatable; e.g."
                        " --ftpkit-arg=--workers=2: its workers are counted"
                        " with it)")
    args = parser.parse_args(argv)
    if args.ops < 1 or args.warmup < 1 or args.repeat < 1:
        parser.error("--ops, --warmup and --repeat must be at least 1")
    scenarios = args.only.split(",")
    for name in scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}")
    for program in ("valgrind", "callgrind_control"):
        if shutil.which(program) is None:
            parser.error(f"{program} is not installed")
    kinds = [Ftpkit, *baselineServers(
        [os.path.abspath(d) for d in args.baseline]).values(),
        *(PEERS[name] for name in dict.fromkeys(args.peer))]
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    workdir = os.path.abspath(
        tempfile.mkdtemp(prefix="ftpkit-instructions-", dir=args.tmp))
    try:
        root = os.path.join(workdir, "root")
        os.mkdir(root)
        pem = writeSelfSigned(os.path.join(workdir, "bench.pem"))
        makeUploads(root)
        files = makeFiles(root, min(FILES, args.warmup + args.ops))
        if LISTINGS & set(scenarios) - {"listr"}:
            makeDirectory(os.path.join(root, "many"), ENTRIES)
        if "list-small" in scenarios:
            makeDirectory(os.path.join(root, "few"), FEW)
        if "listr" in scenarios:
            makeTree(os.path.join(root, "tree"), ENTRIES)
        samples = {(k.name, s): [] for k in kinds for s in scenarios}
        for round in range(args.repeat):
            for scenario in scenarios:
                share = LIST_SHARE if scenario in LISTINGS else 1
                for kind in kinds:
                    tag = f"{kind.name}-{round}-"
                    warm = items(scenario, files,
                                 max(1, args.warmup // share), tag + "w")
                    counted = items(scenario, files,
                                    max(1, args.ops // share), tag)
                    keep = args.keep and os.path.join(
                        args.keep, f"{kind.name}-{scenario}-{round}.out")
                    extra = (args.ftpkit_arg if issubclass(kind, Ftpkit)
                             else ())
                    samples[kind.name, scenario].append(measure(
                        kind, root, workdir, scenario, warm, counted, keep,
                        pem, round, extra))
        print(f"instructions per operation (callgrind; {args.ops} operations"
              f" after {args.warmup} of warm-up, list, mlsd and listr"
              f" 1/{LIST_SHARE} of them;"
              f" median of {args.repeat}, PYTHONHASHSEED 0-{args.repeat - 1},"
              " min-max; ratio: the other's"
              " median / this checkout's)")
        for scenario in scenarios:
            own = statistics.median(samples[Ftpkit.name, scenario])
            parts = []
            for kind in kinds:
                values = samples[kind.name, scenario]
                median = statistics.median(values)
                parts.append(f"{kind.name} {median:,.0f} ({min(values):,.0f}"
                             f"-{max(values):,.0f})"
                             + (f" {median / own:.2f}x" if parts else ""))
            print(f"  {scenario:10} " + "  ".join(parts))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
