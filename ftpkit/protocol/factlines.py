"""
The RFC 3659 facts of L{FileInfo} values, as pure functions: one entry's
C{MLSD} line or C{MLST} entry (L{formatFacts}), a listing's
(L{formatMLSD}), the C{perm} fact (L{permissions}) and the C{MLST} line
of C{FEAT} (L{mlstFeature}), and the pieces they are made of, which
L{ftpkit.protocol.listingfacts.FactsFormat} formats a listing's batches
with, from those values or straight from C{os.stat} results.

L{ftpkit.protocol.listingfacts} and L{ftpkit.protocol.listing} give these
names too, as they did when they held them.
"""

import functools

from ftpkit import fileinfo
from ftpkit.fileinfo import DIRECTORY, FILE, LINK
from ftpkit.protocol.commands import MLST_FACTS
from ftpkit.protocol.listingdates import modifyFact
from ftpkit.protocol.listinglines import (
    encodeLines,
    typeOf,
)
from ftpkit.protocol.modeaccess import EVERYTHING, allowedBy
from ftpkit.protocol.permletters import ALL, LOOK

FACTS = MLST_FACTS
"""The facts C{MLST}/C{MLSD} can give, lower-case, in canonical order."""


OWNER_FACTS = ("unix.owner", "unix.ownername", "unix.group",
               "unix.groupname")
"""The facts of an entry's owner and group, as ProFTPD names them: the
user and group ids (L{FileInfo.uid}, L{FileInfo.gid}) and their names
(L{FileInfo.owner}, L{FileInfo.group}, those C{LIST} shows); last of
L{FACTS}."""


DEFAULT_FACTS = tuple(fact for fact in FACTS if fact not in OWNER_FACTS)
"""The facts selected until the client says otherwise with C{OPTS MLST}:
all but those of L{OWNER_FACTS}, which ProFTPD selects too. The clients
that show owners mostly ask for them with C{OPTS MLST} when C{FEAT}
lists them unselected (lftp asks for C{UNIX.owner} and C{UNIX.group},
FileZilla 3 for all four; WinSCP never sends the command); every other
listing would carry their bytes for nothing,
and a listing's bytes are most of what C{MLSD} costs
(C{docs/benchmark-investigations.rst}, C{bench-mlsdowner-46})."""


_FACT_NAMES = {"unix.mode": "UNIX.mode", "unix.owner": "UNIX.owner",
               "unix.ownername": "UNIX.ownername", "unix.group": "UNIX.group",
               "unix.groupname": "UNIX.groupname"}


def factName(fact):
    """
    @param fact: a fact of L{FACTS}, lower-case.
    @return: its name as the server writes it (C{"UNIX.mode"} for
        C{"unix.mode"}).
    """
    return _FACT_NAMES.get(fact, fact)


@functools.lru_cache(maxsize=256)
def isFactValue(text):
    """
    @param text: a name to give as a fact's value.
    @return: whether it may be one (RFC 3659 section 7.2: no C{";"}, no
        space, nothing unprintable, not empty); a name that may not is
        left out of the line, as a fact the server cannot give.
    """
    return bool(text) and text.isprintable() and not (
        " " in text or ";" in text)


MLST_TYPES = {FILE: "file", DIRECTORY: "dir", LINK: "OS.unix=symlink",
              fileinfo.FIFO: "OS.unix=fifo", fileinfo.SOCKET: "OS.unix=socket",
              fileinfo.CHARACTER_DEVICE: "OS.unix=chr",
              fileinfo.BLOCK_DEVICE: "OS.unix=blk"}
"""The C{type} fact (RFC 3659 section 7.5.1) by kind or, for an L{OTHER}
entry, by what it is: C{OS.unix=} and the names of RFC 3659's examples
(C{chr}, C{blk}) and of other servers (C{fifo}, C{socket}), which
clients recognise; C{OS.unix=other} for the rest."""


def formatFacts(name, info, facts, perm, typeName=None):
    """
    Format one C{MLSD} line or C{MLST} entry (RFC 3659 section 7.2):
    C{"type=file;size=1234;modify=20261125130100;perm=adfrw; name"}.

    @param name: the entry's name (or path, for C{MLST}).
    @param info: the entry's L{FileInfo}.
    @param facts: the facts to give, lower-case, in the order to give them.
    @param perm: the value of the C{perm} fact, see L{permissions}.
    @param typeName: the C{type} value to give instead of the one C{info}
        implies: C{"cdir"} or C{"pdir"}.
    @return: the facts, each ending in C{";"}, a space and the name. The
        C{size} fact is left out for directories, C{unique} when the shell
        gave none, C{modify} when the time is not known (C{mtime} C{None}:
        RFC 3659 section 7 lets a server leave out a fact it cannot give
        for an entry), C{UNIX.owner} and C{UNIX.group} when the shell
        gave no id (L{FileInfo.uid}, L{FileInfo.gid}), C{UNIX.ownername}
        and C{UNIX.groupname} when the name may not be a fact's value
        (L{isFactValue}).
    """
    return factsLine(name, info, tuple(facts), perm, typeName, {})


def factsLine(name, info, facts, perm, typeName, modified):
    """
    Format one line as L{formatFacts} does.

    @param name: as L{formatFacts} takes it.
    @param info: likewise.
    @param facts: the facts, a L{tuple}.
    @param perm: as L{formatFacts} takes it.
    @param typeName: likewise, or C{None}.
    @param modified: the date cache of
        L{ftpkit.protocol.listingdates.modifyFact}.
    @return: what L{formatFacts} gives.
    """
    directory = info.isDirectory
    mtime = info.mtime
    uid, gid, owner, group = info.uid, info.gid, info.owner, info.group
    return factsTemplate(facts, not directory, bool(info.unique),
                          mtime is not None,
                          ownersLeft(uid, gid, owner, group)).format(
        typeName or MLST_TYPES.get(typeOf(info.kind, info.special),
                                    "OS.unix=other"),
        "" if directory else str(info.size),
        "" if mtime is None else modifyFact(mtime, modified),
        perm,
        info.unique,
        f"{info.mode & 0o7777:04o}",
        name,
        uid, owner, gid, group,
    )


def ownersLeft(uid, gid, owner, group):
    """
    @param uid: a user id, or C{None}.
    @param gid: a group id, or C{None}.
    @param owner: the user's name.
    @param group: the group's name.
    @return: the mask of the facts of L{OWNER_FACTS} that cannot be given
        for them (L{OWNER_BITS}).
    """
    return ((uid is None) | (not isFactValue(owner)) << 1
            | (gid is None) << 2 | (not isFactValue(group)) << 3)


OWNER_BITS = {fact: 1 << index for index, fact in enumerate(OWNER_FACTS)}
"""Each fact of L{OWNER_FACTS}'s bit in a mask of L{ownersLeft}."""


FACT_FIELDS = {
    "type": 0, "size": 1, "modify": 2, "perm": 3, "unique": 4, "unix.mode": 5,
    "unix.owner": 7, "unix.ownername": 8, "unix.group": 9,
    "unix.groupname": 10,
}  # fmt: skip
"""Each fact's argument to a template of L{factsTemplate}; 6 is the name."""


@functools.lru_cache(maxsize=64)
def factsTemplate(facts, withSize, withUnique, withModify=True,
                   ownersLeft=0):
    """
    Make the L{str.format} template of the lines L{formatFacts} gives
    (remembered: a listing has few kinds of line).

    @param facts: the facts selected, a L{tuple}.
    @param withSize: whether the C{size} fact is given.
    @param withUnique: whether the C{unique} fact is given.
    @param withModify: whether the C{modify} fact is given.
    @param ownersLeft: the mask of the facts of L{OWNER_FACTS} not given
        (L{ownersLeft}).
    @return: the template, taking the fields of L{FACT_FIELDS} and the
        name.
    """
    left = {"size": not withSize, "unique": not withUnique,
            "modify": not withModify}
    for fact, bit in OWNER_BITS.items():
        left[fact] = bool(ownersLeft & bit)
    return "".join(
        f"{_FACT_NAMES.get(fact, fact)}={{{FACT_FIELDS[fact]}}};"
        for fact in facts
        if fact in FACT_FIELDS and not left.get(fact)
    ) + " {6}"


def formatMLSD(entries, facts, permFor):
    """
    Format the data sent for C{MLSD}.

    @param entries: C{(name, info)} pairs, in the order to send them.
    @param facts: the facts to give, as for L{formatFacts}.
    @param permFor: a callable taking a L{FileInfo} and returning its
        C{perm} fact.
    @return: one L{formatFacts} line per entry, each ending in CRLF.
    """
    facts = tuple(facts)
    modified = {}
    return encodeLines([
        factsLine(name, info, facts, permFor(info), None, modified)
        for name, info in entries
    ])


def permissions(info, writable, held=False):
    """
    Compute the C{perm} fact (RFC 3659 section 7.5.5).

    @param info: the entry's L{FileInfo}.
    @param writable: the mask of the letters the user may be shown
        (L{ftpkit.protocol.permletters}); or C{True}, whether the user
        may change it (L{ALL}), C{False} (L{LOOK}).
    @param held: whether the user downloads only world-readable regular
        files (C{--hold-anonymous-uploads}, L{ftpkit.shells.held}).
    @return: for a directory C{"el"}, plus C{"cdfmp"} (create, delete,
        rename, make directory, purge) when writable; for a FIFO, socket
        or device (which cannot be read or appended to) nothing, or
        C{"dfw"} (delete, rename, store) when writable; for a symbolic
        link the shell does not follow (L{LINK}: one leading outside the
        root, nowhere, or in a loop) nothing, or C{"df"} when writable:
        C{DELE} removes the link itself and C{RNFR} and C{RNTO} rename
        it (on the disk realm and C{file://} alike), and every other
        command would follow it (C{RETR}, C{STOR}, C{APPE}); for
        anything else
        C{"r"} (but for a held file: a regular file that is not
        world-readable when C{held}), plus C{"adfw"} (append, delete,
        rename, store) when writable; of these, those C{writable}'s mask
        holds and the serving process's mode bits allow
        (L{FileInfo.access}, L{ftpkit.protocol.modeaccess.allowedBy});
        letters in alphabetical order.
    """
    return permLetters(info, maskOf(writable), held)


def permLetters(info, mask, held):
    """
    L{permissions}, given a mask.

    @param info: the entry's L{FileInfo}.
    @param mask: the letters the user may be shown (L{maskOf}).
    @param held: as L{permissions} takes it.
    @return: what L{permissions} gives.
    """
    return permissionLetters(
        typeOf(info.kind, info.special), mask,
        not (held and info.kind == FILE and isHeldMode(info.mode)),
        EVERYTHING if info.access is None else info.access)


def maskOf(writable):
    """
    @param writable: a mask, or C{True} or C{False} (see L{permissions}).
    @return: the mask.
    """
    if writable is True:
        return ALL
    if writable is False:
        return LOOK
    return writable


def isHeldMode(mode):
    """
    @param mode: a regular file's mode (its permission bits will do),
        or C{None}.
    @return: whether a user who downloads only world-readable files
        (L{ftpkit.shells.held.WORLD_READABLE}) cannot download it.
    """
    return not (mode or 0) & 0o004


_SPECIAL = frozenset({fileinfo.FIFO, fileinfo.SOCKET,
                      fileinfo.CHARACTER_DEVICE, fileinfo.BLOCK_DEVICE})


@functools.lru_cache(maxsize=256)
def permissionLetters(kind, mask, readable=True, bits=EVERYTHING):
    """
    @param kind: what L{typeOf} gives.
    @param mask: the letters the user may be shown.
    @param readable: whether an entry that is neither a directory nor
        special may be read.
    @param bits: the serving process's bits on the entry
        (L{ftpkit.protocol.modeaccess.accessBits}).
    @return: the letters of L{permissions}, sorted (remembered: there are
        few answers).
    """
    if bits != EVERYTHING:
        mask = mask & allowedBy(kind, bits)
    if kind == DIRECTORY:
        letters = "cdeflmp"
    elif kind == LINK:
        letters = "df"
    elif kind in _SPECIAL:
        letters = "dfw"
    else:
        letters = "adfw" + ("r" if readable else "")
    return "".join(sorted(letter for letter in letters if letter in mask))


def mlstFeature(selected):
    """
    Format the C{MLST} line of the C{FEAT} reply (RFC 3659 section 7.8),
    once for each selection (every C{FEAT} formatted it again:
    C{bench-feat-55}).

    @param selected: the facts currently selected (C{OPTS MLST}'s,
        L{ftpkit.protocol.commands.parseOptsMLST}), any iterable of their
        names.
    @return: e.g. C{"MLST type*;size*;modify*;perm*;unique*;UNIX.mode*;"}
        and the facts of L{OWNER_FACTS}, a star marking each selected
        fact.
    """
    return _mlstFeature(frozenset(selected))


@functools.lru_cache(maxsize=64)
def _mlstFeature(selected):
    """
    L{mlstFeature}, from a C{frozenset}.
    """
    return "MLST " + "".join(
        f"{factName(fact)}{'*' if fact in selected else ''};"
        for fact in FACTS
    )
