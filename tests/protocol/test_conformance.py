"""
Replies checked against the RFCs' command-reply sequences (RFC 959
section 5.4, RFC 2428), on L{StringTransport}.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from tests.memorysessions import connect, makeFactory


class ConformanceTests(unittest.TestCase):
    """
    What a logged-in client's command gets.
    """

    def login(self, host="10.0.0.1"):
        """
        @param host: the client's address.
        @return: C{(protocol, transport)} of a session logged in as alice.
        """
        protocol, transport = connect(
            makeFactory(MemoryReactorClock()), host)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def replies(self, lines, host="10.0.0.1"):
        """
        @param lines: command lines (bytes, without CRLF).
        @param host: the client's address.
        @return: the reply lines sent back, one per command.
        """
        protocol, transport = self.login(host)
        protocol.dataReceived(b"".join(line + b"\r\n" for line in lines))
        return transport.value().decode().splitlines()

    def test_alloSyntax(self):
        """
        C{ALLO} takes a byte count and an optional C{R} and size (RFC 959):
        with them it gets C{202}; without a count, or with anything else,
        C{501}, as any command with a bad argument.
        """
        codes = [line[:3] for line in self.replies(
            [b"ALLO 10", b"ALLO 10 R 512", b"ALLO", b"ALLO abc",
             b"ALLO 10 X", b"ALLO 10 R"])]
        self.assertEqual(codes, ["202", "202", "501", "501", "501", "501"])

    def test_optsUTF8Refused(self):
        """
        C{OPTS UTF8} with anything but C{ON} is refused with C{501}: RFC
        2389 gives C{OPTS} only C{200}, C{451} and C{501}, the last for
        any permanent error (it was C{504}).
        """
        self.assertEqual(
            [line[:3] for line in self.replies(
                [b"OPTS UTF8 OFF", b"OPTS UTF8 NLST", b"OPTS UTF8 ON"])],
            ["501", "501", "200"])

    def test_optsUTF8Hyphenated(self):
        """
        C{OPTS UTF-8 ON}, as some clients spell the option (after the
        charset's name), is C{OPTS UTF8 ON}: C{200} (it got C{501 Unknown
        option}); its C{OFF} is refused as C{UTF8}'s is.
        """
        self.assertEqual(
            [line[:3] for line in self.replies(
                [b"OPTS UTF-8 ON", b"opts utf-8 on", b"OPTS UTF-8",
                 b"OPTS UTF-8 OFF"])],
            ["200", "200", "200", "501"])

    def test_optsRestStor(self):
        """
        C{OPTS REST STOR}, which WinSCP sends before resuming an upload
        with C{REST} and C{STOR}, gets C{200}: uploads resume so here (it
        got C{501 Unknown option}). Another option of C{REST} gets C{501}.
        """
        self.assertEqual(
            [line[:3] for line in self.replies(
                [b"OPTS REST STOR", b"opts rest stor", b"OPTS REST RETR",
                 b"OPTS REST"])],
            ["200", "200", "501", "501"])

    def test_appeAfterRestRefused(self):
        """
        C{APPE} after C{REST N} (N > 0) gets C{503}, and writes nothing:
        it appended at the end of the file, ignoring N, so the bytes went
        elsewhere than where the client asked. The offset is used up: a
        later C{APPE}, or one after C{REST 0}, is not refused for it.
        """
        replies = self.replies(
            [b"TYPE I", b"REST 10", b"APPE f.bin", b"APPE f.bin", b"REST 0",
             b"APPE f.bin"])[1:]
        self.assertEqual([line[:3] for line in replies],
                         ["350", "503", "425", "350", "425"])
        self.assertIn("REST", replies[1])

    def test_appeAtTheEndAfterRest(self):
        """
        C{APPE} after C{REST N} where N is the file's size asks for the
        bytes where an append puts them, and goes on (C{425} here: no
        data connection), as Python's C{storbinary("APPE f", fp, rest=N)}
        and commons-net's C{setRestartOffset(N)} then C{appendFile} send
        it after C{SIZE} (it got C{503}). N short of the size, past it, or
        of a file that does not exist is still C{503}.
        """
        replies = self.replies(
            [b"TYPE I", b"REST 10", b"APPE top.bin", b"REST 9",
             b"APPE top.bin", b"REST 11", b"APPE top.bin", b"REST 10",
             b"APPE none.bin"])[1:]
        self.assertEqual([line[:3] for line in replies],
                         ["350", "425", "350", "503", "350", "503", "350",
                          "503"])

    def test_unknownFamilyIPv4(self):
        """
        C{EPSV} or C{EPRT} naming an unknown network protocol on an IPv4
        connection gets RFC 2428's C{522} listing the protocols that work
        there, C{(1)}, as C{EPSV 2} and C{EPRT |2|...} do: not C{(1,2)},
        which invites a C{2} that is then refused.
        """
        self.assertEqual(
            self.replies([b"EPSV 3", b"EPRT |3|x|2048|", b"EPSV 2",
                          b"EPRT |2|::1|2048|"]),
            ["522 Network protocol not supported, use (1)"] * 4)

    def test_unknownFamilyIPv6(self):
        """
        On an IPv6 connection the list is C{(2)}.
        """
        self.assertEqual(
            self.replies([b"EPSV 3", b"EPRT |3|x|2048|", b"EPSV 1"],
                         host="2001:db8::1"),
            ["522 Network protocol not supported, use (2)"] * 3)

    def test_argumentRefused(self):
        """
        An argument to a verb that takes none gets C{501} where RFC 959
        gives that verb C{501} (C{PWD}, C{CDUP}, C{PASV}, C{SYST} and their
        aliases), as ProFTPD and pyftpdlib answer C{PWD x}: it was ignored,
        and C{PWD x} answered C{257}. Spaces alone are no argument.
        """
        lines = [b"PWD x", b"XPWD x", b"CDUP x", b"XCUP x", b"PASV x",
                 b"SYST x", b"PWD  ", b"SYST "]
        self.assertEqual(
            [line[:3] for line in self.replies(lines)],
            ["501"] * 6 + ["257", "215"])

    def test_featArgumentRefused(self):
        """
        C{FEAT x} gets C{501 Syntax: FEAT}, before login and after, as RFC
        2389 (3.2) says ("Errors in the command syntax, such as giving
        parameters, will result in a 501 reply") and ProFTPD and
        pyftpdlib answer; it listed the features (C{211}), as vsftpd
        and Pure-FTPd do. C{FEAT} alone, or with spaces, still lists
        them.
        """
        self.assertEqual(self.replies([b"FEAT x"]), ["501 Syntax: FEAT"])
        codes = [line[:4] for line in self.replies([b"FEAT  ", b"FEAT"])
                 if line[:3] == "211"]
        self.assertEqual(codes, ["211-", "211 ", "211-", "211 "])
        protocol, transport = connect(
            makeFactory(MemoryReactorClock()), "10.0.0.1")
        transport.clear()
        protocol.dataReceived(b"FEAT x\r\n")
        self.assertEqual(transport.value(), b"501 Syntax: FEAT\r\n")

    def test_argumentIgnored(self):
        """
        Where the RFC gives a verb no C{501} (C{NOOP}, C{REIN}, C{CCC}),
        or refusing it would leave the client's intent undone (C{ABOR}),
        an argument is ignored, as ProFTPD does after C{NOOP} and
        C{QUIT}.
        """
        codes = [line[:3] for line in self.replies(
            [b"NOOP x", b"ABOR x", b"CCC x"]) if line[3:4] == " "]
        self.assertEqual(codes, ["200", "225", "534"])
        protocol, transport = self.login()
        protocol.dataReceived(b"REIN x\r\nQUIT x\r\n")
        self.assertEqual(transport.value().decode().splitlines(),
                         ["220 ftpkit ready", "221 Goodbye"])

    def test_statCodes(self):
        """
        C{STAT} of a directory answers C{212}, RFC 959's directory status,
        as ProFTPD does; of a file C{213}, file status; without an argument
        C{211}. A directory got C{213}.
        """
        codes = [line[:3] for line in self.replies(
            [b"STAT /d", b"STAT -la d", b"STAT /top.bin", b"STAT"])
            if line[3:4] == " "]
        self.assertEqual(codes, ["212", "212", "213", "211"])

    def test_nameNotAllowed(self):
        """
        A name no file can have (a NUL in it, say) gets C{553} only from
        the commands RFC 959 gives C{553}, those naming a file to make
        (C{STOR}, C{STOU}, C{APPE}, C{RNTO}); any other gets C{550}, which
        RFC 959 lists for each of them (C{MKD}, C{CWD}, C{DELE}...). They
        all got C{553}.
        """
        others = [b"CWD", b"XCWD", b"MKD", b"XMKD", b"RMD", b"DELE", b"RNFR",
                  b"SIZE", b"MDTM", b"MLST", b"RETR", b"LIST", b"NLST",
                  b"STAT", b"MLSD"]
        codes = [line[:3] for line in self.replies(
            [verb + b" a\x00b" for verb in others]
            + [b"STOR a\x00b", b"APPE a\x00b", b"RNFR /top.bin",
               b"RNTO a\x00b"])]
        self.assertEqual(codes, ["550"] * len(others)
                         + ["553", "553", "350", "553"])

    def test_optsMLSTNoFacts(self):
        """
        C{OPTS MLST} choosing no fact (none named, or only unknown ones)
        gets C{200 MLST OPTS} with nothing after it, as RFC 3659 (7.9)
        writes it and ProFTPD answers: the reply ended in a space. With
        facts, one space, then each followed by C{;}.
        """
        self.assertEqual(
            self.replies([b"OPTS MLST", b"OPTS MLST fish;cakes;",
                          b"OPTS MLST Size;TYPE;size;"]),
            ["200 MLST OPTS", "200 MLST OPTS", "200 MLST OPTS type;size;"])

    def test_mfmtFractionDigits(self):
        """
        C{MFMT} takes a time with any number of fraction digits (RFC
        3659's C{time-val}: C{1*DIGIT}), set to the millisecond, which
        its reply gives (C{MDTM} the whole second); one of microseconds
        got C{501}.
        """
        replies = self.replies(
            [b"MFMT 20240102030405.123456 /top.bin", b"MDTM /top.bin",
             b"MFMT 20240102030405.9999999 /top.bin", b"MDTM /top.bin"])
        self.assertEqual(replies, [
            "213 Modify=20240102030405.123; /top.bin", "213 20240102030405",
            "213 Modify=20240102030405.999; /top.bin", "213 20240102030405"])

    def test_mlsdOfFile(self):
        """
        C{MLSD}, whose argument RFC 3659 makes a directory, gets C{501} for
        a file (as pyftpdlib answers; ProFTPD C{550}) and C{550} for a
        path that does not exist, before any data connection is asked for.
        """
        self.assertEqual(
            [line[:3] for line in self.replies(
                [b"MLSD /top.bin", b"MLSD /d/f.txt", b"MLSD /nope"])],
            ["501", "501", "550"])

    def test_restartRefusedInASCII(self):
        """
        A transfer from C{REST N} (N above 0) in C{TYPE A} gets C{554} and
        moves nothing (RFC 3659 section 5.3: the restart's error is the
        transfer command's): a C{REST} offset counts the octets of the
        data stream, which in C{TYPE A} are not the file's stored bytes,
        and a client's local copy holds either count (CRLF kept on
        Windows, LF on Unix), so any offset taken would corrupt one of
        them silently (it counted stored bytes). The offset is used up;
        C{REST 0} and a C{REST} followed by C{TYPE I} are no bar.
        """
        replies = self.replies(
            [b"TYPE A", b"REST 5", b"RETR /top.bin", b"REST 5",
             b"STOR /top.bin", b"REST 10", b"APPE /top.bin", b"RETR /top.bin",
             b"REST 0", b"RETR /top.bin", b"REST 5", b"TYPE I",
             b"RETR /top.bin"])
        self.assertEqual([line[:3] for line in replies],
                         ["200", "350", "554", "350", "554", "350", "554",
                          "425", "350", "425", "350", "200", "425"])
        self.assertIn("TYPE I", replies[2])

    def test_tabAfterVerb(self):
        """
        A tab after a verb separates it as a space does, as ProFTPD reads
        it: C{NOOP}, C{PWD} and C{TYPE} followed by a tab got C{500
        Unknown command}, which named known verbs unknown.
        """
        self.assertEqual(
            [line[:3] for line in self.replies(
                [b"NOOP\t", b"PWD\t", b"TYPE\tI", b"noop \t", b"SIZE\ttop.bin"])],
            ["200", "257", "200", "200", "213"])
