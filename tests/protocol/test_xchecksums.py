"""
The X-verbs (C{XCRC}, C{XMD5}, C{XSHA}, C{XSHA1}, C{XSHA256},
C{XSHA512}) on L{StringTransport}: the replies, the refusals, and that
they go through the same checks and turns as C{HASH}.
"""

import hashlib
import zlib

from twisted.cred import checkers, portal
from twisted.internet.defer import succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.protocol.checksums import X_VERBS
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, makeFactory, repliesTo, replyCodes
from tests.memorysessions import loggedIn as loggedInShell
from tests.protocol.test_hashoffer import _session, withoutHash
from tests.protocol.test_ipv6clients import FIRST, SECOND
from tests.protocol.test_sessionstate import loggedIn
from tests.protocol.test_turns import HeldCallRealm

TOP = b"x" * 10
"""The bytes of C{/top.bin} in L{tests.memorysessions.ShellRealm}'s
shells."""


class XChecksumTests(unittest.TestCase):
    """
    A logged-in session on a L{ftpkit.shells.memory.MemoryShell} of
    C{/d/f.txt} and C{/top.bin}.
    """

    def setUp(self):
        self.protocol, self.transport = loggedIn(
            makeFactory(MemoryReactorClock()))

    def replies(self, *commands):
        return repliesTo(self.protocol, self.transport, *commands)

    def test_feat(self):
        """
        C{FEAT} lists every X-verb, one line each.
        """
        [feat] = self.replies(b"FEAT")
        for verb in X_VERBS:
            self.assertIn(b"\r\n " + verb.encode() + b"\r\n", feat)

    def test_digests(self):
        """
        Each verb replies C{250} and its digest of the whole file,
        upper-case.
        """
        replies = self.replies(b"XCRC top.bin", b"XMD5 top.bin",
                               b"XSHA top.bin", b"XSHA1 /top.bin",
                               b"XSHA256 top.bin", b"XSHA512 top.bin")
        expected = ["%08X" % zlib.crc32(TOP)] + [
            getattr(hashlib, name)(TOP).hexdigest().upper()
            for name in ("md5", "sha1", "sha1", "sha256", "sha512")]
        self.assertEqual(replies, [
            b"250 " + digest.encode() + b"\r\n" for digest in expected])

    def test_range(self):
        """
        C{path start end} checksums the bytes C{[start, end)}; a quoted
        path takes one too.
        """
        data = b"hello\n"
        ranged, quoted = self.replies(b"XMD5 d/f.txt 1 4",
                                      b'XCRC "/d/f.txt" 0 6')
        self.assertEqual(ranged, b"250 %s\r\n" % hashlib.md5(
            data[1:4]).hexdigest().upper().encode())
        self.assertEqual(quoted, b"250 %08X\r\n" % zlib.crc32(data))

    def test_relativeToCwd(self):
        """
        A relative path is read from the current directory.
        """
        [_, reply] = self.replies(b"CWD d", b"XSHA256 f.txt")
        self.assertEqual(reply, b"250 %s\r\n" % hashlib.sha256(
            b"hello\n").hexdigest().upper().encode())

    def test_notAFile(self):
        """
        A directory and a missing file get C{550}.
        """
        directory, missing = self.replies(b"XMD5 d", b"XMD5 nothing")
        self.assertEqual(directory, b"550 Not a regular file\r\n")
        self.assertTrue(missing.startswith(b"550 "), missing)

    def test_hashNotAFile(self):
        """
        C{HASH} of a directory gets the C{550} the X-verbs, C{SIZE} and
        C{MDTM} give it (C{SIZE} in C{TYPE I}, where it looks at the
        path): it got C{553}, the code of a name not allowed.
        """
        replies = self.replies(b"HASH d", b"XSHA256 d", b"TYPE I",
                               b"SIZE d", b"MDTM d")
        del replies[2]
        self.assertEqual(replies, [b"550 Not a regular file\r\n"] * 4)

    def test_badArguments(self):
        """
        No path, a range past the file's end or not past its start, and
        junk after a quoted path get C{501}, never a traceback.
        """
        replies = self.replies(b"XMD5", b"XMD5 top.bin 0 11",
                               b"XMD5 top.bin 4 4", b'XMD5 "top.bin" x',
                               b"XCRC /../../etc/passwd 0 5")
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"501 ", b"501 ", b"550 "])
        self.assertIn(b"exceeds", replies[1])
        self.assertIn(b"XMD5 <sp> pathname [<sp> start <sp> end]",
                      replies[3])

    def test_signedRange(self):
        """
        A signed range after a path gets C{501} saying what is wrong: it
        was read as part of the path (C{550 No such file}); quoted, such a
        name is looked up whole.
        """
        signed, quoted = self.replies(b"XCRC top.bin -1 5",
                                      b'XCRC "top.bin -1 5"')
        self.assertEqual(signed, b"501 Range start and end must be unsigned "
                         b"numbers (quote a name that ends in numbers)\r\n")
        self.assertTrue(quoted.startswith(b"550 "), quoted)

    def test_help(self):
        """
        C{HELP XCRC} gives the syntax, range included.
        """
        [reply] = self.replies(b"HELP XCRC")
        self.assertEqual(
            reply, b"214 Syntax: XCRC <sp> pathname [<sp> start <sp> end]"
            b"\r\n")

    def test_beforeLogin(self):
        """
        Before login an X-verb gets C{530}, as C{HASH} does.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        transport.clear()
        self.assertEqual(repliesTo(protocol, transport, b"XMD5 top.bin"),
                         [b"530 Please log in with USER and PASS first\r\n"])


class WithoutChecksumsTests(unittest.TestCase):
    """
    On a shell without L{ftpkit.interfaces.IFTPShellHash} the X-verbs are
    not listed and get C{502}, as C{HASH} does.
    """

    def test_refused(self):
        protocol, transport = _session(withoutHash)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        feat, md5, bad = repliesTo(protocol, transport, b"FEAT",
                                  b"XMD5 f.txt", b'XCRC "f.txt" junk')
        for verb in X_VERBS:
            self.assertNotIn(b" " + verb.encode() + b"\r\n", feat)
        self.assertEqual(md5, b"502 XMD5 not available here\r\n")
        self.assertTrue(bad.startswith(b"502 "), bad)


class SharedTurnTests(unittest.TestCase):
    """
    X-verbs and C{HASH} take the same turns among one network's
    sessions.
    """

    def test_xVerbWaitsForHash(self):
        realm = HeldCallRealm("hash")
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        factory = FTPFactory(portal.Portal(realm, [passwords]),
                             ServerConfig(loginFailureDelay=0),
                             MemoryReactorClock())
        sessions = []
        for host, line in ((FIRST, b"HASH a.bin"),
                           (SECOND, b"XSHA512 b.bin 0 1")):
            protocol, transport = connect(factory, host)
            for sent in (b"USER alice", b"PASS secret", line):
                protocol.dataReceived(sent + b"\r\n")
            sessions.append(transport)
        self.assertEqual([path for path, _ in realm.asked], [("a.bin",)])
        realm.asked[0][1].callback("aa")
        self.assertEqual(replyCodes(sessions[0])[-1], "213")
        self.assertEqual([path for path, _ in realm.asked],
                         [("a.bin",), ("b.bin",)])
        realm.asked[1][1].callback("bb")
        self.assertEqual(sessions[1].value().split(b"\r\n")[-2], b"250 BB")


class WrongDigestShell(MemoryShell):
    """
    A L{MemoryShell} holding C{/f} whose C{hash} gives C{digest},
    whatever it is.
    """

    def __init__(self, digest):
        """
        @param digest: what C{hash} gives.
        """
        MemoryShell.__init__(self, {"/f": b"abc"})
        self.digest = digest

    def hash(self, path, algorithm, start=0, end=None):
        """
        @return: a fired Deferred of C{digest}.
        """
        return succeed(self.digest)


class WrongDigestTests(unittest.TestCase):
    """
    A plugin's C{hash} giving something other than a hex digest gets
    C{451} and a log line, never sent to the client as it is (C{HASH}
    answered C{213 SHA-256 0-3 12345 /f} for an C{int}; C{XCRC} an
    C{AttributeError}'s traceback).
    """

    def test_notDigest(self):
        """
        An C{int}, C{bytes}, C{None}, text that is not hex, C{""}, hex
        of another length than the algorithm's digest: C{451} to C{HASH}
        and C{XMD5}.
        """
        for digest in (12345, b"ab", None, "lots", "", "00ff"):
            protocol, transport = loggedInShell(WrongDigestShell(digest))
            replies = repliesTo(protocol, transport, b"HASH f", b"XMD5 f")
            self.assertEqual([reply[:4] for reply in replies],
                             [b"451 "] * 2, (digest, replies))

    def test_digest(self):
        """
        A hex digest of the algorithm's length is answered, lowercase.
        """
        protocol, transport = loggedInShell(WrongDigestShell("00FF" * 16))
        self.assertEqual(repliesTo(protocol, transport, b"HASH f"),
                         [b"213 SHA-256 0-3 " + b"00ff" * 16 + b" /f\r\n"])
