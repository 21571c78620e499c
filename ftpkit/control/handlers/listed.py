"""
What the argument of C{LIST}, C{NLST} or C{STAT} names: a directory, a
file, or (L{ftpkit.protocol.globbing}) the entries a wildcard matches.

The argument may start with C{ls} options (C{LIST -la dir}); a name that
starts with C{"-"} and exists as written is taken as that name, so that
clients sending C{LIST -dir} for a directory called C{-dir} (the Go FTP
library rclone uses does) get its listing rather than the current
directory's; but not the option clusters clients send alone (C{-a},
C{-la}: L{optionsAlone}), so that an uploaded file named C{-a} does not
replace what C{LIST -a} shows.

C{LIST} and C{STAT} take C{-d} as C{ls -d}: a directory the argument
names is shown as one entry, named as written (C{"."} for the current
directory), not listed, as ProFTPD and Pure-FTPd do; C{NLST} ignores it,
as they do. A pattern's matches are shown as entries with or without it.

A pattern is matched in a thread, in the client address's turn: matching
costs some microseconds per name (L{globbing.translate} keeps it to a
name's length, where C{fnmatch}'s took up to a name's length times the
pattern's), a fraction of a second over a directory of tens of thousands
of entries, which the reactor thread would spend serving nobody else.

Where the shell's listing names its entries a batch at a time
(L{INameListing}), C{NLST} of a directory and a pattern of any listing
command go through the directory that way, a batch at a time (each batch
matched, and its matches alone described); a pattern over another shell
that lists in batches is matched a batch of entries at a time: a client
that stalls such a listing holds a batch of the directory, not all of it.
Where the listings' cache watches the directory (a local directory's
listing, L{IStatListing}: its C{watched}) and the command says in which
format (C{LIST}), a pattern's matches are that listing filtered by the
pattern (L{globbing.NameMatch}), formatted where it is read: from the
cache as the directory's own listing is (its lines kept under the
pattern, or its entries kept), with the same rules of change, or read
for it as a C{LIST} of the directory is (every entry's C{lstat} the
first time, then none). Elsewhere the names are matched first, and the
matches alone described, as above.
"""

from dataclasses import dataclass
from functools import partial

from ftpkit.errors import FTPError, NoSuchFile
from ftpkit.interfaces import (
    IFTPShellListSome,
    IFTPShellNames,
    IFTPShellStreamedListing,
    INameListing,
    IStatListing,
)
from ftpkit.protocol import globbing, paths
from ftpkit.protocol.commands import optionsAlone, splitListArgument
from ftpkit.shells.listings import (
    FilteredListing,
    MatchedEntries,
    MatchedListing,
    StartedListing,
    openListing,
)


@dataclass(frozen=True)
class Listed:
    """
    The entries a listing command shows.

    @ivar path: the directory listed, the file named, or the directory a
        pattern was matched in.
    @ivar entries: C{(name, info)} pairs, or names only when asked for;
        or an L{ftpkit.interfaces.IDirectoryListing} of pairs (see
        L{findListed}).
    @ivar prefix: for a pattern, its directory as the client wrote it
        (C{"sub/"}, C{""}), which C{NLST} puts before each name so that a
        client can fetch what it was sent; C{None} otherwise.
    @ivar isDirectory: whether C{path} is a directory (listed whole, or
        where a pattern was matched) rather than the one entry shown (a
        file, or a directory under C{-d}).
    @ivar text: the path as the client wrote it, without C{ls} options.
    @ivar options: the C{ls} option letters taken from the argument
        (L{splitListArgument}): C{""} for none, and for an argument
        taken as a path as written (a name starting with C{"-"}).
    """

    path: tuple
    entries: list
    prefix: str = None
    isDirectory: bool = True
    text: str = ""
    options: str = ""


async def _literal(shell, cwd, argument):
    """
    @param argument: a listing command's argument starting with C{"-"}.
    @return: the path C{argument} names as written, if it exists and so
        does its first segment, the name starting with C{"-"} (C{-d
        sub/..} resolves to the current directory, but names no C{-d
        sub}); C{None} otherwise.
    """
    first = argument.split("/", 1)[0]
    try:
        path = paths.resolve(cwd, argument)
        if first != argument:
            await shell.stat(paths.resolve(cwd, first))
        await shell.stat(path)
    except FTPError:
        return None
    return path


async def _entries(shell, path, namesOnly, streamed, turn):
    """
    @param streamed: give an L{ftpkit.interfaces.IDirectoryListing}
        instead of a list (but for names from L{IFTPShellNames}, asked
        for only when the shell's listing does not name its entries).
    @param turn: the L{ftpkit.control.turns.Turn} the shell is asked in.
    @return: a directory's C{(name, info)} pairs, or its names (for
        C{namesOnly} and C{streamed}, maybe an L{INameListing} to read
        them from).
    """
    if (namesOnly and streamed
            and IFTPShellStreamedListing.providedBy(shell)):
        opened = await turn.call(openListing, shell, path)
        if INameListing.providedBy(opened) or not IFTPShellNames.providedBy(
                shell):
            return turn.listing(opened)
        opened.close()
    if namesOnly and IFTPShellNames.providedBy(shell):
        return await turn.call(shell.listNames, path)
    if streamed:
        return turn.listing(await turn.call(openListing, shell, path))
    if namesOnly:
        return [name for name, _ in await turn.call(shell.list, path)]
    return await turn.call(shell.list, path)


async def _openedAsDirectory(shell, path, namesOnly, turn):
    """
    Open a path's listing as a directory's, before anything tells what it
    names: the listing's open fails for what is no directory
    (L{IFTPShellStreamedListing.openListing}), so a directory, what most
    listings name (the current one, most of all), is listed in one
    thread hand-off rather than a C{stat} and then the open.

    Only where the shell lists in batches, whose open is documented to
    fail for a file, and for a path holding no pattern. A failed open is
    given back, not raised: the C{stat} that follows decides, as if the
    open had not been tried (a file's line, C{NoSuchFile}, the stat's
    refusal), and for a directory the open's failure is the answer, as
    it was when the C{stat} came first; the open is never made twice, so
    a shell whose open breaks its contract gets one line in the log.

    @param turn: as for L{_entries}.
    @return: C{(entries, None)}, C{entries} as L{_entries} gives them for
        C{streamed}; C{(None, failure)} when the open failed with the
        L{FTPError} C{failure}; C{(None, None)} where the shell does not
        list in batches.
    """
    if not IFTPShellStreamedListing.providedBy(shell):
        return None, None
    try:
        return await _entries(shell, path, namesOnly, True, turn), None
    except FTPError as failure:
        return None, failure


async def _formattedMatches(listing, pattern, format):
    """
    Filter a listing that formats its own batches by a pattern, and read
    its first batch holding a match.

    @param listing: the directory's L{IStatListing}, each batch read in
        the session's turn.
    @param pattern: the pattern.
    @param format: the format its batches are read in.
    @return: the matches, an L{IStatListing} (L{StartedListing}) whose
        first batch was read; C{[]} when nothing matched.
    """
    matching = FilteredListing(listing, globbing.NameMatch(pattern),
                               pure=True)
    try:
        first = b""
        while first == b"":
            first = await matching.nextFormattedBatch(format)
    except BaseException:
        matching.close()
        raise
    if first is None:
        matching.close()
        return []
    return StartedListing(first, matching)


async def _streamedMatches(shell, directory, pattern, namesOnly, turn,
                           inThread, format=None):
    """
    Match a pattern over a directory a batch at a time, where the shell
    lists in batches (L{IFTPShellStreamedListing}): a batch of names at a
    time (L{MatchedListing}) where its listing names the entries and,
    unless C{namesOnly}, the shell describes some entries
    (L{IFTPShellListSome}); else a batch of entries at a time
    (L{MatchedEntries}).

    @param turn: as for L{_entries}.
    @param inThread: as for L{findListed}.
    @param format: the format L{findListed}'s C{formatFor} gives, or
        C{None}.
    @return: an L{ftpkit.interfaces.IDirectoryListing} of the matches
        (maybe C{(name, None)} pairs for C{namesOnly}; formatting its own
        batches in C{format}, L{_formattedMatches}, where the listings'
        cache watches the directory), each batch read in C{turn}; C{[]}
        when nothing matched;
        C{None} where the shell does not list in batches.
    """
    if not IFTPShellStreamedListing.providedBy(shell):
        return None
    opened = await turn.call(openListing, shell, directory)
    if (format is not None and not namesOnly
            and IStatListing.providedBy(opened)
            and getattr(opened, "watched", False)):
        return await _formattedMatches(turn.listing(opened), pattern, format)
    match = partial(inThread, globbing.matchNames, pattern)
    if INameListing.providedBy(opened) and namesOnly:
        matching = MatchedListing(opened, match, None)
    elif (INameListing.providedBy(opened)
          and IFTPShellListSome.providedBy(shell)):
        matching = MatchedListing(opened, match,
                                  partial(shell.listSome, directory))
    else:
        matching = MatchedEntries(opened, match)
    listing = turn.listing(matching)
    try:
        first = await listing.nextBatch()
    except BaseException:
        listing.close()
        raise
    if not first:
        listing.close()
        return []
    return StartedListing(first, listing)


def _match(pattern, names, turn, inThread):
    """
    Pick the names a pattern matches (L{globbing.matchNames}) in a thread,
    in C{turn}.

    @param turn: as for L{_entries}.
    @param inThread: as for L{findListed}.
    @return: a L{Deferred} firing with the matching names, in their order.
    """
    return turn.call(inThread, globbing.matchNames, pattern, names)


async def _matches(shell, directory, pattern, turn, inThread):
    """
    Describe the entries of a directory a pattern matches: where the
    shell can, it names the entries (L{IFTPShellNames}), and only the
    matches are described (L{IFTPShellListSome}), not the whole directory.

    @param turn: as for L{_entries}.
    @param inThread: as for L{findListed}.
    @return: their C{(name, info)} pairs, in the order C{list} gives.
    """
    if IFTPShellNames.providedBy(shell) and IFTPShellListSome.providedBy(
            shell):
        names = await _match(
            pattern, await turn.call(shell.listNames, directory), turn,
            inThread)
        return (await turn.call(shell.listSome, directory, names)
                if names else [])
    pairs = await turn.call(shell.list, directory)
    chosen = set(await _match(pattern, [name for name, _ in pairs], turn,
                              inThread))
    return [pair for pair in pairs if pair[0] in chosen]


async def findListed(shell, cwd, argument, turn, inThread, namesOnly=False,
                     streamed=False, directoryOption=False, split=None,
                     formatFor=None):
    """
    Find what a C{LIST}, C{NLST} or C{STAT} argument names.

    @param shell: the session's L{ftpkit.interfaces.IFTPShell}.
    @param cwd: the current directory, a tuple of segments.
    @param argument: the command's argument text.
    @param turn: the L{ftpkit.control.turns.Turn} in which the shell is
        asked for a directory's entries (a streamed listing's batches
        too): the session's, so that no client address takes more than
        its turn.
    @param inThread: runs C{function(*args)} in a thread and returns a
        L{Deferred} of its result (how a pattern is matched): the
        session's C{inThread}.
    @param namesOnly: give names instead of C{(name, info)} pairs.
    @param streamed: a whole directory's entries are an
        L{ftpkit.interfaces.IDirectoryListing} of C{(name, info)} pairs
        (L{ftpkit.shells.listings.openListing}) rather than a list, unless
        the shell names them (L{IFTPShellNames}) for C{namesOnly} and its
        listing does not (L{INameListing}: for C{namesOnly}, read its
        names alone); so are a pattern's matches where the listing names
        them (C{(name, None)} pairs for C{namesOnly}).
    @param directoryOption: take C{-d} among the options as C{ls -d}: a
        directory named by a path (no pattern) is its one entry, named as
        the client wrote it (C{"."} for none), as a file is.
    @param split: C{argument} as L{splitListArgument} splits it, where the
        caller split it already (C{NLST}, which reads its options first),
        so that it is not split twice; C{None} to split it here.
    @param formatFor: with C{streamed}, a function of the option letters
        taken (L{Listed.options}: C{""} for a name starting with C{"-"}
        taken as written, whatever C{split} says) giving the format a
        pattern's matches are read in where the listings' cache watches
        the directory (L{_formattedMatches}): their entries then an
        L{IStatListing} whose first batch was formatted in it; C{None}
        (or giving C{None}), for a command that reads entries. The
        format is chosen from the options decided here, so that it is
        the one the caller sends the entries in, even where the name
        taken as written is gone by the time it is looked at again.
    @return: a L{Listed}.
    @raise FTPError: L{NoSuchFile} when nothing exists there and no
        entry matches the pattern; what the shell raises otherwise.
    """
    letters, pathText = (splitListArgument(argument) if split is None
                         else split)
    path = None
    if (pathText != argument and argument.startswith("-")
            and not optionsAlone(argument)):
        path = await _literal(shell, cwd, argument)
        if path is not None:
            pathText, letters = argument, ""
    if path is None:
        path = paths.resolve(cwd, pathText)
    itself = directoryOption and "d" in letters
    openFailed = None
    if (streamed and not itself
            and globbing.splitPattern(pathText) is None):
        entries, openFailed = await _openedAsDirectory(shell, path,
                                                       namesOnly, turn)
        if entries is not None:
            return Listed(path, entries, text=pathText, options=letters)
    try:
        info = await shell.stat(path)
    except NoSuchFile:
        split = globbing.splitPattern(pathText)
        if split is None:
            raise
        directoryText, pattern = split
        directory = paths.resolve(cwd, directoryText)
        entries = None
        if streamed:
            entries = await _streamedMatches(
                shell, directory, pattern, namesOnly, turn, inThread,
                None if formatFor is None else formatFor(letters))
        if entries is None and namesOnly:
            entries = await _match(
                pattern, await _entries(shell, directory, True, False, turn),
                turn, inThread)
        elif entries is None:
            entries = await _matches(shell, directory, pattern, turn,
                                     inThread)
        if not entries:
            raise
        return Listed(directory, entries, directoryText, text=pathText,
                      options=letters)
    if info.isDirectory and not itself:
        if openFailed is not None:
            raise openFailed
        return Listed(path, await _entries(shell, path, namesOnly, streamed,
                                           turn),
                      text=pathText, options=letters)
    name = (pathText or ".") if info.isDirectory else paths.basename(path)
    return Listed(path, [name if namesOnly else (name, info)],
                  isDirectory=False, text=pathText, options=letters)
