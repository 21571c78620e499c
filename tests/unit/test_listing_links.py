"""
Tests for what C{LIST} shows of a symbolic link the shell does not
follow: C{name -> target} (L{ftpkit.protocol.listing.linkName}), from a
L{FileInfo} and from the disk realm's C{os.stat} results
(L{ftpkit.shells.diskpaths.LinkStat}).
"""

import calendar
import os
import stat

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.fileinfo import FILE, LINK, FileInfo
from ftpkit.protocol.listing import ListFormat, formatListing, formatListLine
from ftpkit.shells import disklistings
from ftpkit.shells.diskpaths import Jail, LinkStat

NOW = calendar.timegm((2026, 11, 25, 13, 1, 0))

HEAD = "lrwxrwxrwx   1 ftp      ftp             0 Nov 25 12:01 "
"""The start of the lines of the links below."""


def _link(target):
    """
    @param target: the link's text, or C{None}.
    @return: a link's L{FileInfo}, modified an hour before L{NOW}.
    """
    return FileInfo(LINK, mtime=NOW - 3600, mode=0o777, target=target)


def _linkResult(target=None):
    """
    @param target: the link's text, or C{None} for a result without one.
    @return: a link's C{lstat} result as L{ListFormat.stats} reads it.
    """
    result = os.stat_result((stat.S_IFLNK | 0o777, 2, 3, 1, os.getuid(),
                             os.getgid(), 0, NOW - 3600, NOW - 3600,
                             NOW - 3600))
    return result if target is None else LinkStat(result, target)


class LinkLineTests(SynchronousTestCase):
    """
    L{formatListLine} and L{formatListing} of links.
    """

    def test_target(self):
        """
        A link with a target ends C{name -> target}, as C{ls -l} shows it;
        GVfs takes a link line without the arrow for a nameless entry.
        """
        self.assertEqual(formatListLine("ln", _link("../gone"), NOW),
                         HEAD + "ln -> ../gone")
        self.assertEqual(formatListLine("out", _link("/etc/passwd"), NOW),
                         HEAD + "out -> /etc/passwd")

    def test_noTarget(self):
        """
        A link whose shell tells no target (C{None}, the default: one
        leading out of the root, whose text the shells keep to
        themselves), or an empty one, is shown leading to itself, C{ln ->
        ln}: with the name alone, GVfs 1.50 listed an entry with no name.
        """
        self.assertEqual(formatListLine("ln", _link(None), NOW),
                         HEAD + "ln -> ln")
        self.assertEqual(formatListLine("ln", _link(""), NOW),
                         HEAD + "ln -> ln")

    def test_notALink(self):
        """
        A target given for another kind is not shown.
        """
        info = FileInfo(FILE, mtime=NOW - 3600, target="elsewhere")
        self.assertTrue(
            formatListLine("f", info, NOW).endswith(" 12:01 f"))

    def test_lineBreakInTarget(self):
        """
        A target holding CR or LF is left out, not the link's line, and
        forges no line: the link is shown leading to itself.
        """
        body = formatListing([("a", _link("x\r\n-rw-r--r-- forged")),
                              ("b", _link("y\nz"))], NOW)
        self.assertEqual(body, (HEAD + "a -> a\r\n" + HEAD
                                + "b -> b\r\n").encode())

    def test_lineBreakInName(self):
        """
        A link whose name holds CR or LF is left out as any such name.
        """
        self.assertEqual(formatListing([("a\r\nb", _link("t"))], NOW), b"")

    def test_arrowInNames(self):
        """
        A name or a target holding C{" -> "} is shown as it is, as
        C{ls -l} shows it: one line.
        """
        self.assertEqual(
            formatListing([("a -> b", _link("c -> d"))], NOW),
            (HEAD + "a -> b -> c -> d\r\n").encode())

    def test_undecodable(self):
        """
        A target read from disk as undecodable bytes goes back as those
        bytes.
        """
        self.assertEqual(formatListing([("ln", _link("\udcff"))], NOW),
                         HEAD.encode() + b"ln -> \xff\r\n")


class LinkStatsTests(SynchronousTestCase):
    """
    L{ListFormat.stats} and L{disklistings.describe} of L{LinkStat}
    results.
    """

    def setUp(self):
        self.patch(disklistings, "ownerName", lambda uid: "ftp")
        self.patch(disklistings, "groupName", lambda gid: "ftp")

    def test_stats(self):
        """
        Each link of a batch shows its own target, links of the same mode
        and owner too, and a link result without one (leading out of the
        root) itself.
        """
        body = ListFormat(NOW).stats(
            [("b", _linkResult("two")), ("a", _linkResult("one")),
             ("c", _linkResult())],
            disklistings.ownerName, disklistings.groupName)
        self.assertEqual(body.decode().splitlines(),
                         [HEAD + "a -> one", HEAD + "b -> two",
                          HEAD + "c -> c"])

    def test_describe(self):
        """
        L{disklistings.describe} gives a L{LinkStat}'s target as the
        L{FileInfo}'s.
        """
        self.assertEqual(disklistings.describe(_linkResult("t")).target, "t")
        self.assertIsNone(disklistings.describe(_linkResult()).target)

    def test_linkStat(self):
        """
        A L{LinkStat} reads as its result, by attribute and index.
        """
        result = _linkResult()
        linked = LinkStat(result, "t")
        self.assertEqual((linked.st_mode, linked.st_size, linked[0]),
                         (result.st_mode, result.st_size, result[0]))
        self.assertRaises(AttributeError, getattr, linked, "other")


class FollowTests(SynchronousTestCase):
    """
    L{Jail.follow} of links it does not follow reads their text.
    """

    def test_unfollowed(self):
        """
        A link leading nowhere inside the root, or in a loop, is described
        by its C{lstat} result with its text; one leading out of the root
        without it (the text would tell what is outside); one inside the
        root by its target's C{stat}.
        """
        base = self.mktemp()
        root = os.path.join(base, "root")
        os.makedirs(root)
        os.symlink("missing", os.path.join(root, "dangling"))
        os.symlink("loop", os.path.join(root, "loop"))
        os.symlink(os.path.abspath(base), os.path.join(root, "out"))
        os.symlink("../gone", os.path.join(root, "outNowhere"))
        os.symlink(".", os.path.join(root, "here"))
        jail = Jail(os.fsencode(os.path.realpath(root)))
        for name, target in (("dangling", "missing"), ("loop", "loop"),
                             ("out", None), ("outNowhere", None)):
            path = os.path.join(root, name)
            result = jail.follow(path, os.lstat(path))
            self.assertEqual(
                (getattr(result, "target", None), result.st_ino),
                (target, os.lstat(path).st_ino), name)
        path = os.path.join(root, "here")
        result = jail.follow(path, os.lstat(path))
        self.assertTrue(stat.S_ISDIR(result.st_mode))
        self.assertIsNone(getattr(result, "target", None))

