"""
C{python -m bench.listfloor}: what reading a large directory costs in
Python on this machine, with no server around it: the floor under the
server CPU per listing that C{python -m bench.cpuperop --only
list,mlsd,nlst} measures.

In one process, one thread, on the directory C{bench.cpuperop} lists
(C{--entries} files with sizes and times of their own), the CPU time
(user and system) of:

  - C{listdir}: C{os.listdir} and a sort of the names (what C{NLST}
    needs);
  - C{scandir+lstat by path}: C{os.scandir} of the path and an C{lstat}
    of each entry, which walks the whole path again for each;
  - C{scandir+lstat by fd}: the same through a descriptor of the
    directory, each C{lstat} an C{fstatat} of one name (what ftpkit's
    filesystem shell does);
  - C{ftpkit LIST} and C{ftpkit MLSD}: ftpkit's listing thread's whole
    work for those (L{ftpkit.shells.disklistings.formatStats}, batch by
    batch): reading as above, then sorting and formatting each batch.

Each is run C{--repeat} times, alternating; the minimum and median are
printed in milliseconds.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from bench.cpuperop import makeDirectory
from ftpkit.protocol.listing import ListFormat
from ftpkit.protocol.listingfacts import DEFAULT_FACTS, FactsFormat
from ftpkit.shells.disklistings import OpenDirectory, formatStats
from ftpkit.shells.listings import BATCH_SIZE


def _listdir(path):
    sorted(os.listdir(path))


def _scandirByPath(path):
    with os.scandir(path) as entries:
        [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]


def _scandirByDescriptor(path):
    with OpenDirectory(path) as entries:
        [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]


def _formatted(makeFormat):
    """
    @param makeFormat: makes the listing's format.
    @return: a measured function reading and formatting a whole listing.
    """
    def run(path):
        format = makeFormat()
        with OpenDirectory(path) as directory:
            while formatStats(directory, _itself, BATCH_SIZE,
                              format)[0] == BATCH_SIZE:
                pass
    return run


def _itself(path, result):
    return result


MEASURED = (
    ("listdir", _listdir),
    ("scandir+lstat by path", _scandirByPath),
    ("scandir+lstat by fd", _scandirByDescriptor),
    ("ftpkit LIST", _formatted(lambda: ListFormat(time.time()))),
    ("ftpkit MLSD", _formatted(lambda: FactsFormat(DEFAULT_FACTS, True))),
)


def main(argv=None):
    """
    Measure and print.

    @param argv: command-line arguments.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench.listfloor",
        description="CPU time of reading a directory in Python, one"
        " process, no server.")
    parser.add_argument("--entries", type=int, default=10000,
                        help="entries in the directory (default 10000)")
    parser.add_argument("--repeat", type=int, default=30,
                        help="runs of each (default 30)")
    parser.add_argument("--tmp", metavar="DIR",
                        help="where the directory goes (default: $TMPDIR)")
    args = parser.parse_args(argv)
    if args.entries < 1 or args.repeat < 1:
        parser.error("--entries and --repeat must be at least 1")
    workdir = tempfile.mkdtemp(prefix="ftpkit-listfloor-", dir=args.tmp)
    try:
        path = os.path.join(workdir, "many")
        makeDirectory(path, args.entries)
        samples = {name: [] for name, _ in MEASURED}
        for _ in range(args.repeat):
            for name, function in MEASURED:
                start = time.process_time()
                function(path)
                samples[name].append(time.process_time() - start)
        print(f"CPU ms per listing of {args.entries} entries, one process"
              f" (min, median of {args.repeat})")
        for name, values in samples.items():
            print(f"  {name:22} {min(values) * 1e3:7.1f}"
                  f" {statistics.median(values) * 1e3:7.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
