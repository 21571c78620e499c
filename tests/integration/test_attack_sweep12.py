"""
The twelfth attack sweep, over real loopback sockets.

A reply echoing a name that holds the byte C{0xff} (a name made on disk
that is not UTF-8, or one sent with its C{IAC} doubled) sent that byte as
it was: RFC 854 and RFC 959 make the control connection a Telnet one, on
which a C{0xff} of the text is sent doubled, so a client reading Telnet
(RFC 2640 asks of clients to undouble it) took the byte after it for a
Telnet command: C{257 "/d\\xff\\xf4x"} read as C{257 "/dx"} with an
interrupt, a path that names another directory. Every reply doubles it now
(L{ftpkit.protocol.replies.encodeReply}); listings on data connections,
which are not Telnet, send names as their bytes.

Fixed too, with unit tests (L{tests.unit.test_eventlog}): a session 16
directories of 250 non-UTF-8 bytes down had each C{MKD x} and C{RMD x}
logged as a 24 KB line (9.9 MB of log a second, 1,729 times the bytes
sent; the path's fields are now cut past 512 characters: 3.1 KB); and
5,000 connections over C{--max-connections-per-ip} opened and dropped in
1.3 s logged 565 KB, a line each (now 10 lines a minute an address: 1.1
KB).

The swap of a directory for a link out of the root between the shell's
check and its use (L{tests.integration.test_attack_linkrace}) is raced
here on the verbs that module does not send (L{MoreLinkRaceTests}): held.

Tried and held (C{python -m ftpkit}, one process with the C{users:}
realm and quotas, and C{--workers 2} with C{--auth anonymous}, explicit
and implicit TLS, C{--max-connections-per-ip 16}, C{--passive-ports},
the listings' cache on):
    - C{QUIT} then a pipelined C{DELE}: not run; C{NOOP\rNOOP}: one
      C{500}; NUL in a verb or a path: C{500}, C{550}; a line over 8 KiB
      (or 100 KB without a line end): C{500} and closed;
    - C{EPRT}/C{PORT} to C{0.0.0.0} (taken as the client), to
      C{255.255.255.255} or C{127.0.0.2} (C{501}), to port 0, 65536, -1,
      an address written in octal, hex or as one integer, an IPv6 zone
      (C{501}), below port 1024 (C{501}); a PROXY header on a plain
      listener: C{500}; the per-address limit across a C{tcp:} and a
      C{tcp6:} C{::} listener, IPv4-mapped too: C{421};
    - C{SITE SYMLINK}, C{EXEC}, C{CPFR}: C{500}; C{SITE CHMOD 4777},
      huge or negative modes: C{501}; the root's mode: C{550};
      anonymous: eleven changing verbs C{550}; C{USER} after login
      C{530}; C{RNFR}, C{NOOP}, C{RNTO}: C{503}; after C{CCC} with
      C{--tls-required}, C{PROT C} and C{PBSZ}: C{503}; C{MFF} of
      C{UNIX.mode} with special bits, twice, in other notations, or of
      owner, group or C{create}: C{501}/C{504}; failed logins counted
      across C{REIN} (closed after the third); a C{PROT P} data
      connection sending two bytes of a ClientHello, then nothing:
      C{426} after 10 s;
    - 14 sessions each holding a C{LIST} or C{MLSD} of 100,000 entries
      unread (the directory changed before each, so none is shared):
      server memory grew 53 MB once (the cache), then under 1 MB; four
      descriptors a session, back to 15 after; another session's C{NOOP}
      0.04 to 0.3 ms; 3,000 C{MLSD}s of distinct directories from one
      session: inotify watches stop at 1,024, descriptors 17 to 18;
    - 20,000 commands of C{PASV}, C{EPSV}, C{REST}, C{ABOR}, refused
      C{PORT}s and transfers aborted before their connection, in 1.8 s:
      descriptors back to 15, memory and threads unchanged; 16 sessions
      of 40 pipelined C{PASV}/C{EPSV}: one listener each, C{127.0.0.2}
      still served;
    - 200 pipelined unread C{STAT}s of the 100,000-entry directory from
      each of 12 sessions: C{550} (over 2,000 entries), memory +16 MB;
      C{TYPE A} C{SIZE} of a 4 GiB file: C{550} at once; a FIFO in the
      root: C{RETR} and C{APPE} C{550}, no thread blocked;
    - 1,500 random C{STOR}, C{APPE}, C{DELE}, C{RNTO}, C{SITE CHMOD},
      C{MFMT}, C{MKD}, C{RMD} of one session, each followed by an
      C{MLSD} (and every third a C{LIST}) in one of three others, under
      C{--workers 2}: every listing matched the disk; C{quota-files 5}:
      of six C{STOR}s at once with room for one, one stored.
"""

import hashlib
import os
import zlib

from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from tests.integration import test_attack_linkrace as linkrace
from tests.integration.test_attack_jail import RawClient


class MoreLinkRaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    The verbs L{linkrace.LinkRaceTests} does not race, in its setting: checksums
    other than C{HASH}, C{SITE UTIME}, C{MFF}, C{APPE}, C{STOU} in the
    swapped directory, a rename into it, and C{AVBL}.
    """

    timeout = 60
    setUp = linkrace.LinkRaceTests.setUp
    outsideState = linkrace.LinkRaceTests.outsideState

    def race(self, lines, armed=True):
        """
        Send each line with the swap armed (a C{(line, upload)} pair runs
        a transfer, C{None} disarms the next line's swap), as
        L{linkrace.LinkRaceTests} does.

        @param armed: whether to arm the swaps at all.

        @return: a L{Deferred} firing with everything the client got.
        """
        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                disarm = False
                for line in lines:
                    if line is None:
                        disarm = True
                        continue
                    self.shell.restore()
                    if disarm or not armed:
                        self.shell.armed = disarm = False
                    if isinstance(line, tuple):
                        seen.append(b"%r" % (client.transfer(*line),))
                    else:
                        seen.append(client.command(line))
                self.shell.restore()
                self.shell.armed = False
                return b"\n".join(seen)
            finally:
                client.close()

        return self.inThread(attack)

    async def test_described(self):
        """
        Checksums of the secret through the swapped directory are never
        its checksums, and nothing outside changes.
        """
        secret = os.path.join(self.outside, "secret.txt")
        os.utime(secret, (978307200, 978307200))  # 2001-01-01
        self.outsideBefore = self.outsideState()
        seen = await self.race([
            b"XMD5 race/secret.txt", b"XSHA1 race/secret.txt",
            b"XSHA256 race/secret.txt", b"XSHA512 race/secret.txt",
            b"XCRC race/secret.txt", b"MDTM race/secret.txt",
            b"AVBL race", b"SIZE race/secret.txt"])
        assertUnrevealed(self, seen)
        self.assertEqual(len(self.shell.swappedAt), 8)
        self.assertEqual(self.outsideState(), self.outsideBefore)

    async def test_changed(self):
        """
        Times, appends, unique uploads and a rename into the swapped
        directory change nothing outside.
        """
        seen = await self.race([
            b"SITE UTIME 20000101000000 race/secret.txt",
            b"SITE UTIME race/secret.txt 20000101000000 20000101000000 "
            b"20000101000000 UTC",
            b"MFF modify=20000101000000; race/secret.txt",
            (b"APPE race/secret.txt", b"appended"),
            b"CWD /",
            (b"STOU race/unique", b"unique"),
            None, b"RNFR real/secret.txt", b"RNTO race/moved.txt"])
        self.assertEqual(self.outsideState(), self.outsideBefore, seen)
        self.assertEqual(len(self.shell.swappedAt), 7, seen)
        self.assertIn(b"350", seen)


def assertUnrevealed(case, seen):
    """
    Fail C{case} if C{seen} holds a digest of the secret outside the
    root, its size or its time.
    """
    for name in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(name, linkrace.SECRET).hexdigest().encode()
        case.assertNotIn(digest, seen.lower())
    case.assertNotIn(b"%08x" % (zlib.crc32(linkrace.SECRET),), seen.lower())
    case.assertNotIn(b"213 %d" % (len(linkrace.SECRET),), seen)
    case.assertNotIn(b"2001", seen)
