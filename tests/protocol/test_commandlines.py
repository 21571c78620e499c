"""
The command lines a session reads, on L{StringTransport} with a
L{MemoryReactorClock}: their length limit, commands queued behind a slow
one, an HTTP request sent to the FTP port, and a client's mistakes.
"""

from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control import peerwarnings
from ftpkit.errors import NoSuchFile
from ftpkit.protocol import commandtable
from tests.logevents import captureLogs, warningsAbout
from tests.memorysessions import connect, makeFactory, replyCodes


class LineLengthTests(unittest.TestCase):
    """
    The maximum command-line length.
    """

    def test_megabyteWithoutNewline(self):
        """
        A 1 MiB line without newline gets one C{500} and a close; the
        buffered text never grows past the limit plus one read.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxLineLength=4096)
        protocol, transport = connect(factory)
        chunk = b"A" * 65536
        for _ in range(16):
            protocol.dataReceived(chunk)
            self.assertLessEqual(len(protocol._buffer), 4096 + len(chunk))
        self.assertEqual(replyCodes(transport), ["220", "500"])
        self.assertTrue(transport.disconnecting)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))

    def test_longLineWithNewline(self):
        """
        An over-long line followed by a newline and more commands gets
        C{500}, and nothing after it runs.
        """
        factory = makeFactory(MemoryReactorClock(), maxLineLength=100)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"NOOP " + b"x" * 200 + b"\r\nNOOP\r\n")
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "500"])
        self.assertTrue(transport.disconnecting)

    def test_limitIsInclusive(self):
        """
        A line of exactly C{maxLineLength} bytes is accepted.
        """
        factory = makeFactory(MemoryReactorClock(), maxLineLength=100)
        protocol, transport = connect(factory)
        line = b"NOOP " + b"x" * 94
        protocol.dataReceived(line + b"\n")
        self.assertEqual(replyCodes(transport), ["220", "200"])


class PipeliningTests(unittest.TestCase):
    """
    Commands queued behind a slow one: reading pauses, then resumes.
    """

    def test_pauseAndResume(self):
        """
        Reading pauses once C{maxPendingCommands} are queued, without
        queueing more, and resumes as the queue drains; every command is
        answered in order.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxPendingCommands=8)
        protocol, transport = connect(factory)
        # TYPE I: there SIZE waits for the shell's stat.
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nTYPE I\r\n")
        slow = defer.Deferred()
        protocol.session.shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n" + b"NOOP\r\n" * 1000)
        self.assertEqual(transport.producerState, "paused")
        self.assertLessEqual(len(protocol._queue), 8)
        self.assertEqual(transport.value(), b"")
        slow.errback(NoSuchFile())
        # The reactor's turns, each running the lines a session may run
        # in one.
        clock.advance(0)
        codes = replyCodes(transport)
        self.assertEqual(codes[0], "550")
        self.assertEqual(codes[1:], ["200"] * 1000)
        self.assertEqual(transport.producerState, "producing")
        self.assertEqual(len(protocol._queue), 0)

    def test_pauseOnQueuedBytes(self):
        """
        Reading also pauses once the queued commands' arguments reach
        C{maxPendingBytes}: long lines, each up to C{maxLineLength}, made
        a session behind a slow command hold C{maxPendingCommands} of
        them.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxPendingBytes=4000)
        protocol, transport = connect(factory)
        # TYPE I: there SIZE waits for the shell's stat.
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nTYPE I\r\n")
        slow = defer.Deferred()
        protocol.session.shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n"
                              + (b"NOOP " + b"x" * 1000 + b"\r\n") * 50)
        self.assertEqual(transport.producerState, "paused")
        self.assertLessEqual(len(protocol._queue), 4)
        slow.errback(NoSuchFile())
        codes = replyCodes(transport)
        self.assertEqual(codes, ["550"] + ["200"] * 50)
        self.assertEqual(transport.producerState, "producing")

    def test_pauseLinesThrottled(self):
        """
        The line saying a session paused for its pipelined commands is
        throttled for its client's address as the other lines a client
        causes at will are (L{PeerWarnings}): a client refilling its queue
        at each turn wrote one line each time, 4,312 lines in 10 s.
        """
        events = captureLogs(self)
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxPendingCommands=8)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nTYPE I\r\n")
        shell = protocol.session.shell
        rounds = peerwarnings.LINES + 20
        for _ in range(rounds):
            slow = defer.Deferred()
            shell.stat = lambda path, slow=slow: slow
            protocol.dataReceived(b"SIZE /top.bin\r\n" + b"NOOP\r\n" * 20)
            self.assertEqual(transport.producerState, "paused")
            slow.errback(NoSuchFile())
            clock.advance(0)
        paused = [event for event in events
                  if "pipelined" in event.get("log_format", "")]
        self.assertEqual(len(paused), peerwarnings.LINES)
        clock.advance(peerwarnings.INTERVAL)
        self.assertEqual(
            [(event["warning_kind"], event["count"]) for event in events
             if event.get("ftpkit_event") == "warnings-not-logged"],
            [("pipelined", rounds - peerwarnings.LINES)])

    def test_queueWaitsForUnreadReplies(self):
        """
        While the client leaves its replies unread (the transport's buffer
        is full and pauses the session), the commands it queued wait, and
        run once the replies went out. They ran meanwhile, each adding its
        reply to those held: eight sessions each sending C{STAT} of a
        directory of 2,000 long names a thousand times, and reading
        nothing, grew a server by 240 MB (64 replies of 600 KB each).
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        # TYPE I: there SIZE waits for the shell's stat.
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nTYPE I\r\n")
        shell = protocol.session.shell
        slow = defer.Deferred()
        shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n" + b"STAT /d\r\n" * 5)
        del shell.stat
        protocol.pauseProducing()
        slow.errback(NoSuchFile())
        self.assertEqual(replyCodes(transport), ["550"])
        self.assertEqual(len(protocol._queue), 5)
        protocol.resumeProducing()
        self.assertEqual(replyCodes(transport), ["550"] + ["212"] * 5)
        self.assertEqual(transport.producerState, "producing")


class HTTPRequestTests(unittest.TestCase):
    """
    An HTTP request sent to the FTP port closes the connection.
    """

    def test_formPostRunsNothing(self):
        """
        A browser made by a web page to post a form whose body holds FTP
        commands gets C{421} for its request line and the connection
        closes: none of the commands runs (they ran after a C{500} for each
        header line: cross-protocol request forgery).
        """
        body = b"USER alice\r\nPASS secret\r\nMKD /posted\r\n"
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        transport.clear()
        protocol.dataReceived(
            b"POST / HTTP/1.1\r\nHost: ftp.example.com:2121\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body))
        self.assertEqual(transport.value(),
                         b"421 This is an FTP server, not HTTP; closing\r\n")
        self.assertTrue(protocol._closed)
        self.assertIsNone(protocol.session.shell)


class ClientMistakeTests(unittest.TestCase):
    """
    Mistakes a client makes get a reply code and the session goes on.
    """

    def login(self):
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_renameRootRefused(self):
        protocol, transport = self.login()
        protocol.dataReceived(b"RNFR /\r\nRNTO x\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["550", "503", "200"])

    def test_pathTooLongButLineFits(self):
        """
        A path longer than C{PATH_MAX} on a line the server accepts gets
        550 (C{CWD} has no 553 in RFC 959), not a dropped connection.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"CWD " + b"x" * 5000 + b"\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["550", "200"])
        self.assertFalse(transport.disconnecting)

    def test_unknownAndUnimplemented(self):
        protocol, transport = self.login()
        protocol.dataReceived(b"XYZZY\r\nSMNT /x\r\nretr\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["500", "502", "501", "200"])

    def test_longAddresses(self):
        """
        RFC 1639's C{LPSV} and C{LPRT}, which tnftp sends over IPv6 with
        C{epsv6 off}, get C{502} (known, not implemented; C{EPSV} and
        C{EPRT} replaced them), not C{500} (unknown).
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"LPSV\r\nLPRT 6,16,0,0,0,0,0,0,0,0,0,0,0,0,"
                              b"0,0,0,1,2,4,1\r\n")
        self.assertEqual(replyCodes(transport), ["502", "502"])

    def test_helpUnimplemented(self):
        """
        C{HELP} of each verb ftpkit knows but does not implement (which
        gets C{502}) says so with C{214}, rather than calling it unknown.
        """
        protocol, transport = self.login()
        for verb in sorted(commandtable.KNOWN_UNIMPLEMENTED):
            transport.clear()
            protocol.dataReceived(b"HELP " + verb.lower().encode() + b"\r\n")
            self.assertEqual(transport.value(),
                             b"214 " + verb.encode()
                             + b" is not implemented\r\n")
            transport.clear()
            protocol.dataReceived(verb.encode() + b"\r\n")
            self.assertEqual(replyCodes(transport), ["502"], verb)

    def test_helpListsWhatRuns(self):
        """
        C{HELP} lists the verbs this session offers, as C{FEAT} lists
        their features: without TLS, none of C{AUTH}, C{PBSZ}, C{PROT},
        C{CCC}, C{SSCN} and C{CPSV}, nor C{AVBL} on a shell that cannot
        tell the room left, which it all listed, and which answer C{502}
        (or C{503}, C{534}, C{550}) here. No verb it lists gets C{502}.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"HELP\r\n")
        lines = transport.value().decode().split("\r\n")
        listed = " ".join(lines[1:-2]).split()
        self.assertEqual(
            sorted(set(commandtable.COMMANDS) - set(listed)),
            ["AUTH", "AVBL", "CCC", "CPSV", "PBSZ", "PROT", "SSCN"])
        for verb in listed:
            protocol, transport = self.login()
            protocol.dataReceived(verb.encode() + b" x\r\n")
            self.assertNotIn("502", replyCodes(transport), verb)

    def test_helpUnknown(self):
        """
        C{HELP} of a verb ftpkit does not know gets C{501}: C{HELP} is
        implemented, its argument is what is wrong (RFC 959 gives C{HELP}
        C{501}; C{502} would say C{HELP} is not implemented), as pyftpdlib
        answers. It was C{502}, as ProFTPD answers.
        """
        protocol, transport = self.login()
        transport.clear()
        protocol.dataReceived(b"HELP XYZZY\r\n")
        self.assertEqual(transport.value(), b"501 Unknown command\r\n")

    def test_helpWithArgument(self):
        """
        C{HELP} of a command and an argument describes the command its
        first word names, as ProFTPD does: C{HELP MODE Z} got C{501
        Unknown command}, MODE being one; a tab ends the word as a space
        does. An unknown first word is still unknown, whatever follows it.
        """
        protocol, transport = self.login()
        transport.clear()
        protocol.dataReceived(b"HELP MODE Z\r\nhelp type  a\r\n"
                              b"HELP MODE\tZ\r\n"
                              b"HELP SMNT x\r\nHELP XYZZY MODE\r\n")
        self.assertEqual(transport.value(),
                         b"214 Syntax: MODE <sp> S\r\n"
                         b"214 Syntax: TYPE <sp> A | I | L 8\r\n"
                         b"214 Syntax: MODE <sp> S\r\n"
                         b"214 SMNT is not implemented\r\n"
                         b"501 Unknown command\r\n")

    def test_outOfSequence(self):
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"PASS x\r\nLIST\r\nUSER alice\r\n")
        self.assertEqual(replyCodes(transport)[1:], ["503", "530", "331"])


class BareLineFeedTests(unittest.TestCase):
    """
    A bare LF in a session whose lines end with CRLF: an LF inside a
    command (lftp sends a name holding a newline as it is, each piece
    awaiting a reply).
    """

    def login(self, end=b"\r\n"):
        """
        Log in, each line ended with C{end}.

        @return: C{(protocol, transport)}.
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice" + end + b"PASS secret" + end)
        transport.clear()
        return protocol, transport

    def test_piecesNotRun(self):
        """
        Each piece of a line cut by bare LFs, sent alone as lftp sends
        them, gets C{501} and none runs: not C{DELE} of the name's first
        line, nor C{DELE} spelled by the rest of the name. The next line
        runs as usual.
        """
        protocol, transport = self.login()
        for piece in (b"DELE top.bin\n", b"DELE d/f.txt\n", b"x\r\n"):
            protocol.dataReceived(piece)
        protocol.dataReceived(b"TYPE I\r\nSIZE top.bin\r\nSIZE d/f.txt\r\n")
        self.assertEqual(replyCodes(transport),
                         ["501", "501", "501", "200", "213", "213"])

    def test_wholeLineRefused(self):
        """
        A line with bare LFs that arrived whole, up to its CRLF, as ncftp
        sends it, is one command and gets one reply: its name, holding
        newlines, is refused.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"DELE top.bin\nDELE d/f.txt\nx\r\n"
                              b"TYPE I\r\nSIZE top.bin\r\nSIZE d/f.txt\r\n")
        self.assertEqual(replyCodes(transport), ["550", "200", "213", "213"])

    def test_cutLinesLoggedOnce(self):
        """
        A session's cut lines make one log line, its first: each piece
        of a line is a few bytes the client sends.
        """
        events = captureLogs(self)
        protocol, transport = self.login()
        for _ in range(100):
            protocol.dataReceived(b"a\n")
            protocol.dataReceived(b"b\r\n")
        self.assertEqual(replyCodes(transport), ["501"] * 200)
        cut = [event for event in events
               if "cut by a bare LF" in event.get("log_format", "")]
        self.assertEqual(len(cut), 1)

    def test_bareLineFeedClient(self):
        """
        A client that ends every line with a bare LF is served.
        """
        protocol, transport = self.login(b"\n")
        protocol.dataReceived(b"DELE top.bin\nSIZE top.bin\n")
        self.assertEqual(replyCodes(transport), ["250", "550"])
