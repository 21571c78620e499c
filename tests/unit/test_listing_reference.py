"""
L{ftpkit.protocol.listing} gives the same bytes as a plain reference
formatter (each date formatted from its own C{datetime}, each line with
one f-string), whatever the entries: its caches and tables change the
speed, never the output. Its batch formats give the same bytes from
C{os.stat} results as from the L{FileInfo} values the filesystem shell
makes of them.
"""

import stat
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.fileinfo import (
    BLOCK_DEVICE,
    CHARACTER_DEVICE,
    DIRECTORY,
    FIFO,
    FILE,
    LINK,
    OTHER,
    SOCKET,
    FileInfo,
)
from ftpkit.protocol.commands import formatTimeval, utcDatetime
from ftpkit.protocol.listing import ListFormat, NamesFormat, formatListing
from ftpkit.protocol.listingfacts import FACTS, FactsFormat, formatMLSD, permissions
from ftpkit.protocol.replies import encodeText
from ftpkit.shells import disklistings

NOW = 1_795_000_000.0
"""A time in 2026."""

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def referenceMode(kind, mode, special=""):
    """
    @return: the C{ls -l} mode string of a kind (and what an L{OTHER}
        entry is) and permission bits.
    """
    text = {DIRECTORY: "d", LINK: "l"}.get(kind, "-")
    if kind == OTHER:
        text = {FIFO: "p", SOCKET: "s", CHARACTER_DEVICE: "c",
                BLOCK_DEVICE: "b"}.get(special, "-")
    for shift, special, letter in ((6, 0o4000, "s"), (3, 0o2000, "s"),
                                   (0, 0o1000, "t")):
        bits = mode >> shift
        text += "r" if bits & 4 else "-"
        text += "w" if bits & 2 else "-"
        if mode & special:
            text += letter if bits & 1 else letter.upper()
        else:
            text += "x" if bits & 1 else "-"
    return text


def referenceListLine(name, info, now):
    """
    @return: the C{LIST} line of an entry.
    """
    mtime = now if info.mtime is None else info.mtime
    when = utcDatetime(mtime)
    date = f"{_MONTHS[when.month - 1]} {when.day:2d}"
    if now - 180 * 86400 <= mtime <= now + 3600:
        date += f" {when.hour:02d}:{when.minute:02d}"
    else:
        date += f"  {when.year:4d}"
    if info.kind == LINK:
        # ls -l's arrow; a link with no target to show leads to itself.
        target = info.target
        shown = target and not set(target) & {"\r", "\n"}
        name = f"{name} -> {target if shown else name}"
    return (f"{referenceMode(info.kind, info.mode, info.special)}"
            f" {info.nlink:3d}"
            f" {info.owner:<8} {info.group:<8} {info.size:8d} {date} {name}")


def referenceFactsLine(name, info, facts, writable):
    """
    @return: the C{MLSD} line of an entry.
    """
    special = info.kind == OTHER and info.special in (
        FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE)
    if special:
        typeName = "OS.unix=" + {FIFO: "fifo", SOCKET: "socket",
                                 CHARACTER_DEVICE: "chr",
                                 BLOCK_DEVICE: "blk"}[info.special]
        perm = "dfw" * writable
    else:
        typeName = {FILE: "file", DIRECTORY: "dir",
                    LINK: "OS.unix=symlink"}.get(info.kind, "OS.unix=other")
        perm = ("el" + "cdfmp" * writable if info.isDirectory
                else "df" * writable if info.kind == LINK
                else "r" + "adfw" * writable)
    values = {
        "type": typeName,
        "size": None if info.isDirectory else str(info.size),
        "modify": None if info.mtime is None else formatTimeval(info.mtime),
        "perm": "".join(sorted(perm)),
        "unique": info.unique or None,
        "unix.mode": f"{info.mode & 0o7777:04o}",
        "unix.owner": None if info.uid is None else str(info.uid),
        "unix.ownername": referenceFactValue(info.owner),
        "unix.group": None if info.gid is None else str(info.gid),
        "unix.groupname": referenceFactValue(info.group),
    }
    return "".join(
        f"{fact.replace('unix.', 'UNIX.')}={values[fact]};"
        for fact in facts if values[fact] is not None) + " " + name


def referenceFactValue(text):
    """
    @return: C{text} when RFC 3659's grammar lets it be a fact's value
        (printable, neither C{";"} nor a space, not empty), else C{None}.
    """
    if not text or any(not c.isprintable() or c in " ;" for c in text):
        return None
    return text


def referenceBody(lines):
    """
    @return: the lines without CR or LF, each encoded and ended with CRLF.
    """
    return b"".join(line.encode("utf-8", "surrogateescape") + b"\r\n"
                    for line in lines if "\r" not in line and "\n" not in line)


names = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
        ["\udcff", "\r", "\n", " "]), min_size=1, max_size=12)

times = st.one_of(
    st.floats(NOW - 400 * 86400, NOW + 2 * 86400),
    st.integers(-10**11, 10**12).map(float),
    st.sampled_from([NOW - 180 * 86400, NOW - 180 * 86400 - 0.0005,
                     NOW + 3600, NOW + 3600.0004, 1e20, -1e20,
                     float("nan"), 0.9995, -0.0004, 86399.9996,
                     # Where the recent dates end for a current time of
                     # 2**60 + 1, which a float cannot hold.
                     float(2**60 + 1 - 180 * 86400),
                     float(2**60 + 1 + 3600)]),
    st.integers(0, 2**31).map(lambda seconds: seconds + 0.9991),
)

infos = st.builds(
    FileInfo,
    kind=st.sampled_from([FILE, DIRECTORY, LINK, OTHER]),
    size=st.integers(0, 10**13),
    mtime=times | st.none(),
    mode=st.integers(0, 0o7777),
    nlink=st.integers(0, 10**5),
    owner=st.text(max_size=10),
    group=st.text(max_size=10),
    uid=st.none() | st.integers(0, 2**32 - 1),
    gid=st.none() | st.integers(0, 2**32 - 1),
    unique=st.sampled_from(["", "803g1a2b", "fe01g7"]),
    special=st.sampled_from(["", FIFO, SOCKET, CHARACTER_DEVICE,
                             BLOCK_DEVICE]),
)

entries = st.lists(st.tuples(names, infos), max_size=30)


class ReferenceTests(SynchronousTestCase):
    """
    Listings match the reference formatter byte for byte.
    """

    @settings(max_examples=150)
    @given(entries)
    def test_list(self, entries):
        """
        L{formatListing} gives the reference's C{LIST} lines.
        """
        self.assertEqual(
            formatListing(entries, NOW),
            referenceBody(referenceListLine(name, info, NOW)
                          for name, info in entries))

    @settings(max_examples=150)
    @given(entries, st.lists(st.sampled_from(FACTS), unique=True),
           st.booleans())
    def test_mlsd(self, entries, facts, writable):
        """
        L{formatMLSD} gives the reference's C{MLSD} lines.
        """
        facts = [fact for fact in FACTS if fact in facts]
        self.assertEqual(
            formatMLSD(entries, facts,
                       lambda info: permissions(info, writable)),
            referenceBody(referenceFactsLine(name, info, facts, writable)
                          for name, info in entries))


    @settings(max_examples=150)
    @given(st.lists(names | st.sampled_from(["\ud800", "a\udfffb"]),
                    unique=True),
           st.sampled_from(["", "sub/", "a\rb/", "\udcff/", "\ud800/"]))
    def test_names(self, listed, prefix):
        """
        L{NamesFormat.names} gives each name after the prefix, sorted,
        leaving out lines holding CR or LF, each line encoded by
        L{encodeText} (which replaces what cannot be encoded).
        """
        lines = [prefix + name for name in sorted(listed)]
        self.assertEqual(
            NamesFormat(prefix).names(listed),
            b"".join(encodeText(line) + b"\r\n" for line in lines
                     if "\r" not in line and "\n" not in line))


statResults = st.builds(
    SimpleNamespace,
    st_mode=st.sampled_from([stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK,
                             stat.S_IFIFO, stat.S_IFSOCK, stat.S_IFCHR,
                             stat.S_IFBLK]).flatmap(
        lambda kind: st.integers(0, 0o7777).map(lambda bits: kind | bits)),
    st_nlink=st.integers(0, 10**5),
    st_uid=st.sampled_from([0, 1, 65534, 4242]),
    st_gid=st.sampled_from([0, 1, 65534, 4242]),
    st_size=st.integers(0, 10**13),
    st_mtime=times,
    st_dev=st.integers(0, 2**64 - 1),
    st_ino=st.integers(0, 2**64 - 1),
    # What the disk realm's results of links it does not follow carry
    # (ftpkit.shells.diskpaths.LinkStat); other kinds' is not shown.
    target=st.none() | st.sampled_from(["", "x", "../up", "a -> b", "c\rd",
                                        "/out\udcff"]),
)

batches = st.lists(st.tuples(names, statResults), max_size=30,
                   unique_by=lambda pair: pair[0])


def owner(uid):
    """
    @return: a name for a user id, padded or not.
    """
    return {0: "root", 1: "a-very-long-owner", 4242: "with space"}.get(
        uid, str(uid))


def group(gid):
    """
    @return: a name for a group id.
    """
    return {0: "wheel", 1: ""}.get(gid, str(gid))


class StatFormatTests(SynchronousTestCase):
    """
    The batch formats give the same bytes from C{os.stat} results
    (C{stats}) as from the L{FileInfo} values made of them (C{entries}),
    batch after batch.
    """

    def setUp(self):
        self.patch(disklistings, "ownerName", owner)
        self.patch(disklistings, "groupName", group)

    def check(self, makeFormat, batches):
        """
        Format each batch both ways, each way with one format object.
        """
        fromStats, fromInfos = makeFormat(), makeFormat()
        for batch in batches:
            infos = [(name, disklistings.describe(result))
                     for name, result in batch]
            self.assertEqual(fromStats.stats(list(batch), owner, group),
                             fromInfos.entries(infos))

    @settings(max_examples=150)
    @given(st.lists(batches, max_size=3))
    def test_list(self, batches):
        """
        L{ListFormat.stats} gives what L{ListFormat.entries} gives.
        """
        self.check(lambda: ListFormat(NOW), batches)

    @settings(max_examples=150)
    @given(st.lists(batches, max_size=3),
           st.one_of(st.integers(-2**70, 2**70), st.sampled_from(
               [2**60 + 1, -(2**60) - 1, 1_795_000_000]), st.floats(
                   allow_nan=False, allow_infinity=False)))
    def test_listAnyNow(self, batches, now):
        """
        L{ListFormat.stats} gives what L{ListFormat.entries} gives
        whatever the current time, an L{int} (one a float cannot hold
        exactly among them) or a L{float}.
        """
        self.check(lambda: ListFormat(now), batches)

    @settings(max_examples=150)
    @given(st.lists(batches, max_size=3),
           st.lists(st.sampled_from(FACTS), unique=True), st.booleans())
    def test_mlsd(self, batches, facts, writable):
        """
        L{FactsFormat.stats} gives what L{FactsFormat.entries} gives.
        """
        facts = [fact for fact in FACTS if fact in facts]
        self.check(lambda: FactsFormat(facts, writable), batches)

    @given(st.lists(batches, max_size=3), st.sampled_from(["", "sub/"]))
    def test_names(self, batches, prefix):
        """
        L{NamesFormat.stats} gives what L{NamesFormat.entries} gives.
        """
        self.check(lambda: NamesFormat(prefix), batches)

    @given(st.lists(names, unique=True), st.sampled_from(["", "sub/"]))
    def test_namesInOnePiece(self, listed, prefix):
        """
        L{NamesFormat.names} gives what L{NamesFormat.entries} gives for
        the same names as one batch.
        """
        self.assertEqual(
            NamesFormat(prefix).names(listed),
            NamesFormat(prefix).entries([(name, None) for name in listed]))

    def test_sortedByName(self):
        """
        Each batch is sent sorted by name, however it was read.
        """
        result = SimpleNamespace(st_mode=stat.S_IFREG | 0o644, st_nlink=1,
                                 st_uid=0, st_gid=0, st_size=0,
                                 st_mtime=NOW, st_dev=1, st_ino=2)
        body = NamesFormat().stats([("b", result), ("a", result)], owner,
                                   group)
        self.assertEqual(body, b"a\r\nb\r\n")
        body = ListFormat(NOW).stats([("b", result), ("a", result)], owner,
                                     group)
        self.assertEqual([line[-1:] for line in body.splitlines()],
                         [b"a", b"b"])
