"""
What one command's path lookups cost on a bounded C{fsspec:memory://}
realm as the store grows: the time of the shell's calls behind C{CWD},
C{SIZE}, C{RETR} and C{STOR} of a small file, C{LIST} of a directory of
100 and C{DELE}, C{MKD} + C{RMD} of an empty directory and C{RNTO} of
a made directory, through the realm's whole stack (the bound, the kept
uploads), on stores of C{--files} files in directories of 100 each
(with C{--directories}, as many directories made by C{MKD} besides, in
one directory)::

    python -m bench.memorylookups [--files 10000 100000] [--repeat 200] \
        [--directories]

Each figure is the median over C{--repeat} commands, in microseconds.
"""

import argparse
import statistics
import time

from twisted.internet import defer, task

from bench.memoryrenames import fill


def operations(shell):
    """
    @param shell: a logged-in user's shell on a store L{fill}ed.
    @return: C{(name, make)} pairs: C{make(turn)} starts the shell calls of
        one command and gives their Deferred.
    """
    from ftpkit.testing import readFile, writeFile

    return (
        ("CWD", lambda turn: shell.stat(("tree", "d0050"))),
        ("SIZE", lambda turn: shell.stat(("tree", "d0050", "f05017"))),
        ("RETR", lambda turn: readFile(shell, ("small", "f3"))),
        ("STOR", lambda turn: writeFile(shell, ("up", f"u{turn}"), b"u")),
        ("LIST", lambda turn: shell.list(("tree", "d0050"))),
        ("DELE", lambda turn: shell.removeFile(("up", f"u{turn}"))),
        ("MKD+RMD", lambda turn: shell.makeDirectory(
            ("made", "new")).addCallback(
                lambda _: shell.removeDirectory(("made", "new")))),
        ("RNTO dir", lambda turn: shell.rename(
            ("made", f"m{turn:06d}"), ("made", f"r{turn:06d}"))),
    )


@defer.inlineCallbacks
def measure(reactor, sizes, repeat, directories=False):
    """
    Print the median time of each command of L{operations} on stores of
    each size of C{sizes}.

    @param directories: make as many directories as files besides.
    """
    import fsspec

    from ftpkit.auth.fsspecrealm import FsspecRealm
    from ftpkit.interfaces import IFTPShell

    print(f"{'files':>8s} " + " ".join(f"{name:>9s}" for name, _ in
                                       operations(None)) + "  (us)")
    for files in sizes:
        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        fill(fs, files)
        fs.mkdir("/up")
        fs.mkdir("/made")
        fs.pseudo_dirs.extend(f"/made/m{number:06d}" for number in range(
            max(files, repeat) if directories else repeat))
        realm = FsspecRealm(lambda fs=fs: fs, "", maxBytes=1 << 30)
        _, shell, _ = yield realm.requestAvatar("alice", None, IFTPShell)
        spent = {}
        for name, make in operations(shell):
            times = []
            for turn in range(repeat):
                started = time.perf_counter()
                yield make(turn)
                times.append(time.perf_counter() - started)
            spent[name] = statistics.median(times)
        print(f"{files:8d} " + " ".join(f"{spent[name] * 1e6:9.0f}"
                                        for name, _ in operations(None)))


def main():
    """
    Parse the options and measure.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, nargs="+",
                        default=[10000, 100000])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--directories", action="store_true")
    options = parser.parse_args()
    task.react(lambda reactor: measure(reactor, options.files,
                                       options.repeat, options.directories))


if __name__ == "__main__":
    main()
