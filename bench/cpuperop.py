"""
C{python -m bench.cpuperop}: the server CPU time one small operation costs.

Wall-clock rates swing with whatever else the machine runs; the CPU time the
server process spends per operation does not, much. One client, one
operation at a time, so what is measured is the server's own work per
operation:

  - C{login}: connect, C{USER}, C{PASS}, C{QUIT};
  - C{login-tls}: the same with C{AUTH TLS} first (a full TLS handshake
    each time: the client keeps no session), then C{PBSZ} and C{PROT};
  - C{noop-tls}: C{NOOP} in one logged-in explicit FTPS session (one TLS
    record in and one out each; the handshake is the warm-up's);
  - C{retr}: C{EPSV} and C{RETR} of a 16 KiB file, in one logged-in session;
  - C{stor}: C{EPSV} and C{STOR} of 16 KiB, in one logged-in session;
  - C{list}, C{mlsd}, C{nlst}: C{EPSV} and that listing of a directory of
    C{--entries} files (default 10,000), in one logged-in session. The
    files have sizes and modification times of their own (spread over
    about two years, so that a listing shows both dates with a time and
    dates with a year), as a directory filled over time has;
  - C{list-t}: C{LIST -t} of that directory (newest first: read whole and
    sorted before a line is sent), one session as for C{list}; with
    C{--ftpkit-arg=--no-listing-cache} every listing reads the directory
    (cold), else each is answered from the listings' cache (warm);
  - C{list-glob}, C{nlst-glob}: C{LIST many/*.txt} and C{NLST
    many/*.txt}, a pattern every file of the directory matches;
  - C{listr}, C{nlstr}: C{LIST -R} and C{NLST -R} of a tree of as many
    entries: L{TREE_DIRECTORIES} directories of such files (within
    ftpkit's default C{--recursive-listing-entries}, so never cut);
    C{listeach}: the same lines without C{-R}, one C{LIST} of the tree
    and one of each of its directories, in one session (an operation is
    the whole tree). vsftpd (C{ls_recurse_enable} off) and pyftpdlib
    list no tree, and no peer takes C{NLST -R}: those lines are left
    out for them.

C{--clients N} runs N such clients at once, sharing the operations (what
changes when the reactor has several sessions' events per turn).

The server's CPU time (every thread, from C{/proc}, see L{bench.procstat})
is read before and after each run of C{--ops} operations (each run's
uploads are set aside, not removed, until the end: L{bench.spent}); rounds
of every server are interleaved, and the median and min-max of the microseconds per
operation are printed. C{--baseline DIR} (repeatable) also runs ftpkit
from another checkout (named after the directory); C{--ftpkit-arg ARG}
gives every ftpkit more arguments (C{--ftpkit-arg=--workers=2}: the
acceptor and its workers are counted together; C{--split} also prints
the main process's share, the acceptor's); C{--profile DIR} runs
each server under C{cProfile} and leaves C{SERVER-SCENARIO.prof} files
there instead (the C servers run without it). C{--peer SERVER}
(repeatable) adds pyftpdlib, vsftpd, ProFTPD or Pure-FTPd, started as
C{python -m bench} starts them: a forking server's CPU includes its
session processes, the fork and the exit of each, read once they have
been reaped (vsftpd has no C{MLSD}: that line is left out for it). A
reaped process's CPU time is known to the clock tick (10 ms), so such a
figure is good to 10 ms divided by C{--ops}: 5 microseconds with the
default 2,000 operations, half a millisecond per listing with 20.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

from bench.certs import writeSelfSigned
from bench.client import Client, clientContext
from bench.procstat import cpuSeconds
from bench.servers import SERVERS, Ftpkit, FtpkitBaseline, SystemServer
from bench.spent import CREATE_WARNING, createCost, setAside

SIZE = 16 * 1024
SCENARIOS = ("login", "login-tls", "noop-tls", "retr", "stor", "list", "list-t",
             "list-glob", "mlsd", "nlst", "nlst-glob", "listr", "nlstr",
             "listeach")
LISTINGS = ("list", "list-t", "list-glob", "mlsd", "nlst", "nlst-glob",
            "listr", "nlstr", "listeach")
"""The scenarios that list the directory C{many} or the tree C{tree}."""
TREES = ("listr", "nlstr", "listeach")
"""The scenarios that list the tree C{tree}."""
TREE_DIRECTORIES = 20
"""How many directories of files the tree of C{listr} has."""


ACCOUNT = ("bench", "bench")
"""The user name and password of the benchmark's user (each server's own
are in L{bench.servers})."""


def login(port, ops, tag="", account=ACCOUNT):
    """
    Log in and out C{ops} times.

    @param port: the server's control port.
    @param ops: how many logins.
    @param tag: unused (see L{stor}).
    @param account: the user name and password to log in with.
    """
    for _ in range(ops):
        Client(port, *account).quit()


def loginTLS(port, ops, tag="", account=ACCOUNT):
    """
    Log in over explicit FTPS and out C{ops} times.

    @param port: the server's control port.
    @param ops: how many logins.
    @param tag: unused (see L{stor}).
    @param account: the user name and password to log in with.
    """
    context = clientContext()
    for _ in range(ops):
        Client(port, *account, context).quit()


def noopTLS(port, ops, tag="", account=ACCOUNT):
    """
    Send C{NOOP} C{ops} times in one explicit FTPS session.

    @param port: the server's control port.
    @param ops: how many commands.
    @param tag: unused (see L{stor}).
    @param account: the user name and password to log in with.
    """
    client = Client(port, *account, clientContext())
    for _ in range(ops):
        client.command("NOOP", 200)
    client.quit()


def retr(port, ops, tag="", account=ACCOUNT):
    """
    Download the 16 KiB file C{ops} times in one session.

    @param port: the server's control port.
    @param ops: how many downloads.
    @param tag: unused (see L{stor}).
    @param account: the user name and password to log in with.
    """
    client = Client(port, *account)
    for _ in range(ops):
        if client.retr("small.bin") != SIZE:
            raise RuntimeError("short download")
    client.quit()


def stor(port, ops, tag="", account=ACCOUNT):
    """
    Upload 16 KiB C{ops} times in one session, each to its own name.

    @param port: the server's control port.
    @param ops: how many uploads.
    @param tag: what the names start with (one per concurrent client).
    @param account: the user name and password to log in with.
    """
    client = Client(port, *account)
    with open(os.path.join(_root, "small.bin"), "rb") as f:
        for n in range(ops):
            client.stor(f"up/{tag}{n}.bin", f, SIZE)
    client.quit()


def listing(command):
    """
    @param command: C{"LIST many"}, C{"MLSD many"}, C{"LIST -R tree"}...
    @return: a scenario fetching that listing C{ops} times in one
        session, checking that each has a line per entry.
    """
    def run(port, ops, tag="", account=ACCOUNT):
        client = Client(port, *account)
        least = _entries
        if " -R " in command:
            least = treeFiles(_entries) * TREE_DIRECTORIES
        for _ in range(ops):
            lines = client.listing(command).count(b"\n")
            if lines < least:
                raise RuntimeError(f"{command}: {lines} lines for"
                                   f" {least} entries")
        client.quit()
    return run


def listingEach(port, ops, tag="", account=ACCOUNT):
    """
    List the tree C{tree} C{ops} times, one C{LIST} per directory, in
    one session, checking each listing has a line per entry.

    @param port: the server's control port.
    @param ops: how many times the whole tree is listed.
    @param tag: unused (see L{stor}).
    @param account: the user name and password to log in with.
    """
    client = Client(port, *account)
    files = treeFiles(_entries)
    for _ in range(ops):
        client.listing("LIST tree")
        for number in range(TREE_DIRECTORIES):
            lines = client.listing(f"LIST tree/dir-{number:02d}").count(b"\n")
            if lines < files:
                raise RuntimeError(f"LIST: {lines} lines for {files}"
                                   " entries")
    client.quit()


def treeFiles(entries):
    """
    @param entries: the entries the tree of C{listr} has in all.
    @return: how many files each of its directories holds.
    """
    return max(1, (entries - TREE_DIRECTORIES) // TREE_DIRECTORIES)


def makeTree(path, entries):
    """
    Fill the tree of C{listr}: L{TREE_DIRECTORIES} directories of
    L{treeFiles} files each (L{makeDirectory}).

    @param path: the directory to make.
    @param entries: the entries it has in all, directories included.
    """
    os.mkdir(path)
    for number in range(TREE_DIRECTORIES):
        makeDirectory(os.path.join(path, f"dir-{number:02d}"),
                      treeFiles(entries))


def makeDirectory(path, entries):
    """
    Fill a directory for the listing scenarios.

    @param path: the directory to make.
    @param entries: how many files it gets: file M{i} has M{i * 37 mod
        100003} bytes (sparse) and was modified M{i * 6311} seconds
        before the directory was made.
    """
    os.mkdir(path)
    now = int(time.time())
    for i in range(entries):
        name = os.path.join(path, f"entry-{i:05d}.txt")
        with open(name, "wb") as f:
            f.truncate(i * 37 % 100003)
        os.utime(name, (now, now - i * 6311))


_root = None
_entries = 0
RUNS = {"login": login, "login-tls": loginTLS, "noop-tls": noopTLS,
        "retr": retr, "stor": stor,
        "list": listing("LIST many"), "list-t": listing("LIST -t many"),
        "list-glob": listing("LIST many/*.txt"),
        "nlst-glob": listing("NLST many/*.txt"),
        "mlsd": listing("MLSD many"),
        "nlst": listing("NLST many"), "listr": listing("LIST -R tree"),
        "nlstr": listing("NLST -R tree"), "listeach": listingEach}
TLS = frozenset(["login-tls", "noop-tls"])
"""Scenarios whose server must offer C{AUTH TLS}."""
PEERS = ("pyftpdlib", "vsftpd", "proftpd", "pure-ftpd")
"""The other servers C{--peer} can add."""
UNSUPPORTED = frozenset(
    [("vsftpd", "mlsd"), ("vsftpd", "listr"), ("pyftpdlib", "listr")]
    + [(server, "nlstr") for server in PEERS])
"""(server, scenario) pairs left out: vsftpd has no C{MLSD}, it and
pyftpdlib list no tree, and no peer takes C{NLST -R} (Pure-FTPd answers
C{550}, ProFTPD lists one directory)."""


def runClients(scenario, port, ops, clients, account=ACCOUNT):
    """
    Run a scenario with C{clients} clients at once (threads), C{ops}
    operations in all.

    @param scenario: a key of L{RUNS}.
    @param port: the server's control port.
    @param ops: the operations to run, all clients together.
    @param clients: how many clients run at once.
    @param account: the user name and password to log in with.
    @return: the operations run (C{ops} rounded down to a multiple of
        C{clients}).
    @raise Exception: the first error of a client.
    """
    if clients == 1:
        RUNS[scenario](port, ops, "", account)
        return ops
    errors = []

    def client(tag):
        try:
            RUNS[scenario](port, ops // clients, tag, account)
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=client, args=(f"c{n}-",))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return ops // clients * clients


_PROFILED = """
import cProfile, runpy, sys, time
from twisted.internet import reactor
profile = cProfile.Profile(time.process_time)
reactor.addSystemEventTrigger("after", "shutdown", profile.dump_stats,
                              sys.argv.pop(1))
sys.argv[0] = sys.argv.pop(1)
profile.enable()
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def profiled(command, output):
    """
    @param command: a server's argument list (C{python -m MODULE ...}).
    @param output: where the profile goes, written when the reactor has
        stopped (C{python -m cProfile} never writes it: C{twistd} ends
        itself with the signal that stopped it).
    @return: the same argument list, run under C{cProfile}.
    """
    return [command[0], "-c", _PROFILED, output, command[2]] + command[3:]


def measure(kind, root, workdir, pem, scenario, ops, profile=None,
            extraArgs=(), clients=1):
    """
    Start a server, run one scenario against it, stop it.

    @param kind: a server class (L{Ftpkit}, L{FtpkitBaseline}...).
    @param root: the served directory.
    @param workdir: a directory for logs.
    @param pem: the certificate file.
    @param scenario: one of L{SCENARIOS}.
    @param ops: how many operations.
    @param profile: a C{.prof} path to run the server under C{cProfile},
        or C{None}.
    @param extraArgs: more arguments for the server.
    @param clients: how many clients at once.
    @return: server CPU microseconds per operation: of its whole process
        tree (the acceptor and workers of C{--workers}), and of its main
        process alone (the acceptor; with the sessions it reaped, for a
        forking server).
    """
    server = kind(root, workdir, pem, extraArgs)
    if profile is not None and not issubclass(kind, SystemServer):
        command = server.command
        server.command = lambda port, tls: profiled(command(port, tls),
                                                    profile)
    instance = server.start(tls=scenario in TLS)
    account = (server.user, server.password)
    try:
        # Warm up: imports, caches.
        RUNS[scenario](instance.port,
                       min(ops, 2 if scenario in LISTINGS else 50),
                       "warm-", account)
        before = settledCPU(instance)
        mainBefore = cpuSeconds([instance.tree.pid])
        ops = runClients(scenario, instance.port, ops, clients, account)
        after = settledCPU(instance)
        mainAfter = cpuSeconds([instance.tree.pid])
    finally:
        instance.stop()
        setAside(os.path.join(root, "up"), os.path.join(workdir, "spent"))
        makeUploads(root)
    return (after - before) * 1e6 / ops, (mainAfter - mainBefore) * 1e6 / ops


def settledCPU(instance, timeout=10):
    """
    The CPU time of a server's process tree, read once the session
    processes of a forking server have ended and been reaped: a session
    process that has exited but is not yet reaped is counted neither as a
    live process nor in its parent's C{cutime}.

    @param instance: a running L{bench.servers.Instance}.
    @param timeout: seconds to wait for the session processes to end.
    @return: CPU seconds.
    """
    if instance.server.forksPerSession:
        deadline = time.monotonic() + timeout
        while (len(instance.tree.pids()) > 1
               and time.monotonic() < deadline):
            time.sleep(0.01)
    return instance.tree.cpu()


def makeUploads(root):
    """
    Make the directory uploads go to, writable by the system servers'
    session processes too (they run as the C{ftp} user).

    @param root: the served directory.
    """
    up = os.path.join(root, "up")
    os.mkdir(up)
    os.chmod(up, 0o777)


def main(argv=None):
    """
    Run the measurement and print the table.

    @param argv: command-line arguments.
    """
    global _root, _entries
    parser = argparse.ArgumentParser(
        prog="python -m bench.cpuperop",
        description="Server CPU microseconds per login, FTPS login, 16 KiB"
        " RETR, 16 KiB STOR and listing (LIST, MLSD, NLST, LIST -R, NLST -R),"
        " one client.")
    parser.add_argument("--ops", type=int,
                        help="operations per run (default 2000, or 20 for"
                        " the listings)")
    parser.add_argument("--entries", type=int, default=10000,
                        help="entries in the listed directory (default"
                        " 10000)")
    parser.add_argument("--clients", type=int, default=1,
                        help="clients at once, sharing the operations"
                        " (default 1)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per server and scenario (default 3)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help="comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument("--pyftpdlib", action="store_true",
                        help="also run pyftpdlib")
    parser.add_argument("--peer", action="append", default=[],
                        choices=PEERS, metavar="SERVER",
                        help="also run this server (repeatable): "
                        + ", ".join(PEERS)
                        + "; the last three as python -m bench starts them")
    parser.add_argument("--baseline", metavar="DIR", action="append",
                        default=[],
                        help="also run ftpkit from the checkout DIR"
                        " (repeatable)")
    parser.add_argument("--ftpkit-arg", action="append", default=[],
                        metavar="ARG", help="extra ftpkit argument, for this"
                        " checkout and the baselines, repeatable (e.g."
                        " --ftpkit-arg=--workers=2)")
    parser.add_argument("--tmp", metavar="DIR",
                        help="where the served directory goes (say /dev/shm,"
                        " to leave the disk's cost out); default: $TMPDIR")
    parser.add_argument("--profile", metavar="DIR",
                        help="run under cProfile, leaving .prof files in DIR")
    parser.add_argument("--split", action="store_true",
                        help="also print the main process's share (the"
                        " acceptor of --workers)")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    if args.ops is not None and args.ops < 1:
        parser.error("--ops must be at least 1")
    scenarios = args.only.split(",")
    for name in scenarios:
        if name not in RUNS:
            parser.error(f"unknown scenario {name!r}")
    kinds = [Ftpkit]
    for directory in args.baseline:
        directory = os.path.abspath(directory)
        kinds.append(type("Baseline", (FtpkitBaseline,), {
            "name": os.path.basename(directory.rstrip("/")),
            "directory": directory}))
    if args.pyftpdlib and "pyftpdlib" not in args.peer:
        args.peer.insert(0, "pyftpdlib")
    for name in dict.fromkeys(args.peer):
        if not SERVERS[name].installed():
            parser.error(f"{name} is not installed (python -m"
                         " bench.fetchservers unpacks it)")
        kinds.append(SERVERS[name])
    workdir = os.path.abspath(
        tempfile.mkdtemp(prefix="ftpkit-cpuperop-", dir=args.tmp))
    try:
        # The system servers' sessions run as the ftp user.
        os.chmod(workdir, 0o755)
        _root = os.path.join(workdir, "root")
        os.mkdir(_root)
        makeUploads(_root)
        with open(os.path.join(_root, "small.bin"), "wb") as f:
            f.write(os.urandom(SIZE))
        _entries = args.entries
        if set(scenarios) & (set(LISTINGS) - set(TREES)):
            makeDirectory(os.path.join(_root, "many"), args.entries)
        if set(scenarios) & set(TREES):
            makeTree(os.path.join(_root, "tree"), args.entries)
        cost = createCost(workdir)
        if cost > CREATE_WARNING and "stor" in scenarios:
            print(f"warning: creating a file in {workdir} costs"
                  f" {cost * 1e6:.0f} µs of CPU now (recently freed inodes"
                  " nearby, see bench.spent); stor will mostly measure"
                  " that: try --tmp /dev/shm or another directory",
                  file=sys.stderr)
        pem = os.path.join(workdir, "bench.pem")
        writeSelfSigned(pem)
        os.chmod(pem, 0o644)
        samples = {(k.name, s): [] for k in kinds for s in scenarios}
        mains = {key: [] for key in samples}
        for _ in range(args.repeat):
            for scenario in scenarios:
                for kind in kinds:
                    if (kind.name, scenario) in UNSUPPORTED:
                        continue
                    profile = None
                    if args.profile:
                        os.makedirs(args.profile, exist_ok=True)
                        profile = os.path.join(
                            os.path.abspath(args.profile),
                            f"{kind.name}-{scenario}.prof")
                    extra = (args.ftpkit_arg if issubclass(kind, Ftpkit)
                             else ())
                    ops = args.ops or (20 if scenario in LISTINGS else 2000)
                    total, main = measure(
                        kind, _root, workdir, pem, scenario, ops,
                        profile, extra, args.clients)
                    samples[kind.name, scenario].append(total)
                    mains[kind.name, scenario].append(main)
        print(f"server CPU microseconds per operation ({args.ops or 'default'}"
              f" ops, {args.clients} client(s), median of {args.repeat},"
              f" min-max; listings of {args.entries} entries)")
        for scenario in scenarios:
            for kind in kinds:
                values = samples[kind.name, scenario]
                if not values:
                    continue
                split = ""
                if args.split:
                    main = mains[kind.name, scenario]
                    split = (f"  main process {statistics.median(main):.0f}"
                             f" ({min(main):.0f}-{max(main):.0f})")
                print(f"  {scenario:9} {kind.name:14}"
                      f" {statistics.median(values):7.0f}"
                      f"  ({min(values):.0f}-{max(values):.0f}){split}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
