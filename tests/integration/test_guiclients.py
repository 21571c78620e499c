"""
FileZilla 3's and WinSCP's sequences (see L{tests.guiclients}) in one
process and under C{--workers 2}, clear and under explicit FTPS, over
C{PASV} and C{EPSV}: a directory of awkward names listed, an upload
stamped with C{MFMT} and listed again, a cut download and cut uploads
resumed. C{test_personas_*} replay the rest of their sessions (logon,
FEAT, keep-alives, checksums, IPv6, implicit FTPS) in one process.

Each sequence follows the clients' engines:

 - FileZilla 3 (C{src/engine/ftp/filetransfer.cpp}): a file not in its
   directory cache gets C{SIZE} then C{MDTM}; C{rawtransfer.cpp} sends
   C{PASV} or C{EPSV}, then C{REST n} when resuming (and C{REST 0} on the
   next transfer, C{m_sentRestartOffset}), connects and sends the
   command. After a transfer it marks the file unsure in its cache
   (C{controlsocket.cpp}, C{UpdateCache}), so the next one lists the
   directory again and takes the size from C{MLSD}; an upload then
   resumes from that size (C{resumeOffset = remoteFileSize_}), C{REST}
   and C{STOR} since C{FEAT} lists C{REST STREAM}, and ends with
   C{MFMT} (C{filetransfer_mfmt}: C{%Y%m%d%H%M%S}, UTC). A cancelled or
   failed transfer that made progress is retried as a resume
   (C{QueueView.cpp}: C{m_onetime_action = resume}); its own reply is
   skipped (C{ftpcontrolsocket.cpp}: C{m_repliesToSkip}).
 - WinSCP (C{source/filezilla/FtpControlSocket.cpp}): with no listing
   (C{FILETRANSFER_NOLIST_SIZE}), C{SIZE} then C{MDTM}; C{TYPE I},
   C{OPTS REST STOR} for a resumed upload, C{PASV} or C{EPSV},
   C{REST} (C{transfersize - transferleft}), then C{STOR}; C{MFMT}
   after; one file's facts with C{MLST}.
"""

import calendar
import os
import time

from twisted.trial import unittest

from tests.guiclients import (
    Clear,
    ExtendedPassive,
    GUIClientsMixin,
    Passive,
    Protected,
    SingleProcess,
    TwoWorkers,
    readUntilEnd,
)
from tests.personaparsers import (
    filezillaMdtm,
    filezillaMlsd,
    filezillaSize,
    filezillaUnix,
    mlsdEntries,
    winscpMlst,
)

ODD = {" lead": b"12345", "trail ": b"12345", "a  b": b"12345",
       "-dash": b"12345", "--": b"12345", "uni \u00fc \u540d.txt": b"12345",
       "zero": b""}
"""The files of C{/odd}, besides an empty directory C{ empty dir}."""

LOSSY = {" lead": "lead", "trail ": "trail", " empty dir": "empty dir"}
"""What FileZilla 3 makes of those names in C{LIST} (it trims them);
C{MLSD} keeps them whole."""

STAMP = "20200102030405"
"""The local time FileZilla sends with C{MFMT} after an upload."""


def lines(listing):
    """
    @return: a listing's lines as text.
    """
    return [line for line in listing.decode("utf-8").split("\r\n") if line]


class GUIClientsTestsMixin(GUIClientsMixin):
    """
    The tests; a class below picks the server, the security and the
    passive verb.
    """

    def listed(self, wire, command):
        """
        @return: the lines of a listing, FileZilla's way.
        """
        data = self.start(wire, command)
        received, _ = readUntilEnd(data)
        wire.ok(None, 226)
        return lines(received)

    def test_oddNames(self):
        """
        FileZilla's C{CWD}, C{PWD} and C{MLSD} of a directory of awkward
        names (leading, trailing and doubled blanks, a leading C{-},
        UTF-8, a 0-byte file, an empty directory whose name starts with
        a blank), then C{LIST} (its choice without C{MLSD}): every line
        parses, each name whole in C{MLSD}, trimmed as FileZilla trims it
        in C{LIST}; the empty directory lists only C{.} and C{..}.
        """
        odd = os.path.join(self.root, "odd")
        os.mkdir(odd)
        os.mkdir(os.path.join(odd, " empty dir"))
        for name, data in ODD.items():
            with open(os.path.join(odd, name), "wb") as f:
                f.write(data)

        def client(wire):
            wire.ok("CWD /odd", 250)
            pwd = wire.ok("PWD", 257)
            mlsd = [filezillaMlsd(line) for line in self.listed(wire, "MLSD")]
            unix = [filezillaUnix(line, time.gmtime())
                    for line in self.listed(wire, "LIST")]
            empty = mlsdEntries("\r\n".join(
                self.listed(wire, "MLSD  empty dir")).encode("utf-8"))
            return pwd, mlsd, unix, sorted(empty)

        def check(result):
            pwd, mlsd, unix, empty = result
            self.assertEqual(pwd, '257 "/odd" is the current directory')
            self.assertNotIn(None, mlsd + unix)
            byName = {e["name"]: e for e in mlsd if e["kind"] != "skip"}
            self.assertEqual(
                {name: (e["kind"], e["size"]) for name, e in byName.items()},
                dict({name: ("file", len(data))
                      for name, data in ODD.items()},
                     **{" empty dir": ("dir", None)}))
            self.assertEqual(
                sorted(e["name"] for e in unix),
                sorted(LOSSY.get(name, name)
                       for name in list(ODD) + [" empty dir"]))
            self.assertEqual(empty, [".", ".."])
        return self.session(client).addCallback(check)

    def test_uploadStamped(self):
        """
        FileZilla's upload of a file with a leading blank and UTF-8 in its
        name, and of an empty one: C{STOR}, C{MFMT} with the local time;
        the directory listed again (C{MLSD}, the cache entry being
        unsure) shows that time and the size, as does WinSCP's C{MLST}.
        """
        names = {" up \u00e9.bin": b"u" * 70000, "empty.bin": b""}

        def client(wire):
            mlst = {}
            for name, content in names.items():
                data = self.start(wire, "STOR " + name)
                data.sendall(content)
                self.endUpload(data)
                wire.ok(None, 226)
                wire.ok("MFMT %s %s" % (STAMP, name), 213)
                mlst[name] = winscpMlst(wire.cmd("MLST " + name)[1][1])
            listing = [filezillaMlsd(line) for line in self.listed(
                wire, "MLSD")]
            return listing, mlst

        def check(result):
            listing, mlst = result
            byName = {e["name"]: e for e in listing if e}
            for name, content in names.items():
                self.assertEqual(
                    (byName[name]["size"], byName[name]["modify"]),
                    (len(content), (2020, 1, 2, 3, 4, 5)))
                self.assertEqual((mlst[name][0], mlst[name][1]["modify"]),
                                 (name, STAMP))
                self.assertEqual(self.readFile(name), content)
            self.assertEqual(os.stat(os.path.join(
                self.root, "empty.bin")).st_mtime,
                calendar.timegm((2020, 1, 2, 3, 4, 5)))
        return self.session(client).addCallback(check)

    def test_resumedDownload(self):
        """
        FileZilla downloads a file its cache does not hold: C{SIZE},
        C{MDTM}, then the transfer, which it cancels (closing the data
        connection, skipping the one reply that follows); its retry
        resumes with C{REST} (after the passive reply) from what it has,
        and the next download sends C{REST 0}. The pieces make the file.
        """
        def client(wire):
            size = filezillaSize(wire.ok("SIZE big.bin", 213))
            mdtm = filezillaMdtm(wire.ok("MDTM big.bin", 213))
            data = self.start(wire, "RETR big.bin")
            head = data.recv(100000)
            self.cut(data)
            skipped = wire.reply()[0]
            data = self.start(wire, "RETR big.bin", rest=len(head))
            tail, _ = readUntilEnd(data)
            wire.ok(None, 226)
            data = self.start(wire, "RETR old.txt", rest=0)
            old, _ = readUntilEnd(data)
            wire.ok(None, 226)
            return size, mdtm, skipped, head + tail, old

        def check(result):
            size, mdtm, skipped, whole, old = result
            self.assertEqual(size, len(self.payload))
            self.assertEqual(mdtm, time.strftime("%Y%m%d%H%M%S", time.gmtime(
                os.stat(os.path.join(self.root, "big.bin")).st_mtime)))
            self.assertIn(skipped, (226, 426))
            self.assertEqual((whole, old), (self.payload, b"old"))
        return self.session(client).addCallback(check)

    def cutUpload(self, wire, name, content, sent):
        """
        Start uploading C{content} to C{name}, and cut it after C{sent}
        bytes (L{GUIClientsMixin.cut}), once the server has written some
        of them (waited for, not slept on: a cut before a byte is kept
        leaves nothing to resume): C{426}.
        """
        data = self.start(wire, "STOR " + name)
        data.sendall(content[:sent])
        deadline = time.monotonic() + 30
        while not any(self.uploading()):
            self.assertLess(time.monotonic(), deadline, "nothing written")
            time.sleep(0.02)
        self.cut(data)
        wire.ok(None, 426)

    def test_uploadResetAtOnce(self):
        """
        An upload replacing C{old.txt} whose data connection is reset (a
        lost network, a client killed) right after the C{150}, before a
        byte came: C{426}, and the old file stays. A passive binary upload
        in the clear read the reset as the end of an empty file: C{226},
        and C{old.txt} emptied.
        """
        def client(wire):
            data = self.start(wire, "STOR old.txt")
            self.cut(data)
            return wire.reply()[0], wire.cmd("NOOP")[0]

        def check(codes):
            self.assertEqual(codes, (426, 200))
            self.assertEqual(self.readFile("old.txt"), b"old")
        return self.session(client).addCallback(check)

    def test_resumedUploadFileZilla(self):
        """
        FileZilla's upload replacing a 100-byte file, cut after 300000 of
        its 500000 bytes: the retry lists the directory again, where the
        old file still is (the cut upload is kept aside until complete),
        and resumes from its size: C{REST 100} and C{STOR} of the rest,
        then C{MFMT}. The server continues the kept upload from there,
        and the file is whole.
        """
        content = os.urandom(500000)
        with open(os.path.join(self.root, "docs", "rep.bin"), "wb") as f:
            f.write(b"o" * 100)

        def client(wire):
            wire.ok("CWD /docs", 250)
            self.cutUpload(wire, "rep.bin", content, 300000)
            listed = {e["name"]: e["size"] for e in map(
                filezillaMlsd, self.listed(wire, "MLSD")) if e}
            offset = listed["rep.bin"]
            data = self.start(wire, "STOR rep.bin", rest=offset)
            data.sendall(content[offset:])
            self.endUpload(data)
            wire.ok(None, 226)
            wire.ok("MFMT %s rep.bin" % (STAMP,), 213)
            return offset

        def check(offset):
            self.assertEqual(offset, 100)
            self.assertEqual(self.readFile("docs/rep.bin"), content)
        return self.session(client).addCallback(check)

    def test_resumedUploadWinSCP(self):
        """
        WinSCP's resume of the same cut upload without a listing:
        C{SIZE} gives what the cut upload kept, C{MDTM} the old file's
        time; C{OPTS REST STOR}, C{REST} with that size and C{STOR} of
        the rest make the file whole.
        """
        content = os.urandom(500000)
        with open(os.path.join(self.root, "docs", "rep.bin"), "wb") as f:
            f.write(b"o" * 100)

        def client(wire):
            self.cutUpload(wire, "/docs/rep.bin", content, 300000)
            kept = filezillaSize(wire.ok("SIZE /docs/rep.bin", 213))
            filezillaMdtm(wire.ok("MDTM /docs/rep.bin", 213))
            wire.cmd("OPTS REST STOR")
            data = self.start(wire, "STOR /docs/rep.bin", rest=kept)
            data.sendall(content[kept:])
            self.endUpload(data)
            wire.ok(None, 226)
            return kept

        def check(kept):
            self.assertTrue(0 < kept <= 300000, kept)
            self.assertEqual(self.readFile("docs/rep.bin"), content)
        return self.session(client).addCallback(check)


class SingleClearPassiveTests(GUIClientsTestsMixin, SingleProcess, Clear,
                              Passive, unittest.TestCase):
    """
    One process, plain FTP, C{PASV}.
    """


class SingleProtectedExtendedTests(GUIClientsTestsMixin, SingleProcess,
                                   Protected, ExtendedPassive,
                                   unittest.TestCase):
    """
    One process, explicit FTPS, C{EPSV}.
    """


class WorkersClearExtendedTests(GUIClientsTestsMixin, TwoWorkers, Clear,
                                ExtendedPassive, unittest.TestCase):
    """
    Two workers, plain FTP, C{EPSV}.
    """


class WorkersProtectedPassiveTests(GUIClientsTestsMixin, TwoWorkers,
                                   Protected, Passive, unittest.TestCase):
    """
    Two workers, explicit FTPS, C{PASV}.
    """
