"""
Uploads a benchmark run is done with, kept out of the way until the whole
benchmark ends.

Removing a run's uploads at once slows the next run's: on ext4 without a
journal (as on the benchmark machine), creating a file scans past every
inode of its block group freed in the last minute or two (the kernel's
C{recently_deleted} check), and thousands freed by the previous run cost
each new file hundreds of microseconds of the server's CPU, whichever
server it is. So a run's directory is moved aside, and removed with the
benchmark's temporary directory at the end.
"""

import os
import time


def setAside(directory, spent):
    """
    Move a directory of finished uploads into C{spent}.

    @param directory: the directory to move.
    @param spent: where it goes (made if missing), under a new numbered
        name; removed by the caller once the benchmark is over.
    @return: the directory's new path.
    """
    os.makedirs(spent, exist_ok=True)
    for number in range(len(os.listdir(spent)), 1 << 31):
        target = os.path.join(spent, str(number))
        if not os.path.exists(target):
            os.rename(directory, target)
            return target


CREATE_WARNING = 100e-6
"""CPU seconds per file created above which L{createCost} is worth a
warning: tens of microseconds on a file system without recently freed
inodes (a few on tmpfs), hundreds where thousands were freed."""


def createCost(directory, files=200):
    """
    Measure what creating a file costs in C{directory} now.

    @param directory: an existing directory; the empty files made there
        are left in a subdirectory of it (removing them would add to the
        cost measured).
    @param files: how many files to create.
    @return: CPU seconds (this process's, system time included) per file.
    """
    probe = os.path.join(directory, "create-probe")
    os.mkdir(probe)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    start = time.process_time()
    for n in range(files):
        os.close(os.open(os.path.join(probe, str(n)), flags, 0o644))
    return (time.process_time() - start) / files
