"""
What FileZilla and WinSCP read of ftpkit's files (see
L{tests.personas}): odd names, links and dates in C{MLSD}, C{LIST} and
C{MLST}, read with FileZilla 3's C{directorylistingparser.cpp} and
WinSCP's C{FtpListResult.cpp} (C{tests.personaparsers}), and files past
4 GiB (sparse), resumed both ways as the clients resume them.
"""

import hashlib
import os
import time
import zlib

from twisted.trial import unittest

from tests.personaparsers import (
    filezillaMlsd,
    filezillaSize,
    filezillaUnix,
    mlsdEntries,
    winscpHash,
    winscpMlst,
)
from tests.personas import PersonaTestsMixin

NAMES = [" lead", "trail ", "a b", "uni \u00fc \u540d", "x -> y", "star*",
         "pipe|", "t\tab", "-dash", 'say "hi".txt', '"q"']
"""Regular files with names an C{ls -l} line holds awkwardly."""

LOSSY = {" lead": "lead", "trail ": "trail", "star*": "star",
         "pipe|": "pipe"}
"""What FileZilla 3 makes of those names in C{LIST} (it trims the name
and drops a trailing C{*} or C{|}, as C{ls -F} marks); C{MLSD} keeps
them whole, and FileZilla uses C{MLSD} where C{FEAT} lists C{MLST}."""

OLD, FUTURE = 600000000, 4105123200
"""1989-01-05 and 2100-02-01 (UTC)."""

BIG = 5 * 2 ** 30 + 7
"""A sparse file's size: past 4 GiB, not a multiple of anything."""

TAIL = b"0123456789ABCDEFG"
"""The last bytes of the sparse file."""


def textLines(listing):
    """
    @return: the lines of a listing as text.
    """
    return [line for line in listing.decode("utf-8").split("\r\n") if line]


class ListingTests(PersonaTestsMixin, unittest.TestCase):
    """
    A directory of odd names, links and dates, listed as the clients
    list it.
    """

    def setUp(self):
        PersonaTestsMixin.setUp(self)
        self.odd = os.path.join(self.root, "odd")
        os.mkdir(self.odd)
        os.mkdir(os.path.join(self.odd, "sub"))
        for name in NAMES + ["old", "future", "soon"]:
            with open(os.path.join(self.odd, name), "wb") as f:
                f.write(b"12345")
        for name, when in [("old", OLD), ("future", FUTURE),
                           ("soon", time.time() + 1800)]:
            os.utime(os.path.join(self.odd, name), (when, when))
        for name, target in [("lnk", "a b"), ("dirlink", "sub"),
                             ("dangling", "missing")]:
            os.symlink(target, os.path.join(self.odd, name))
        self.serve()

    def listings(self, wire):
        """
        @return: the C{MLSD} and C{LIST -a} listings of C{/odd}, as text
            lines, FileZilla's way (C{CWD}, then each without argument).
        """
        wire.login()
        wire.ok("CWD /odd", 250)
        wire.ok("TYPE I", 200)
        return [textLines(self.transfer(wire, command, verb="EPSV")[0])
                for command in ("MLSD", "LIST -a")]

    def test_machineListing(self):
        """
        Every C{MLSD} line parses in FileZilla 3 (on Windows, whose date
        range is the narrowest) and in WinSCP, with each name whole:
        links to files and directories as what they point to, a dangling
        link as C{OS.unix=symlink}, the dates of 1989 and 2100.
        """
        def check(listings):
            lines = listings[0]
            entries = [filezillaMlsd(line) for line in lines]
            self.assertNotIn(None, entries, lines)
            byName = {e["name"]: e for e in entries if e["kind"] != "skip"}
            self.assertEqual(sorted(byName), sorted(
                NAMES + ["old", "future", "soon", "sub", "lnk", "dirlink",
                         "dangling"]))
            self.assertEqual(
                [byName[name]["kind"] for name in ("lnk", "dirlink",
                                                   "dangling", "sub")],
                ["file", "dir", "link", "dir"])
            self.assertEqual((byName["old"]["modify"][0],
                              byName["future"]["modify"][0]), (1989, 2100))
            self.assertEqual(byName["a b"]["size"], 5)
            winscp = mlsdEntries("\r\n".join(lines).encode("utf-8"))
            self.assertEqual(set(winscp) - {".", ".."}, set(byName))
        return self.converse(self.listings).addCallback(check)

    def test_unixListing(self):
        """
        Every C{LIST -a} line parses in FileZilla 3's Unix parser, with
        the name whole but for the trimming FileZilla does itself; a time
        of day for a file half an hour ahead (read in this year), years
        for 1989 and 2100, links as in C{MLSD}.
        """
        def check(listings):
            now = time.gmtime()
            lines = listings[1]
            entries = [filezillaUnix(line, now) for line in lines]
            self.assertNotIn(None, entries, lines)
            byName = {e["name"]: e for e in entries}
            self.assertEqual(
                sorted(byName),
                sorted([LOSSY.get(name, name) for name in NAMES]
                       + ["old", "future", "soon", "sub", "lnk", "dirlink",
                          "dangling"]))
            self.assertEqual((byName["old"]["date"][0],
                              byName["future"]["date"][0]), (1989, 2100))
            soon = time.gmtime(time.time() + 1800)
            self.assertEqual(byName["soon"]["date"],
                             (soon.tm_year, soon.tm_mon, soon.tm_mday,
                              soon.tm_hour, soon.tm_min))
            self.assertEqual(
                [byName[name]["kind"] for name in ("lnk", "dirlink",
                                                   "dangling", "x -> y")],
                ["-", "d", "l", "-"])
            self.assertEqual(byName["x -> y"]["size"], 5)
        return self.converse(self.listings).addCallback(check)

    def test_relativeNames(self):
        """
        FileZilla's commands on one file, by its name relative to the
        directory it changed into (C{SITE CHMOD mode name}, C{MFMT time
        name}, C{SIZE}, C{MDTM}, C{RETR}, C{RNFR}/C{RNTO}, C{DELE}), each
        odd name whole, blanks at either end included: C{SITE CHMOD} cut
        a trailing blank off (C{550}).
        """
        def client(wire):
            wire.login()
            wire.ok("CWD /odd", 250)
            wire.ok("TYPE I", 200)
            for name in NAMES:
                wire.ok("SITE CHMOD 600 " + name, 200)
                wire.ok("MFMT 20200102030405 " + name, 213)
                wire.ok("SIZE " + name, 213)
                wire.ok("MDTM " + name, 213)
                self.assertEqual(self.transfer(wire, "RETR " + name)[0],
                                 b"12345")
                wire.ok("RNFR " + name, 350)
                wire.ok("RNTO " + name + ".old", 250)
                wire.ok("DELE " + name + ".old", 250)
            return sorted(os.listdir(self.odd))

        return self.converse(client).addCallback(
            self.assertEqual, ["dangling", "dirlink", "future", "lnk", "old",
                               "soon", "sub"])

    def test_fileByFile(self):
        """
        WinSCP reads one file's attributes with C{MLST path} (the path
        unquoted, spaces and all): the entry line gives the name, its type
        and size, for each odd name, a link and a directory.
        """
        def client(wire):
            wire.login()
            found = {}
            for name in NAMES + ["lnk", "sub"]:
                code, lines = wire.cmd("MLST /odd/" + name)
                self.assertEqual((code, len(lines)), (250, 3), lines)
                name, facts = winscpMlst(lines[1])
                found[name] = (facts["type"], facts.get("size"))
            return found

        expected = {name: ("file", "5") for name in NAMES + ["lnk"]}
        expected["sub"] = ("dir", None)
        return self.converse(client).addCallback(self.assertEqual, expected)


    def test_checksums(self):
        """
        WinSCP's checksums of each odd name: the path in double quotes
        when it holds a space, as it is otherwise (quotes inside kept
        either way), with C{XSHA1}, C{XCRC} and C{HASH} (after C{OPTS
        HASH SHA-1}); the reply's last word (C{HASH}: the word after the
        range) is the digest.
        """
        def client(wire):
            wire.login()
            wire.ok("OPTS HASH SHA-1", 200)
            found = set()
            for name in NAMES:
                path = "/odd/" + name
                if " " in path:
                    path = '"%s"' % path
                found.add(wire.ok("XSHA1 " + path, 250).split(" ")[-1])
                found.add(wire.ok("XCRC " + path, 250).split(" ")[-1])
                found.add(winscpHash(wire.ok("HASH " + path, 213)).upper())
            return found

        expected = {hashlib.sha1(b"12345").hexdigest().upper(),
                    "%08X" % zlib.crc32(b"12345")}
        return self.converse(client).addCallback(self.assertEqual, expected)


class LargeFileTests(PersonaTestsMixin, unittest.TestCase):
    """
    A sparse file past 4 GiB, under C{PROT P} with session reuse
    required.
    """

    def setUp(self):
        PersonaTestsMixin.setUp(self)
        self.big = os.path.join(self.root, "big.iso")
        with open(self.big, "wb") as f:
            f.truncate(BIG)
            f.seek(BIG - len(TAIL))
            f.write(TAIL)
        if os.stat(self.big).st_blocks * 512 > 2 ** 20:
            raise unittest.SkipTest("no sparse files here")
        self.serve(tlsRequireSessionReuse=True)

    def test_fileZillaResume(self):
        """
        FileZilla 3 resuming a download of a file past 4 GiB: it reads
        the size from C{MLSD} (C{LIST} and C{SIZE} too), then, as servers
        once broke offsets past 2 and 4 GiB, tests the server first:
        C{REST} of the size less one must bring exactly one byte; then
        C{REST} at the local size brings the rest.
        """
        def client(wire):
            wire.login(protect=True)
            wire.ok("TYPE I", 200)
            sizes = [filezillaSize(wire.ok("SIZE big.iso", 213))]
            for command, parse in [("MLSD", filezillaMlsd),
                                   ("LIST", lambda line: filezillaUnix(
                                       line, time.gmtime()))]:
                listing, _ = self.transfer(wire, command, protect=True)
                sizes += [entry["size"] for entry in map(
                    parse, textLines(listing)) if entry["name"] == "big.iso"]
            received = []
            for offset in (BIG - 1, BIG - len(TAIL)):
                wire.ok("REST %d" % offset, 350)
                received.append(self.transfer(wire, "RETR big.iso",
                                              protect=True)[0])
            return sizes, received

        return self.converse(client, "explicit").addCallback(
            self.assertEqual, ([BIG] * 3, [TAIL[-1:], TAIL]))

    def test_winSCPResumedUpload(self):
        """
        WinSCP resuming an upload onto a file past 4 GiB: C{OPTS REST
        STOR}, C{REST} of the remote size (a 64-bit number), C{STOR} of
        the rest, command before connection; then C{APPE}. C{SIZE} and
        C{MLST} follow each step.
        """
        def client(wire):
            wire.login(protect=True)
            wire.ok("TYPE I", 200)
            wire.cmd("OPTS REST STOR")
            wire.ok("REST %d" % BIG, 350)
            _, stored = self.transfer(wire, "STOR big.iso", b"xyz",
                                      protect=True, commandFirst=True)
            sizes = [filezillaSize(wire.ok("SIZE big.iso", 213))]
            _, appended = self.transfer(wire, "APPE big.iso", b"++",
                                        protect=True, commandFirst=True)
            sizes.append(int(winscpMlst(wire.cmd("MLST big.iso")[1][1])[1][
                "size"]))
            return stored[:3], appended[:3], sizes

        def check(result):
            self.assertEqual(result, ("226", "226", [BIG + 3, BIG + 5]))
            with open(self.big, "rb") as f:
                f.seek(BIG - len(TAIL))
                self.assertEqual(f.read(), TAIL + b"xyz++")
        return self.converse(client, "explicit").addCallback(check)
