"""
C{python -m bench.combine RUN.json ...}: the median of several full runs
of C{python -m bench --json RUN.json}, one line per figure, as issue 17
asks for it: ftpkit's median of the runs' medians with their range, its
ratio to pyftpdlib and to the best peer (median and range over the runs),
the ratio of the worst run and of the worst round, and, where the runs
had one, the ratio to C{ftpkit-base}. Every ratio is above 1 when ftpkit
is better, whichever way the figure goes.

C{python -m bench.combine --before-after RUN.json ...}: for runs made
with C{--baseline} (a tree before a change, as issue 13 asks for the
redesign), each rate's ratio to pyftpdlib and to vsftpd for ftpkit and
for C{ftpkit-base} side by side, and ftpkit over C{ftpkit-base} in each
run.
"""

import argparse
import json
import statistics
import sys

from bench.report import HIGHER, compareWithPeers, formatNumber
from bench.run import SCENARIOS

BASELINE = "ftpkit-base"


def figures(run, server="ftpkit"):
    """
    @param run: one run's C{--json} record.
    @param server: the ftpkit server whose figures are wanted
        (C{ftpkit-w2} for C{--workers 2}).
    @return: C{(scenario, metric)} pairs with a figure for C{server}, in
        the benchmark's order of scenarios; the client's own figures left
        out.
    """
    order = [s.name for s in SCENARIOS]
    found = []
    for scenario in sorted(run["scenarios"], key=order.index):
        mine = run["scenarios"][scenario].get(server, {}).get("median", {})
        found.extend((scenario, metric) for metric in mine
                     if not metric.startswith("client"))
    return found


def lineOf(run, scenario, metric, server="ftpkit"):
    """
    One run's comparisons for one figure.

    @param run: the run's C{--json} record.
    @param scenario: the scenario's name.
    @param metric: the metric's name.
    @param server: the ftpkit server compared (see L{figures}).
    @return: a dict with C{ftpkit} (C{server}'s median), C{pyftpdlib} and
        C{base} (ratios, or C{None} where not measured), C{best} (the best
        peer's name), C{ratio} and C{worst} (its worst round), or C{None}
        when ftpkit has no figure.
    """
    results = run["scenarios"].get(scenario, {})
    medians = {name: entry.get("median", {}).get(metric)
               for name, entry in results.items()}
    mine = medians.get(server)
    if not mine:
        return None
    higher = metric in HIGHER

    def against(name):
        theirs = medians.get(name)
        if not theirs:
            return None
        return mine / theirs if higher else theirs / mine

    line = {"ftpkit": mine, "pyftpdlib": against("pyftpdlib"),
            "base": against(BASELINE), "best": None, "ratio": None,
            "worst": None}
    for name, best, ratio, worst in compareWithPeers(
            results, run["servers"], metric):
        if name == server:
            line.update(best=best, ratio=ratio, worst=worst)
    return line


def _spread(values):
    """
    @param values: figures, some C{None}.
    @return: C{(median, min, max)} of those known, or C{None}.
    """
    known = [v for v in values if v is not None]
    if not known:
        return None
    return statistics.median(known), min(known), max(known)


def _ratio(values):
    """
    @param values: ratios, one per run, some C{None}.
    @return: C{"1.23x (1.10-1.30)"}, or C{"-"}.
    """
    spread = _spread(values)
    if spread is None:
        return "-"
    median, low, high = spread
    return f"{median:.2f}x ({low:.2f}-{high:.2f})"


def combine(runs, server="ftpkit"):
    """
    @param runs: the runs' C{--json} records.
    @param server: the ftpkit server compared (see L{figures}).
    @return: rows of text cells, the first the header; a figure that is
        zero for C{server} in every run (no ratio to give: the slow
        reader's memory growth, say) is left out.
    """
    header = ["figure", f"{server}, median of {len(runs)}", "/pyftpdlib",
              f"best peer: {server}/it", "worst run", "worst round"]
    withBase = any(BASELINE in r["servers"] for r in runs)
    if withBase:
        header.append("/ftpkit-base")
    rows = [header]
    seen = []
    for run in runs:
        seen.extend(f for f in figures(run, server) if f not in seen)
    for scenario, metric in seen:
        lines = [lineOf(run, scenario, metric, server) for run in runs]
        lines = [line for line in lines if line is not None]
        if not lines:
            continue
        mine = _spread([line["ftpkit"] for line in lines])
        peers = []
        for line in lines:
            if line["best"] and line["best"] not in peers:
                peers.append(line["best"])
        ratios = [line["ratio"] for line in lines]
        worstRun = _spread(ratios)
        worstRound = _spread([line["worst"] for line in lines])
        row = [f"{scenario} {metric}",
               f"{formatNumber(mine[0])}"
               f" ({formatNumber(mine[1])}-{formatNumber(mine[2])})",
               _ratio([line["pyftpdlib"] for line in lines]),
               f"{'/'.join(peers) or '-'} {_ratio(ratios)}",
               f"{worstRun[1]:.2f}x" if worstRun else "-",
               f"{worstRound[1]:.2f}x" if worstRound else "-"]
        if withBase:
            row.append(_ratio([line["base"] for line in lines]))
        rows.append(row)
    return rows


def ratioOf(run, scenario, metric, server, other):
    """
    @param run: one run's C{--json} record.
    @param scenario: the scenario's name.
    @param metric: a rate's name (in L{HIGHER}: higher is better).
    @param server: the server compared.
    @param other: the server it is compared with.
    @return: C{server}'s median over C{other}'s, above 1 when C{server} is
        better, or C{None} where either has no figure.
    """
    results = run["scenarios"].get(scenario, {})
    mine, theirs = (results.get(name, {}).get("median", {}).get(metric)
                    for name in (server, other))
    if not mine or not theirs:
        return None
    return mine / theirs


def beforeAfter(runs, peers=("pyftpdlib", "vsftpd")):
    """
    @param runs: the runs' C{--json} records, each with C{ftpkit-base}.
    @param peers: the servers both trees are compared with.
    @return: rows of text cells, the first the header: one row per rate
        (a figure where higher is better), with ftpkit's and
        C{ftpkit-base}'s ratio to each peer (median over the runs and
        range), then ftpkit over C{ftpkit-base} in each run, in order.
    """
    header = ["line"]
    for peer in peers:
        header += [f"ftpkit / {peer}", f"{BASELINE} / {peer}"]
    header.append(f"ftpkit / {BASELINE}, each run")
    rows = [header]
    seen = []
    for run in runs:
        seen.extend(f for f in figures(run)
                    if f not in seen and f[1] in HIGHER)
    for scenario, metric in seen:
        row = [f"{scenario} {metric}"]
        for peer in peers:
            for server in ("ftpkit", BASELINE):
                row.append(_ratio([ratioOf(run, scenario, metric, server, peer)
                                   for run in runs]))
        each = [ratioOf(run, scenario, metric, "ftpkit", BASELINE)
                for run in runs]
        row.append(", ".join("-" if r is None else f"{r:.2f}" for r in each))
        rows.append(row)
    return rows


def rstTable(rows):
    """
    @param rows: from L{combine}.
    @return: them as a reStructuredText simple table.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "  ".join("=" * w for w in widths)

    def line(row):
        return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

    return "\n".join([rule, line(rows[0]), rule]
                     + [line(row) for row in rows[1:]] + [rule])


def main(argv=None):
    """
    Print the combined table.

    @param argv: the options; C{sys.argv[1:]} when C{None}.
    @return: the exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench.combine",
        description="The median of several runs of python -m bench --json.")
    parser.add_argument("runs", nargs="+", metavar="RUN.json")
    parser.add_argument(
        "--before-after", action="store_true",
        help="compare ftpkit and ftpkit-base (runs made with --baseline) "
             "with pyftpdlib and vsftpd")
    parser.add_argument(
        "--server", default="ftpkit", metavar="NAME",
        help="the ftpkit server to compare with the peers, as the runs "
             "name it (ftpkit-w2 for --workers 2) [default: ftpkit]")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    runs = []
    for path in args.runs:
        try:
            with open(path) as f:
                runs.append(json.load(f))
        except (OSError, ValueError) as e:
            parser.error(f"{path}: {e}")
    print(rstTable(beforeAfter(runs) if args.before_after
                   else combine(runs, args.server)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
