"""
C{MLSD} and C{MLST} (RFC 3659 facts) from L{FileInfo} values, as pure
functions: one entry's facts (L{formatFacts}), a listing's
(L{formatMLSD}), the C{perm} fact (L{permissions}), the C{MLST} line of
C{FEAT} (L{mlstFeature}), and a listing's batches (L{FactsFormat}) from
those or straight from C{os.stat} results, the same bytes either way.

L{ftpkit.protocol.listing} gives these names too, as it did when it held
them.
"""

import functools

from ftpkit.fileinfo import (
    BLOCK_DEVICE,
    CHARACTER_DEVICE,
    DIRECTORY,
    FIFO,
    FILE,
    LINK,
    SOCKET,
)
from ftpkit.protocol import modeaccess
from ftpkit.protocol.commands import MLST_FACTS
from ftpkit.protocol.listingdates import (
    DAYS,
    TIMEVAL_MINUTES,
    TIMEVAL_SECONDS,
    dayTexts,
    modifyFact,
    wholeSecond,
)
from ftpkit.protocol.listinglines import (
    PLAIN,
    byName,
    encodeLines,
    kindOfMode,
    typeOf,
)
from ftpkit.protocol.modeaccess import EVERYTHING, accessBits, allowedBy
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


_MLST_TYPES = {FILE: "file", DIRECTORY: "dir", LINK: "OS.unix=symlink",
               FIFO: "OS.unix=fifo", SOCKET: "OS.unix=socket",
               CHARACTER_DEVICE: "OS.unix=chr", BLOCK_DEVICE: "OS.unix=blk"}
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
    return _factsLine(name, info, tuple(facts), perm, typeName, {})


def _factsLine(name, info, facts, perm, typeName, modified):
    """
    Format one line as L{formatFacts} does.

    @param facts: the facts, a L{tuple}.
    @param modified: the date cache of
        L{ftpkit.protocol.listingdates.modifyFact}.
    """
    directory = info.isDirectory
    mtime = info.mtime
    uid, gid, owner, group = info.uid, info.gid, info.owner, info.group
    return _factsTemplate(facts, not directory, bool(info.unique),
                          mtime is not None,
                          _ownersLeft(uid, gid, owner, group)).format(
        typeName or _MLST_TYPES.get(typeOf(info.kind, info.special),
                                    "OS.unix=other"),
        "" if directory else str(info.size),
        "" if mtime is None else modifyFact(mtime, modified),
        perm,
        info.unique,
        f"{info.mode & 0o7777:04o}",
        name,
        uid, owner, gid, group,
    )


def _ownersLeft(uid, gid, owner, group):
    """
    @param uid: a user id, or C{None}.
    @param gid: a group id, or C{None}.
    @param owner: the user's name.
    @param group: the group's name.
    @return: the mask of the facts of L{OWNER_FACTS} that cannot be given
        for them (L{_OWNER_BITS}).
    """
    return ((uid is None) | (not isFactValue(owner)) << 1
            | (gid is None) << 2 | (not isFactValue(group)) << 3)


_OWNER_BITS = {fact: 1 << index for index, fact in enumerate(OWNER_FACTS)}
"""Each fact of L{OWNER_FACTS}'s bit in a mask of L{_ownersLeft}."""


_FACT_FIELDS = {
    "type": 0, "size": 1, "modify": 2, "perm": 3, "unique": 4, "unix.mode": 5,
    "unix.owner": 7, "unix.ownername": 8, "unix.group": 9,
    "unix.groupname": 10,
}  # fmt: skip
"""Each fact's argument to a template of L{_factsTemplate}; 6 is the name."""


@functools.lru_cache(maxsize=64)
def _factsTemplate(facts, withSize, withUnique, withModify=True,
                   ownersLeft=0):
    """
    Make the L{str.format} template of the lines L{formatFacts} gives
    (remembered: a listing has few kinds of line).

    @param facts: the facts selected, a L{tuple}.
    @param withSize: whether the C{size} fact is given.
    @param withUnique: whether the C{unique} fact is given.
    @param withModify: whether the C{modify} fact is given.
    @param ownersLeft: the mask of the facts of L{OWNER_FACTS} not given
        (L{_ownersLeft}).
    @return: the template, taking the fields of L{_FACT_FIELDS} and the
        name.
    """
    left = {"size": not withSize, "unique": not withUnique,
            "modify": not withModify}
    for fact, bit in _OWNER_BITS.items():
        left[fact] = bool(ownersLeft & bit)
    return "".join(
        f"{_FACT_NAMES.get(fact, fact)}={{{_FACT_FIELDS[fact]}}};"
        for fact in facts
        if fact in _FACT_FIELDS and not left.get(fact)
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
        _factsLine(name, info, facts, permFor(info), None, modified)
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
    return _letters(info, maskOf(writable), held)


def _letters(info, mask, held):
    """
    L{permissions}, given a mask.
    """
    return _permissionLetters(
        typeOf(info.kind, info.special), mask,
        not (held and info.kind == FILE and _isHeldMode(info.mode)),
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


def _isHeldMode(mode):
    """
    @param mode: a regular file's mode (its permission bits will do),
        or C{None}.
    @return: whether a user who downloads only world-readable files
        (L{ftpkit.shells.held.WORLD_READABLE}) cannot download it.
    """
    return not (mode or 0) & 0o004


_SPECIAL = frozenset({FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE})


@functools.lru_cache(maxsize=256)
def _permissionLetters(kind, mask, readable=True, bits=EVERYTHING):
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
    Format the C{MLST} line of the C{FEAT} reply (RFC 3659 section 7.8).

    @param selected: the facts currently selected.
    @return: e.g. C{"MLST type*;size*;modify*;perm*;unique*;UNIX.mode*;"}
        and the facts of L{OWNER_FACTS}, a star marking each selected
        fact.
    """
    return "MLST " + "".join(
        f"{factName(fact)}{'*' if fact in selected else ''};"
        for fact in FACTS
    )


class FactsFormat:
    """
    How C{MLSD} formats the batches of one listing: each batch sorted by
    name, as L{formatMLSD} does with L{permissions}; facts not selected
    are not computed.
    """

    def __init__(self, facts, writable, held=False, exceptions=None):
        """
        @param facts: the facts to give, as for L{formatFacts}.
        @param writable: the mask of the entries, or whether the user may
            change them (see L{permissions}).
        @param held: as for L{permissions}.
        @param exceptions: a C{dict} from the names of the entries whose
            mask differs from C{writable}'s to their masks, or C{None}
            (see L{ftpkit.interfaces.IFTPShellPermitted.permittedIn}).
        """
        self._facts = tuple(facts)
        self._owners = tuple(fact for fact in self._facts
                             if fact in OWNER_FACTS)
        self._owned = {}
        self._writable = maskOf(writable)
        self._exceptions = exceptions or None
        self._masked = {}
        self._held = held
        self._dates = DAYS
        self._modify = "modify" in self._facts
        self._unique = "unique" in self._facts
        self._pieces = {}
        self._piecesAs = ({}, {}, {})
        self._devices = {}

    def cacheKey(self):
        """
        What the lines of L{stats} depend on besides the entries, for a
        cache of them (L{ftpkit.shells.listingcache}): the facts, the
        masks, and the process's credentials, whose mode bits narrow the
        C{perm} fact (L{ftpkit.protocol.modeaccess}).

        @return: a hashable key.
        """
        exceptions = self._exceptions
        return ("MLSD", self._facts, self._writable, self._held,
                frozenset(exceptions.items()) if exceptions else None,
                modeaccess.credentials())

    def cacheStamp(self):
        """
        @return: C{None}: the lines do not depend on the time (so the
            cache keeps no times for L{linesKept}).
        """
        return None

    def linesKept(self, stamp, mtimes):
        """
        @param stamp: what L{cacheStamp} gave.
        @param mtimes: the sorted modification times of the entries.
        @return: C{True}: lines of the same L{cacheKey} never change with
            the time.
        """
        return True

    def entries(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in any order.
        @return: their C{MLSD} lines, sorted by name.
        """
        if self._exceptions:
            return self._oneByOne(batch, FactsFormat._entries)
        return self._entries(batch)

    def _entries(self, batch):
        """
        L{entries}, every entry with this format's mask.
        """
        facts, writable, dates = self._facts, self._writable, self._dates
        held = self._held
        return encodeLines([
            _factsLine(name, info, facts, _letters(info, writable, held),
                       None, dates)
            for name, info in sorted(batch, key=byName)
        ])

    def _oneByOne(self, batch, format):
        """
        Format a batch holding exceptions an entry at a time, each with
        its mask, so that a batch without any pays nothing for them.

        @param batch: what L{entries} or L{stats} takes.
        @param format: L{_entries} or L{_stats} (with their other
            arguments bound), called with a format and a batch.
        @return: the lines, sorted by name.
        """
        exceptions, parts = self._exceptions, []
        for pair in sorted(batch, key=byName):
            mask = exceptions.get(pair[0])
            if mask is None:
                own = self
            else:
                own = self._masked.get(mask)
                if own is None:
                    own = self._masked[mask] = FactsFormat(
                        self._facts, mask, self._held)
            parts.append(format(own, [pair]))
        return b"".join(parts)

    def stats(self, batch, owner, group):
        """
        Format a batch straight from C{os.stat} results.

        @param batch: C{(name, result)} pairs, in any order: each
            C{result} an C{os.stat} result (C{st_mode}, C{st_size},
            C{st_mtime}, C{st_dev}, C{st_ino}), its mode giving its kind
            (L{ftpkit.fileinfo.kindOf}).
        @param owner: gives the name of a user id (the C{UNIX.ownername}
            fact).
        @param group: gives the name of a group id (C{UNIX.groupname}).
        @return: what L{entries} gives for the C{FileInfo} values of those
            results, whose C{unique} is C{"DEVgINO"} (device and inode in
            hexadecimal), C{uid} and C{gid} the result's, and C{owner} and
            C{group} the names of those, as the filesystem shell's are.
            The facts are in L{FACTS}' order (which C{OPTS MLST} keeps).
        """
        if self._exceptions:
            return self._oneByOne(batch, lambda own, pairs: own._stats(
                pairs, owner, group))
        return self._stats(batch, owner, group)

    def _stats(self, batch, owner, group):
        """
        L{stats}, every entry with this format's mask.
        """
        pieces, dates, devices = self._pieces, self._dates, self._devices
        modify, unique = self._modify, self._unique
        owners, ownedBy = self._owners, self._owned
        # The process's bits on an entry (modeaccess.accessBits) follow
        # from its mode and whether the process is its owner, in its group
        # or neither: its line's pieces are kept by mode in one table for
        # each of the three (a process the modes do not bind has one).
        creds = modeaccess.credentials()
        if creds is not None:
            uid, groups = creds
            owned, grouped, others = self._piecesAs
        # The facts' parts, each put in the line as it is: "" when the
        # fact is not given.
        modified = device = inode = ""
        # The modify fact of the last second formatted, kept: entries
        # sorted by name are often made in turn, seconds apart or less.
        lastWhole = None
        # The owner facts of the last user and group, kept likewise: the
        # entries of a directory mostly have one owner. A listing without
        # them formats its lines as before they were known.
        lastUid = lastGid = None
        lines = []
        add = lines.append
        for name, result in sorted(batch, key=byName):
            mode = result.st_mode
            table = pieces
            if creds is not None:
                if result.st_uid == uid:
                    table = owned
                elif result.st_gid in groups:
                    table = grouped
                else:
                    table = others
            around = table.get(mode)
            if around is None:
                around = table[mode] = self._around(
                    mode, accessBits(mode, result.st_uid, result.st_gid,
                                     creds))
            first, sized, second, third, last = around
            if modify:
                # wholeSecond, inline: see listinglines.PLAIN.
                mtime = result.st_mtime
                if 0.0 <= mtime < PLAIN and mtime % 1.0 < 0.999:
                    whole = int(mtime)
                else:
                    whole = wholeSecond(mtime)
                if whole != lastWhole:
                    lastWhole = whole
                    day = whole // 86400
                    seconds = whole % 86400
                    modified = ((dates.get(day) or dayTexts(day, dates))[2]
                                + TIMEVAL_MINUTES[seconds // 60]
                                + TIMEVAL_SECONDS[seconds % 60])
            if unique:
                device = result.st_dev
                device = devices.get(device) or _device(devices, device)
                inode = "%x" % result.st_ino
            if not owners:
                add(f"{first}{result.st_size if sized else ''}{second}"
                    f"{modified}{third}{device}"
                    f"{inode}{last}{name}")
                continue
            if result.st_uid != lastUid or result.st_gid != lastGid:
                lastUid, lastGid = ids = result.st_uid, result.st_gid
                ownerText = ownedBy.get(ids) or _ownedText(
                    ownedBy, ids, owners, owner, group)
            add(f"{first}{result.st_size if sized else ''}{second}"
                f"{modified}{third}{device}"
                f"{inode}{last}{ownerText}{name}")
        return encodeLines(lines)

    def _around(self, mode, bits=EVERYTHING):
        """
        @param mode: an C{st_mode}.
        @param bits: the serving process's bits on the entries
            (L{ftpkit.protocol.modeaccess.accessBits}).
        @return: C{(first, sized, second, third, last)}: the text of the
            lines of entries with that mode before the size, whether the
            size is given, and the texts between the size, the C{modify}
            fact, the C{unique} fact and the name, or the facts of
            L{OWNER_FACTS} where any is selected (L{_ownedText}) (each
            C{""} where the fact around it is not given).
        """
        kind = kindOfMode(mode)
        directory = kind == DIRECTORY
        sized = "size" in self._facts and not directory
        cut = "\0"
        facts = self._facts
        if self._owners:
            facts = tuple(fact for fact in facts if fact not in OWNER_FACTS)
        texts = iter(_factsTemplate(facts, not directory, True).format(
            _MLST_TYPES.get(kind, "OS.unix=other"), cut, cut,
            _permissionLetters(kind, self._writable, not (
                self._held and kind == FILE and _isHeldMode(mode)), bits),
            cut,
            f"{mode & 0o7777:04o}", cut).split(cut))
        first, second, third, last = (
            next(texts) if given else ""
            for given in (sized, self._modify, self._unique, True))
        if self._owners:
            # The space before the name ends the owner facts instead.
            last = last[:-1]
        return first, sized, second, third, last


def _ownedText(texts, ids, facts, owner, group):
    """
    @param texts: the texts of L{_ownedText} so far, by C{ids}.
    @param ids: a user id and a group id.
    @param facts: the facts of L{OWNER_FACTS} selected, in their order.
    @param owner: gives the name of a user id.
    @param group: gives the name of a group id.
    @return: those facts of the ids, and the space before an entry's name,
        remembered in C{texts}.
    """
    uid, gid = ids
    ownerName, groupName = owner(uid), group(gid)
    left = _ownersLeft(uid, gid, ownerName, groupName)
    values = {"unix.owner": uid, "unix.ownername": ownerName,
              "unix.group": gid, "unix.groupname": groupName}
    text = texts[ids] = "".join(
        f"{factName(fact)}={values[fact]};" for fact in facts
        if not left & _OWNER_BITS[fact]) + " "
    return text


def _device(devices, device):
    """
    @param devices: the texts of L{_device} so far, by device.
    @param device: an C{st_dev}.
    @return: the start of the C{unique} fact of its entries,
        C{"DEVg"}, remembered in C{devices}.
    """
    text = devices[device] = f"{device:x}g"
    return text
