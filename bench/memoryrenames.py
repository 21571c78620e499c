"""
What renaming a small directory costs on a bounded C{fsspec:memory://}
realm holding a large tree beside it: the fsspec calls made (C{find},
C{ls}, C{info}, C{mv}) and the time, for the rename and for the upload
after it, which pays for any measurement of the whole store the rename
left behind, and for a second upload, which pays for none::

    python -m bench.memoryrenames [--files 10000] [--repeat 5]
"""

import argparse
import time
from collections import Counter

from twisted.internet import defer, task

COUNTED = ("find", "ls", "info", "mv", "cp_file", "rm_file", "rm")
"""The fsspec methods counted."""


def counting(fs, counts):
    """
    Count the calls of L{COUNTED} made on C{fs} (its own calls included).

    @param fs: an fsspec filesystem.
    @param counts: a L{Counter} the calls are counted in, by name.
    """
    for name in COUNTED:
        method = getattr(fs, name)

        def counted(*args, _method=method, _name=name, **kwargs):
            counts[_name] += 1
            return _method(*args, **kwargs)

        setattr(fs, name, counted)


def fill(fs, files):
    """
    Put C{files} empty files in directories of 100 under C{/tree}, and a
    directory C{/small} of 10 files, outside the realm.
    """
    for number in range(files):
        fs.pipe_file(f"/tree/d{number // 100:04d}/f{number:05d}", b"")
    for number in range(10):
        fs.pipe_file(f"/small/f{number}", b"x")


@defer.inlineCallbacks
def measure(reactor, files, repeat):
    """
    Rename C{/small} back and forth C{repeat} times, with an upload after
    each rename, printing the calls and the time of each step.
    """
    import fsspec

    from ftpkit.auth.fsspecrealm import FsspecRealm, _du
    from ftpkit.interfaces import IFTPShell
    from ftpkit.testing import writeFile

    fs = fsspec.filesystem("memory", global_store=False,
                           skip_instance_cache=True)
    fill(fs, files)
    realm = FsspecRealm(lambda: fs, "", maxBytes=1 << 30)
    _, shell, _ = yield realm.requestAvatar("alice", None, IFTPShell)
    yield writeFile(shell, ("first",), b"")
    counts = Counter()
    counting(fs, counts)
    names = ("small", "small-renamed-longer")
    for turn in range(repeat):
        source, target = names[turn % 2], names[1 - turn % 2]
        steps = (("rename", shell.rename, (source,), (target,)),
                 ("upload", writeFile, shell, (f"u{turn}",), b"u"),
                 ("upload", writeFile, shell, (f"v{turn}",), b"v"))
        for step, call, *arguments in steps:
            counts.clear()
            started = time.perf_counter()
            yield call(*arguments)
            spent = time.perf_counter() - started
            print(f"{step:7s} {spent * 1000:8.2f} ms  "
                  + " ".join(f"{name}={counts[name]}" for name in COUNTED))
    usage = realm._storeUsage
    exact = _du(fs, "/", withKeys=True).bytes
    print(f"counted {usage.used} bytes, measured {exact}:"
          f" {'exact' if usage.used == exact else 'WRONG'}")


def main():
    """
    Parse the options and measure.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    task.react(lambda reactor: measure(reactor, options.files,
                                       options.repeat))


if __name__ == "__main__":
    main()
