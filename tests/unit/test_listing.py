"""
Tests for L{ftpkit.protocol.listing} and L{ftpkit.protocol.listingfacts}.
"""

import calendar
import locale
import os
from types import SimpleNamespace

from hypothesis import given
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
from ftpkit.protocol.listing import (
    ListFormat,
    formatListing,
    formatListLine,
    formatNameList,
)
from ftpkit.protocol.listingfacts import (
    DEFAULT_FACTS,
    FACTS,
    FactsFormat,
    formatFacts,
    formatMLSD,
    mlstFeature,
    permissions,
)

NOW = calendar.timegm((2026, 11, 25, 13, 1, 0))
DAY = 86400


def _file(**kwargs):
    """
    @param kwargs: L{FileInfo} fields to set.
    @return: a regular file's L{FileInfo}, modified an hour before L{NOW}.
    """
    fields = {
        "kind": FILE,
        "size": 1234,
        "mtime": NOW - 3600,
        "owner": "owner",
        "group": "group",
    }
    fields.update(kwargs)
    return FileInfo(**fields)


class ListLineTests(SynchronousTestCase):
    """
    Tests for L{formatListLine}.
    """

    def test_file(self):
        """
        A file gets an C{ls -l} line with a time for a recent date.
        """
        self.assertEqual(
            formatListLine("name", _file(), NOW),
            "-rw-r--r--   1 owner    group        1234 Nov 25 12:01 name",
        )

    def test_directory(self):
        """
        A directory's mode starts with C{d}.
        """
        info = _file(kind=DIRECTORY, mode=0o755, nlink=3, size=4096)
        self.assertEqual(
            formatListLine("dir", info, NOW),
            "drwxr-xr-x   3 owner    group        4096 Nov 25 12:01 dir",
        )

    def test_link(self):
        """
        A link's mode starts with C{l}.
        """
        line = formatListLine("ln", _file(kind=LINK, mode=0o777), NOW)
        self.assertTrue(line.startswith("lrwxrwxrwx "))

    def test_other(self):
        """
        Other kinds show as C{-} when the shell does not say what they are.
        """
        line = formatListLine("fifo", _file(kind=OTHER, mode=0o600), NOW)
        self.assertTrue(line.startswith("-rw------- "))

    def test_special(self):
        """
        FIFOs, sockets and devices show as C{ls -l} shows them: C{p},
        C{s}, C{c} and C{b}.
        """
        for special, letter in ((FIFO, "p"), (SOCKET, "s"),
                                (CHARACTER_DEVICE, "c"), (BLOCK_DEVICE, "b")):
            line = formatListLine(
                "x", _file(kind=OTHER, mode=0o640, special=special), NOW)
            self.assertTrue(line.startswith(letter + "rw-r----- "), line)

    def test_specialBits(self):
        """
        Setuid, setgid and sticky bits show as C{s}/C{S} and C{t}/C{T}.
        """
        cases = {
            0o4755: "-rwsr-xr-x",
            0o4644: "-rwSr--r--",
            0o2755: "-rwxr-sr-x",
            0o2745: "-rwxr-Sr-x",
            0o1777: "-rwxrwxrwt",
            0o1776: "-rwxrwxrwT",
            0o7000: "---S--S--T",
            0o0000: "----------",
        }
        for mode, expected in cases.items():
            line = formatListLine("x", _file(mode=mode), NOW)
            self.assertEqual(line.split(" ")[0], expected)

    def test_longFields(self):
        """
        Long owner names and sizes widen their columns.
        """
        info = _file(owner="a-long-owner", group="g", size=12345678901, nlink=1000)
        self.assertEqual(
            formatListLine("x", info, NOW),
            "-rw-r--r-- 1000 a-long-owner g        12345678901 Nov 25 12:01 x",
        )

    def test_nameWithSpaces(self):
        """
        The name is the rest of the line, spaces included.
        """
        self.assertTrue(formatListLine(" a b ", _file(), NOW).endswith("12:01  a b "))

    def test_oldDate(self):
        """
        A date more than 180 days ago shows the year.
        """
        mtime = calendar.timegm((2025, 5, 1, 10, 0, 0))
        line = formatListLine("x", _file(mtime=mtime), NOW)
        self.assertIn(" May  1  2025 x", line)

    def test_dateBoundaries(self):
        """
        Exactly 180 days ago and exactly an hour ahead still show the
        time; a second beyond either shows the year.
        """
        self.assertIn(
            "May 29 13:01", formatListLine("x", _file(mtime=NOW - 180 * DAY), NOW)
        )
        self.assertIn(
            "May 29  2026", formatListLine("x", _file(mtime=NOW - 180 * DAY - 1), NOW)
        )
        self.assertIn("Nov 25 14:01", formatListLine("x", _file(mtime=NOW + 3600), NOW))
        self.assertIn("Nov 25  2026", formatListLine("x", _file(mtime=NOW + 3601), NOW))

    def test_dayPadding(self):
        """
        A one-digit day is padded with a space.
        """
        mtime = calendar.timegm((2026, 11, 5, 9, 7, 0))
        self.assertIn(" Nov  5 09:07 ", formatListLine("x", _file(mtime=mtime), NOW))

    def test_englishMonthsWhateverTheLocale(self):
        """
        Month names are English even under another C{LC_TIME} locale.
        """
        previous = locale.setlocale(locale.LC_TIME)
        self.addCleanup(locale.setlocale, locale.LC_TIME, previous)
        for name in ("de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            mtime = calendar.timegm((2026, 3, 2, 0, 0, 0))
            self.assertIn(
                " Mar  2  2026 ", formatListLine("x", _file(mtime=mtime), NOW)
            )

    def test_strangeTimes(self):
        """
        Times far outside the calendar do not break a line.
        """
        for mtime in (1e20, -1e20, float("nan")):
            self.assertTrue(formatListLine("x", _file(mtime=mtime), NOW).endswith(" x"))


    def test_unknownTime(self):
        """
        An entry whose time is not known (C{mtime} C{None}: a directory
        that is only a key prefix) shows the listing's time, not 1970,
        which lftp's C{mirror} gave the directories it made.
        """
        info = _file(kind=DIRECTORY, mode=0o755, size=0, mtime=None)
        self.assertEqual(
            formatListLine("d", info, NOW),
            "drwxr-xr-x   1 owner    group           0 Nov 25 13:01 d")
        self.assertEqual(
            ListFormat(NOW).entries([("d", info)]),
            (formatListLine("d", info, NOW) + "\r\n").encode())


class ListingTests(SynchronousTestCase):
    """
    Tests for L{formatListing} and L{formatNameList}.
    """

    def test_listing(self):
        """
        Lines are CRLF-terminated, in the order given.
        """
        data = formatListing([("b", _file()), ("a", _file(size=1))], NOW)
        self.assertEqual(
            data,
            b"-rw-r--r--   1 owner    group        1234 Nov 25 12:01 b\r\n"
            b"-rw-r--r--   1 owner    group           1 Nov 25 12:01 a\r\n",
        )

    def test_empty(self):
        """
        No entries give no bytes.
        """
        self.assertEqual(formatListing([], NOW), b"")
        self.assertEqual(formatNameList([]), b"")

    def test_encoding(self):
        """
        Names are UTF-8, and undecodable names go back as their bytes.
        """
        data = formatListing([("caf\u00e9", _file()), ("caf\udce9", _file())], NOW)
        self.assertEqual(data.count(b"\r\n"), 2)
        self.assertIn(b" caf\xc3\xa9\r\n", data)
        self.assertTrue(data.endswith(b" caf\xe9\r\n"))
        self.assertEqual(
            formatNameList(["caf\u00e9", "caf\udce9"]), b"caf\xc3\xa9\r\ncaf\xe9\r\n"
        )

    def test_unencodableSurrogate(self):
        """
        A surrogate standing for no byte becomes C{?} instead of raising.
        """
        self.assertEqual(formatNameList(["a\ud800"]), b"a?\r\n")

    def test_lineBreaksSkipped(self):
        """
        Names holding CR or LF are left out.
        """
        entries = [("a\rb", _file()), ("ok", _file()), ("c\nd", _file())]
        data = formatListing(entries, NOW)
        self.assertEqual(data.count(b"\r\n"), 1)
        self.assertTrue(data.endswith(b" ok\r\n"))
        self.assertEqual(formatNameList(["a\rb", "ok", "c\nd"]), b"ok\r\n")

    @given(st.lists(st.text(alphabet=st.characters(exclude_categories=()))))
    def test_oneLinePerRepresentableName(self, names):
        """
        NLST gives exactly one line per name without CR or LF.
        """
        data = formatNameList(names)
        wanted = [name for name in names if "\r" not in name and "\n" not in name]
        self.assertEqual(data.count(b"\r\n"), len(wanted))
        self.assertEqual(data.count(b"\n"), len(wanted))

    def test_statsOneSecondAcrossRecent(self):
        """
        Two entries of one second on either side of the bound between
        the dates that show the time and those that show the year (at a
        time with a fraction) each show their own, from C{os.stat}
        results as from L{FileInfo} values: L{ListFormat.stats} keeps the
        date of the last second it formatted, and of which kind it was.
        """
        now = NOW + 0.5
        bound = now - 180 * DAY
        older, newer = (SimpleNamespace(
            st_mode=0o100644, st_nlink=1, st_uid=0, st_gid=0, st_size=1,
            st_mtime=mtime) for mtime in (bound - 0.25, bound + 0.25))
        data = ListFormat(now).stats([("a", older), ("b", newer)], str, str)
        self.assertEqual(data, ListFormat(now).entries([
            ("a", _file(mtime=bound - 0.25, owner="0", group="0", size=1)),
            ("b", _file(mtime=bound + 0.25, owner="0", group="0",
                        size=1))]))
        self.assertIn(b" May 29  2026 a\r\n", data)
        self.assertIn(b" May 29 13:01 b\r\n", data)


class FactsTests(SynchronousTestCase):
    """
    Tests for L{formatFacts}, L{formatMLSD}, L{permissions} and
    L{mlstFeature}.
    """

    def test_factNames(self):
        """
        The known facts, all but the owner's and group's selected by default.
        """
        self.assertEqual(
            FACTS, ("type", "size", "modify", "perm", "unique", "unix.mode",
                    "unix.owner", "unix.ownername", "unix.group",
                    "unix.groupname")
        )
        self.assertEqual(DEFAULT_FACTS, FACTS[:6])

    def test_file(self):
        """
        A file gets every requested fact, in order, then a space and its
        name.
        """
        info = _file(mtime=NOW, unique="803g1a2b")
        self.assertEqual(
            formatFacts("name", info, DEFAULT_FACTS, "adfrw"),
            "type=file;size=1234;modify=20261125130100;perm=adfrw;"
            "unique=803g1a2b;UNIX.mode=0644; name",
        )

    def test_selectedFactsInGivenOrder(self):
        """
        Only the facts asked for are given, in the order given.
        """
        self.assertEqual(
            formatFacts("x", _file(mtime=NOW), ("modify", "type"), "r"),
            "modify=20261125130100;type=file; x",
        )

    def test_noFacts(self):
        """
        With no facts, the line is a space and the name.
        """
        self.assertEqual(formatFacts("x", _file(), (), "r"), " x")

    def test_directory(self):
        """
        A directory has type C{dir} and no size.
        """
        info = _file(kind=DIRECTORY, mode=0o755, mtime=NOW)
        self.assertEqual(
            formatFacts("d", info, DEFAULT_FACTS, "el"),
            "type=dir;modify=20261125130100;perm=el;UNIX.mode=0755; d",
        )

    def test_typeName(self):
        """
        C{typeName} gives C{cdir} or C{pdir} instead of C{dir}.
        """
        info = _file(kind=DIRECTORY, mtime=NOW)
        self.assertEqual(
            formatFacts(".", info, ("type",), "el", "cdir"), "type=cdir; ."
        )
        self.assertEqual(
            formatFacts("..", info, ("type", "size"), "el", "pdir"), "type=pdir; .."
        )

    def test_otherKinds(self):
        """
        Links and other kinds are given as C{OS.unix} types, with a size.
        """
        self.assertEqual(
            formatFacts("l", _file(kind=LINK, size=3), ("type", "size"), "r"),
            "type=OS.unix=symlink;size=3; l",
        )
        self.assertEqual(
            formatFacts("o", _file(kind=OTHER, size=0), ("type",), "r"),
            "type=OS.unix=other; o",
        )

    def test_specialKinds(self):
        """
        FIFOs, sockets and devices are given C{OS.unix} types (RFC 3659
        section 7.5.1) naming what they are, and a C{perm} fact without
        C{r} or C{a}: they cannot be downloaded or appended to.
        """
        for special, name in ((FIFO, "fifo"), (SOCKET, "socket"),
                              (CHARACTER_DEVICE, "chr"),
                              (BLOCK_DEVICE, "blk")):
            info = _file(kind=OTHER, size=0, special=special)
            self.assertEqual(
                formatFacts("x", info, ("type", "perm"),
                            permissions(info, False)),
                f"type=OS.unix={name};perm=; x")
            self.assertEqual(permissions(info, True), "dfw")

    def test_modifyOmittedWhenUnknown(self):
        """
        No C{modify} fact is given for an entry whose time is not known
        (RFC 3659 section 7 lets a server leave a fact out): it was
        C{19700101000000}.
        """
        info = _file(kind=DIRECTORY, mode=0o755, mtime=None)
        self.assertEqual(formatFacts("d", info, DEFAULT_FACTS, "el"),
                         "type=dir;perm=el;UNIX.mode=0755; d")
        self.assertEqual(
            FactsFormat(("type", "modify"), False).entries(
                [("d", info), ("f", _file(mtime=NOW))]),
            b"type=dir; d\r\ntype=file;modify=20261125130100; f\r\n")

    def test_uniqueOmittedWhenEmpty(self):
        """
        No C{unique} fact is given when the shell gave none.
        """
        self.assertEqual(
            formatFacts("x", _file(), ("unique", "perm"), "r"), "perm=r; x"
        )

    def test_modeSpecialBits(self):
        """
        C{UNIX.mode} keeps setuid, setgid and sticky bits.
        """
        self.assertEqual(
            formatFacts("x", _file(mode=0o4755), ("unix.mode",), "r"),
            "UNIX.mode=4755; x",
        )

    def test_ownerFacts(self):
        """
        C{UNIX.owner} and C{UNIX.group} give the ids, C{UNIX.ownername}
        and C{UNIX.groupname} the names C{LIST} shows, in the order
        asked; an id the shell gave none of, and a name no fact value may
        be (empty, with a space or C{";"}, unprintable), are left out
        (RFC 3659 section 7).
        """
        owners = ("unix.owner", "unix.ownername", "unix.group",
                  "unix.groupname")
        self.assertEqual(
            formatFacts("x", _file(uid=1000, gid=0), ("type",) + owners, "r"),
            "type=file;UNIX.owner=1000;UNIX.ownername=owner;UNIX.group=0;"
            "UNIX.groupname=group; x")
        self.assertEqual(
            formatFacts("x", _file(), owners[::-1], "r"),
            "UNIX.groupname=group;UNIX.ownername=owner; x")
        for name in ("", "two words", "a;b", "line\nbreak"):
            self.assertEqual(
                formatFacts("x", _file(owner=name, group=name, uid=5),
                            owners, "r"), "UNIX.owner=5; x")
        batch = [("y", os.stat_result((0o100644, 9, 8, 1, 5, 6, 3, 0, 0, 0))),
                 ("x", os.stat_result((0o100600, 9, 8, 1, 7, 6, 3, 0, 0, 0)))]
        self.assertEqual(
            FactsFormat(("size",) + owners, False).stats(
                batch, {5: "alice", 7: "b c"}.get, "g{}".format),
            b"size=3;UNIX.owner=7;UNIX.group=6;UNIX.groupname=g6; x\r\n"
            b"size=3;UNIX.owner=5;UNIX.ownername=alice;UNIX.group=6;"
            b"UNIX.groupname=g6; y\r\n")

    def test_mlsd(self):
        """
        MLSD lines are CRLF-terminated, with each entry's C{perm} from
        C{permFor}; names with CR or LF are left out.
        """
        entries = [
            ("f", _file()),
            ("bad\nname", _file()),
            ("d\udce9", _file(kind=DIRECTORY)),
        ]
        data = formatMLSD(
            entries, ("type", "perm"), lambda info: permissions(info, False)
        )
        self.assertEqual(data, b"type=file;perm=r; f\r\ntype=dir;perm=el; d\xe9\r\n")
        self.assertEqual(formatMLSD([], FACTS, lambda info: ""), b"")

    def test_permissions(self):
        """
        The C{perm} letters follow RFC 3659 section 7.5.5.
        """
        directory = _file(kind=DIRECTORY)
        self.assertEqual(permissions(_file(), False), "r")
        self.assertEqual(permissions(_file(), True), "adfrw")
        self.assertEqual(permissions(directory, False), "el")
        self.assertEqual(permissions(directory, True), "cdeflmp")

    def test_permissionMasks(self):
        """
        A mask keeps of an entry's letters those it holds.
        """
        directory = _file(kind=DIRECTORY)
        self.assertEqual(permissions(_file(), frozenset("elr")), "r")
        self.assertEqual(permissions(_file(), frozenset("celmw")), "w")
        self.assertEqual(permissions(directory, frozenset("celmw")), "celm")
        self.assertEqual(permissions(_file(mode=0o640), frozenset("adfrw"),
                                     held=True),
                         "adfw")

    def test_factsFormatExceptions(self):
        """
        L{FactsFormat} gives the entries named in its exceptions their own
        mask, from L{FileInfo} values and from C{os.stat} results alike.
        """
        import os
        import stat

        format = FactsFormat(("type", "perm"), frozenset("el"),
                             exceptions={"up": frozenset("cel")})
        directory = _file(kind=DIRECTORY)
        expected = b"type=dir;perm=el; d\r\ntype=dir;perm=cel; up\r\n"
        self.assertEqual(
            format.entries([("up", directory), ("d", directory)]), expected)
        result = os.stat_result((stat.S_IFDIR | 0o755,) + (0,) * 9)
        self.assertEqual(
            format.stats([("up", result), ("d", result)], str, str),
            expected)

    def test_unfollowedLinkPermissions(self):
        """
        A link the shell does not follow (L{LINK}: leading outside the
        root, nowhere, or in a loop) promises only C{d} and C{f} where the
        user may delete and rename (C{DELE} removes the link itself,
        C{RNFR} and C{RNTO} rename it): C{RETR}, C{STOR} and C{APPE}
        would follow it. It was given C{d} alone, though its rename
        works, so clients trusting C{perm} would not rename it.
        """
        self.assertEqual(permissions(_file(kind=LINK), False), "")
        self.assertEqual(permissions(_file(kind=LINK), True), "df")
        self.assertEqual(permissions(_file(kind=LINK), frozenset("elrf")),
                         "f")
        self.assertEqual(permissions(_file(kind=LINK), frozenset("elr")),
                         "")

    def test_mlstFeature(self):
        """
        The FEAT line lists every fact, starring the selected ones.
        """
        owners = "UNIX.owner;UNIX.ownername;UNIX.group;UNIX.groupname;"
        self.assertEqual(
            mlstFeature(DEFAULT_FACTS),
            "MLST type*;size*;modify*;perm*;unique*;UNIX.mode*;" + owners
        )
        self.assertEqual(
            mlstFeature(("size", "unix.mode", "unix.groupname")),
            "MLST type;size*;modify;perm;unique;UNIX.mode*;UNIX.owner;"
            "UNIX.ownername;UNIX.group;UNIX.groupname*;",
        )
        self.assertEqual(
            mlstFeature(()), "MLST type;size;modify;perm;unique;UNIX.mode;"
            + owners
        )

    def test_mlstFeatureAnyIterable(self):
        """
        The facts selected may come as a list or a set (a plugin's): the
        cache of lines (bench-feat-55) takes no list.
        """
        expected = mlstFeature(("size", "type"))
        self.assertEqual(mlstFeature(["size", "type"]), expected)
        self.assertEqual(mlstFeature({"type", "size"}), expected)


class NameListPathTests(SynchronousTestCase):
    """
    L{nameListPath} and L{nameListPrefix}: what C{NLST} shows of the path
    its argument names.
    """

    def test_prefix(self):
        """
        A directory's entries come after it as written, one C{"/"}
        between; the current directory's are bare.
        """
        from ftpkit.protocol.listing import nameListPrefix

        for written, prefix in [("sub", "sub/"), ("sub/", "sub/"),
                                ("sub//", "sub/"), ("/sub", "/sub/"),
                                ("/", "/"), ("//sub", "/sub/"),
                                ("..", "../"), ("../x", "../x/"),
                                ("./sub", "sub/"), ("", ""), (".", ""),
                                ("./", ""), ("././", "")]:
            self.assertEqual(nameListPrefix(written), prefix, written)

    def test_path(self):
        """
        A file is shown as written, leading C{"./"} dropped.
        """
        from ftpkit.protocol.listing import nameListPath

        self.assertEqual(nameListPath("sub/a.txt"), "sub/a.txt")
        self.assertEqual(nameListPath("./a.txt"), "a.txt")
        self.assertEqual(nameListPath("/sub//a.txt"), "/sub/a.txt")


class DayTextsTests(SynchronousTestCase):
    """
    L{listingdates.dayTexts}, whose cache every listing shares.
    """

    def test_cacheBounded(self):
        """
        A cache holding L{listingdates.DAYS_KEPT} days is emptied before
        another is added, and the texts stay right.
        """
        from ftpkit.protocol import listingdates
        self.patch(listingdates, "DAYS_KEPT", 3)
        cache = {}
        for day in range(5):
            listingdates.dayTexts(day, cache)
        self.assertEqual(sorted(cache), [3, 4])
        self.assertEqual(listingdates.dayTexts(365, cache),
                         ("Jan  1 ", "Jan  1  1971", "19710101"))
