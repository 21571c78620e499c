"""
The report of C{python -m bench} (L{bench.run}): medians per server, the
tables, and how ftpkit compares with the best peer on each metric
(L{bench.combine} reads several runs with the same functions).
"""

import statistics

HIGHER = {"MB/s", "files/s", "logins/s", "LIST/s", "MLSD/s", "sessions/s"}
"""The metrics whose higher figure is the better one (times are lower)."""


def formatNumber(value):
    """
    @param value: a figure.
    @return: it formatted with sensible precision.
    """
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def summarise(runner):
    """
    Medians per server and metric.

    @param runner: the L{bench.run.Runner} after its C{measure}.
    @return: scenario name to server name to metric to median.
    """
    medians = {}
    for scenario, servers in runner.results.items():
        for server, entry in servers.items():
            samples = entry["samples"]
            metrics = samples[0].keys() if samples else ()
            medians.setdefault(scenario, {})[server] = {
                m: statistics.median(s[m] for s in samples) for m in metrics}
    return medians


def _perRound(entry, metric):
    """
    @param entry: a server's results for one scenario.
    @param metric: a metric's name.
    @return: round number to that round's sample of C{metric}.
    """
    return {r: sample[metric]
            for r, sample in zip(entry.get("rounds", ()), entry["samples"])
            if r is not None and metric in sample}


def compareWithPeers(results, names, metric):
    """
    How each ftpkit compares with the best other server on one metric:
    the ratio of medians, and the ratio of the worst round (each round's
    ftpkit sample against that round's best peer sample).

    @param results: one scenario's results, server name to entry.
    @param names: the servers, in table order.
    @param metric: the metric's name.
    @return: C{(ftpkit name, best peer, ratio, worst round ratio or None)}
        for each ftpkit measured (none when there is no peer). A ratio is
        above 1 when ftpkit is better, whichever way the metric goes.
    """
    higher = metric in HIGHER
    pick = max if higher else min
    peers = {n: _perRound(results[n], metric) for n in names
             if not n.startswith("ftpkit") and n in results}
    peers = {n: rounds for n, rounds in peers.items() if rounds}
    found = []
    for name in names:
        if not name.startswith("ftpkit") or name not in results:
            continue
        ours = _perRound(results[name], metric)
        if not ours or not peers:
            continue
        medians = {n: statistics.median(r.values()) for n, r in peers.items()}
        best = pick(medians, key=medians.get)
        mine = statistics.median(ours.values())
        if not medians[best] or not mine:
            continue
        rounds = []
        for r, value in ours.items():
            theirs = [p[r] for p in peers.values() if r in p]
            if theirs and pick(theirs) and value:
                rounds.append(_better(value, pick(theirs), higher))
        found.append((name, best, _better(mine, medians[best], higher),
                      min(rounds) if rounds else None))
    return found


def _better(ours, theirs, higher):
    """
    @param ours: ftpkit's figure.
    @param theirs: another server's.
    @param higher: whether a higher figure is better.
    @return: how many times better ftpkit is (below 1 when worse).
    """
    return ours / theirs if higher else theirs / ours


def bestPeerLines(results, names, metric):
    """
    @param results: one scenario's results, server name to entry.
    @param names: the servers, in table order.
    @param metric: the metric's name.
    @return: report lines from L{compareWithPeers}, ftpkit's figure over
        the best peer's as measured (below 1 is worse for a higher-better
        metric, better for a lower-better one).
    """
    higher = metric in HIGHER
    lines = []
    for name, best, ratio, worst in compareWithPeers(results, names, metric):
        if not higher:
            ratio = 1 / ratio
            worst = None if worst is None else 1 / worst
        text = f"  {name} / best peer ({best}): {ratio:.2f}x"
        if worst is not None:
            text += f", worst round {worst:.2f}x"
        lines.append(text)
    return lines


def table(runner, medians):
    """
    The report: one table per scenario and metric.

    @param runner: the L{bench.run.Runner}.
    @param medians: from L{summarise}.
    @return: the text.
    """
    names = [s.name for s in runner.servers]
    args = runner.args
    fields = {"big": args.big_mib, "files": args.files,
              "entries": args.entries,
              "clients": args.clients, "sessions": args.sessions,
              "slow": formatNumber(args.slow_seconds)}
    lines = []
    for scenario in runner.scenarios():
        results = runner.results.get(scenario.name, {})
        lines.append(f"== {scenario.name}: {scenario.title.format(**fields)}"
                     f" ==")
        metrics = []
        for server in names:
            for m in medians.get(scenario.name, {}).get(server, {}):
                if m not in metrics:
                    metrics.append(m)
        for metric in metrics:
            better = "higher" if metric in HIGHER else "lower"
            lines.append(f"{metric} ({better} is better)")
            wide = max([11] + [len(n) + 1 for n in names])
            header = f"  {'server':<{wide}} {'median':>9} {'min-max':>17}"
            header += "".join(f" {'/' + n:>{wide}}" for n in names)
            lines.append(header)
            for server in names:
                samples = [s[metric] for s in
                           results.get(server, {}).get("samples", [])
                           if metric in s]
                if not samples:
                    lines.append(f"  {server:<{wide}} {'-':>9}")
                    continue
                median = statistics.median(samples)
                spread = f"{formatNumber(min(samples))}-{formatNumber(max(samples))}"
                row = (f"  {server:<{wide}} {formatNumber(median):>9}"
                       f" {spread:>17}")
                for other in names:
                    theirs = medians.get(scenario.name, {}).get(
                        other, {}).get(metric)
                    if other == server or not theirs:
                        row += f" {'':>{wide}}"
                    else:
                        row += f" {median / theirs:>{wide - 1}.2f}x"
                lines.append(row)
            lines.extend(bestPeerLines(results, names, metric))
        for server in names:
            for error in results.get(server, {}).get("errors", []):
                lines.append(f"  ! {server}: {error}")
        lines.append("")
    return "\n".join(lines)
