"""
C{MLSD} batches (L{FactsFormat}): a listing's lines of RFC 3659 facts
formatted a batch at a time, from L{FileInfo} values or straight from
C{os.stat} results, the same bytes either way, and keyed for the
listings' cache. The facts of one entry, a whole listing, the C{perm}
fact and the C{MLST} line of C{FEAT} are L{ftpkit.protocol.factlines}',
whose names this module gives too, as it did when it held them
(L{formatFacts}, L{formatMLSD}, L{permissions}, L{mlstFeature}...).

L{ftpkit.protocol.listing} gives these names too, as it did when it held
them.
"""

from ftpkit.fileinfo import DIRECTORY, FILE
from ftpkit.protocol import modeaccess
from ftpkit.protocol.factlines import (  # noqa: F401 (importable from here, as before factlines)
    DEFAULT_FACTS,
    FACTS,
    MLST_TYPES,
    OWNER_BITS,
    OWNER_FACTS,
    factName,
    factsLine,
    factsTemplate,
    formatFacts,
    formatMLSD,
    isFactValue,
    isHeldMode,
    maskOf,
    mlstFeature,
    ownersLeft,
    permissionLetters,
    permissions,
    permLetters,
)
from ftpkit.protocol.listingdates import (
    DAYS,
    TIMEVAL_MINUTES,
    TIMEVAL_SECONDS,
    dayTexts,
    wholeSecond,
)
from ftpkit.protocol.listinglines import PLAIN, byName, encodeLines, kindOfMode
from ftpkit.protocol.modeaccess import EVERYTHING, accessBits


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
            factsLine(name, info, facts, permLetters(info, writable, held),
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
        texts = iter(factsTemplate(facts, not directory, True).format(
            MLST_TYPES.get(kind, "OS.unix=other"), cut, cut,
            permissionLetters(kind, self._writable, not (
                self._held and kind == FILE and isHeldMode(mode)), bits),
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
    left = ownersLeft(uid, gid, ownerName, groupName)
    values = {"unix.owner": uid, "unix.ownername": ownerName,
              "unix.group": gid, "unix.groupname": groupName}
    text = texts[ids] = "".join(
        f"{factName(fact)}={values[fact]};" for fact in facts
        if not left & OWNER_BITS[fact]) + " "
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
