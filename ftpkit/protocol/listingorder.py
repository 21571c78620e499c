"""
The order C{ls -t} and C{ls -r} give a listing (C{LIST -lt}, C{LIST
-ltr}, C{LIST -r}), as pure functions: newest first under C{-t}, the
order reversed under C{-r}, as GNU C{ls}, ProFTPD, Pure-FTPd and vsftpd
sort. Users type C{ls -lt} in lftp and tnftp, which pass it on, to find
the newest file; without these options a listing is sorted by name.
"""

SORT_LIMIT = 10000
"""The most entries a listing is sorted by time or reversed for: such a
listing is read whole before a line is sent (a larger one is sent in
name order, batch by batch, as without the options)."""


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
