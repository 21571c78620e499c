"""
The order C{ls -t} and C{ls -r} give a listing (C{LIST -lt}, C{LIST
-ltr}, C{LIST -r}), as pure functions: newest first under C{-t}, the
order reversed under C{-r}, as GNU C{ls}, ProFTPD, Pure-FTPd and vsftpd
sort. Users type C{ls -lt} in lftp and tnftp, which pass it on, to find
the newest file; without these options a listing is sorted by name.
"""

from ftpkit.protocol.listing import ListFormat

SORT_LIMIT = 10000
"""The most entries a listing is sorted by time or reversed for: such a
listing is read whole before a line is sent (a larger one is sent in
name order, batch by batch, as without the options)."""

SORT_BUDGET = 100000
"""The most entries the listings sorted by time or reversed of a server
hold at once: ten at L{SORT_LIMIT}, shared among the processes of
C{--workers} (L{processBudget}). Each is held until its data connection
has taken it, so sessions that ask and never read held a whole directory
each (some 5 MB for 10,000 long names), with no bound over the
server."""


def processBudget(workers):
    """
    The entries one process's L{SortBudget} has: L{SORT_BUDGET} divided
    among the processes serving sessions side by side, each counting its
    own sessions' listings, so that the server holds no more with
    C{--workers} than with one process; never less than L{SORT_LIMIT},
    so that each can sort the largest listing it sorts.

    @param workers: how many processes serve sessions (C{--workers}).
    @return: the entries.
    """
    return max(SORT_LIMIT, SORT_BUDGET // max(1, workers))


def isOrdered(letters):
    """
    @param letters: a listing command's C{ls} option letters
        (L{ftpkit.protocol.commands.splitListArgument}).
    @return: whether they ask for another order than by name: C{t} or
        C{r}.
    """
    return "t" in letters or "r" in letters


def _newestFirst(entry):
    name, info = entry
    # An unknown time (None) sorts as the oldest.
    return (-(info.mtime or 0.0), name)


def ordered(entries, letters):
    """
    Put a listing in C{ls}'s order for its options.

    @param entries: C{(name, info)} pairs, in any order; C{info} an
        L{ftpkit.fileinfo.FileInfo}.
    @param letters: the option letters (L{isOrdered}).
    @return: a new list: newest first under C{t} (entries of the same
        time by name), by name otherwise; reversed under C{r}.
    """
    if "t" in letters:
        result = sorted(entries, key=_newestFirst)
    else:
        result = sorted(entries, key=lambda entry: entry[0])
    if "r" in letters:
        result.reverse()
    return result


class SortBudget:
    """
    The entries that listings read whole to be sorted may hold, over
    every session of a process: a listing takes its part before it
    reads, and gives it back once sent. One that finds too little left
    is sent in name order, batch by batch, as one over L{SORT_LIMIT} is.

    @ivar free: the entries not taken.
    """

    def __init__(self, total=SORT_BUDGET):
        """
        @param total: the entries there are to take.
        """
        self.free = total

    def take(self, wanted):
        """
        @param wanted: the most entries a listing may hold.
        @return: how many it may hold: C{wanted}, or what is left if less
            (then taken away from L{free}).
        """
        taken = min(wanted, self.free)
        self.free -= taken
        return taken

    def give(self, count):
        """
        @param count: entries taken with L{take} and held no more.
        """
        self.free += count


class OrderedFormat(ListFormat):
    """
    How C{LIST} formats the batches of a listing already in the order its
    options ask for (L{ordered}): each batch in the order it comes in,
    not sorted by name, as the data connection takes it.
    """

    def entries(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in the listing's order.
        @return: their C{LIST} lines, in that order.
        """
        return self.inOrder(batch)
