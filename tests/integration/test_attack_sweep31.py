"""
The thirty-first attack sweep, over real loopback sockets.

A checksum of a file on disk that shrank while it was read (truncated by
a local user, C{logrotate}'s C{copytruncate}, another session's C{REST}
and C{STOR}, which cuts the file where its bytes end; or a file whose
size lies, as a C{sysfs} file's 4096 bytes for a few) was answered as if
whole:
C{HASH} gave C{213 SHA-256 0-4096} and the digest of the 3 bytes there
were, C{XCRC} and C{XMD5} the digest of what they read. And a file that
grew between C{HASH}'s look at its size and its opening (a log being
written, an C{APPE} running) had the digest of more bytes than the range
the reply named. Both get C{451} now, or the digest of exactly the range
named (L{ChangingFileChecksumTests}).

Tried and held (C{python -m ftpkit}, one process and C{--workers 2}, the
disk realm; C{--realm filesystem} on C{tmpfs} for times past the year
9999):
    - C{SIZE}, C{MDTM}, C{HASH}, C{XCRC}, C{XSHA512}, C{MLST}, C{RETR}
      (with C{REST}), C{STOR}, C{APPE}, C{SITE CHMOD} and C{MFMT} on a
      FIFO, a character device, a socket, a link out of the root, a
      directory link out of the root, a hard link to a file outside
      (served as the file it is: a hard link is the file; only a local
      user makes one), C{sysfs} and C{/proc/sys} files (C{RETR}: C{451
      File shrank}; beware that a server running as root writes them
      through C{APPE}, as any program would: do not serve them);
    - files dated 1 AD, 9999 and 146 billion years on: C{LIST}, C{MLSD},
      C{MDTM}, C{STAT} clamp to 0001 and 9999; C{MFMT} past what the
      file system keeps answers the time it kept (2446 here);
    - C{MFMT}, C{MFF}, C{SITE UTIME}, C{SITE CHMOD}, C{REST}, C{PORT},
      C{EPRT}, C{ALLO} with full-width and Arabic-Indic digits, C{+},
      C{_}, C{0x}, C{0o}, leap seconds, 30 February, 15 and 40 digits:
      C{501}; 3,600 random commands of C{OPTS}, C{SITE}, C{HOST},
      C{CLNT}, C{MFMT}, C{MFF} and 70 other verbs: no traceback;
    - Telnet IAC IP/DM before and inside a command, IAC IAC in a path,
      IAC SB of 100 KB (C{500}, closed), NUL, a lone CR, names of
      overlong UTF-8 and lone surrogates;
    - the implicit FTPS port and C{AUTH TLS} given an HTTP request, a
      cut C{ClientHello}, a 64 KB record, 5,000 random bytes: one log
      line each, then throttled (600 handshakes, 4 lines); client
      renegotiation under TLS 1.2: refused;
    - PROXY protocol headers split over five packets, v2 C{LOCAL},
      C{AF_UNIX} and C{TCP6} of a mapped IPv4 address, two headers in a
      row, a port of 99999, 0.0.0.0, a v2 length of 65535; a header cut
      short, or none, closed 10 seconds on (one line: no PROXY header in
      time), and a header from an address not C{--trusted-proxy}
      refused at once;
    - C{--metrics}: 20 MB of headers and a 100 MB body (C{400}, reset),
      1,500 connections held from one address (8 kept, its limit; the
      rest closed, and a scrape from that address refused meanwhile);
    - 7 MB of pipelined C{NOOP} and 4 MB of C{STAT /} never read: the
      server's memory did not grow, another login 1 ms;
    - 1,000 sessions each of: C{PASV} then gone, an upload cut midway,
      C{AUTH TLS} and half a C{ClientHello}, C{PROT P} and a data
      connection that never starts TLS, C{REST} + C{RETR} + C{ABOR},
      an implicit FTPS login then gone, a PROXY header of a new address
      each time, C{EPSV} whose control connection closes first: the
      server's descriptors back where they were each time, no timer or
      session object left (counted in the server after C{gc.collect}),
      its memory within 400 KB (caches of client addresses, bounded at
      4,096);
    - 20 sessions listing a directory of 200,000 names and reading
      nothing: 34 MB more while they waited, back once they left.
"""

import ftplib
import hashlib
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import diskhash
from ftpkit.shells.filesystem import FilesystemShell
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

SIZE = 1000
"""Bytes of the file checksummed."""


class ChangingFileChecksumTests(LoopbackServerMixin, unittest.TestCase):
    """
    Checksums of a file that changes under them, on the disk realm.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = os.path.join(self.root, "log")
        self.data = (bytes(range(256)) * 4)[:SIZE]
        with open(self.path, "wb") as f:
            f.write(self.data)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def _replies(self, commands):
        """
        Log in and send each command, the file whole before each
        (blocking: in a thread).

        @return: a Deferred with the replies, and the C{NOOP}'s after.
        """
        def client():
            with ftplibLogin(self, self.server.port, timeout=20) as ftp:
                replies = []
                for command in commands:
                    with open(self.path, "wb") as f:
                        f.write(self.data)
                    try:
                        replies.append(ftp.sendcmd(command))
                    except ftplib.Error as e:
                        replies.append(str(e))
                return replies, ftp.sendcmd("NOOP")

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_shrankWhileRead(self):
        """
        A file cut to 10 bytes once its checksum began gets C{451} for
        C{HASH}, C{XCRC} and C{XMD5}, not the digest of those 10 bytes
        for the 1000 the file had (C{HASH} named the range C{0-1000});
        the session goes on.
        """
        original = diskhash.hashStep

        def truncating(digest, fd, position, stop):
            os.truncate(self.path, 10)
            return original(digest, fd, position, stop)

        self.patch(diskhash, "hashStep", truncating)
        replies, noop = yield self._replies(
            ["HASH log", "XCRC log", "XMD5 log"])
        self.assertEqual(
            replies,
            ["451 File shrank during the checksum: read to byte 10 of %d"
             % (SIZE,)] * 3)
        self.assertEqual(noop, "200 NOOP ok")

    @defer.inlineCallbacks
    def test_grewBeforeOpened(self):
        """
        A file that grew by 500 bytes between C{HASH}'s look at its size
        and its opening gets the digest of the range the reply names,
        C{0-1000}, not of the 1500 bytes there are by then.
        """
        original = FilesystemShell._openForHash
        grown = []

        def growing(shell, path, algorithm, end):
            if not grown:
                grown.append(True)
                with open(self.path, "ab") as f:
                    f.write(b"x" * 500)
            return original(shell, path, algorithm, end)

        self.patch(FilesystemShell, "_openForHash", growing)
        replies, noop = yield self._replies(["HASH log"])
        self.assertEqual(replies, ["213 SHA-256 0-%d %s /log" % (
            SIZE, hashlib.sha256(self.data).hexdigest())])
        self.assertEqual(noop, "200 NOOP ok")
