"""
The eleventh attack sweep, over real loopback sockets.

A command's argument lost every Telnet command in it: an C{IAC} (the
byte C{0xff}) followed by a command byte (C{0xf0} to C{0xfe}) was
dropped with that byte, wherever it stood. A name holding them (made
with the C{IAC} doubled, as RFC 2640 asks of clients) is listed as its
bytes, and a client sending it back as listed (ftplib with
C{encoding="latin-1"}, any client that does not double C{0xff}) named
another file: C{DELE} of the listed C{b"\\xff\\xf4report"} removed
C{report}, which a user sharing the directory had chosen. Telnet
commands are now read only before the argument (C{IAC IP IAC DM} before
C{ABOR}, a negotiation); in it only C{IAC IAC} is read, as one C{0xff}.

A small upload written in place (C{REST 10}, then a one-byte C{STOR} in
C{TYPE I}, spliced and committed with its last batch) over a large file
cut the file after its new last byte in the reactor thread: the cut
frees the file's blocks in the call itself, and over a 3 GiB file another
client's C{NOOP} waited 1.16 s. The fourth sweep
(L{tests.integration.test_attack_sweep4}) moved a commit's rename and
removal of a large file to a disk thread, but not this cut.

Tried and held (a server in a process of its own, C{users:} realm, TLS;
C{--workers 2} with a C{haproxy:} listener; the memory and fsspec
realms):
    - 5,000 connections closed at once, and 5,000 reset, on a
      C{--workers 2} acceptor: its descriptors back to 19 within 2 s, the
      next client greeted at once; 200 silent and 5 trickling (a byte
      every 3 s) PROXY headers all closed within 12 s; a worker killed
      with C{SIGKILL} lost only its own sessions (5 of 10), its
      replacement served 20 of 20 logins;
    - TLS: a data connection of alice's session resuming bob's control
      session (TLS 1.2 and 1.3, bob connected or gone, his context
      reused by the pool) refused with C{426} under
      C{--tls-require-session-reuse}; 300 C{RETR}s each aborted in the
      middle of a PROT P handshake, and 800 half handshakes over 200
      C{EPSV}s, left the server at its descriptor count (16, 23) and 4
      candidates alive; 1,000 TLS logins with a PROT P listing and 1,600
      cut ones grew it by under 0.2 MB; 30 stalled PROT P downloads hold
      about 0.7 MB each, and no CPU; plaintext pipelined after
      C{AUTH TLS} is dropped;
    - C{REST} negative, past 2**63, past the end (C{554}), C{APPE} after
      C{REST}; C{CWD} 256 levels deep (C{550 Path too deep}), 15 levels
      of 255-byte names (C{550 File name too long}); C{RMD} of another
      session's working directory; cycles by C{RNTO} on all four realms;
      a 1,500-command fuzz of 31 verbs by 29 odd names on each realm: no
      traceback; C{MFF} and C{SITE} with and without C{chmod} or
      C{set-time}, C{--no-site-chmod}, on C{/}; C{--hold-anonymous-uploads}
      against C{SIZE}, C{HASH} and C{XCRC} ranges; wildcards at the hidden
      upload names; C{REIN} during an upload then another login;
    - 200,000 C{STAT}s pipelined during a download, 950,000 C{NOOP}s
      and 6,600 TYPE A C{SIZE}s of a 1 MB file from 4 sessions in 10 s:
      server memory flat, another client's C{NOOP} under 7 ms.
"""

import io
import os

from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import shortcalls
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class CutInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    A large file, and a small upload written into it in place. Every
    C{os.ftruncate} is recorded with the length of the file it cuts and
    whether it ran in the reactor thread.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.big = os.path.join(self.root, "big")
        with open(self.big, "wb") as f:
            f.write(b"\1" * (shortcalls.FREES_LITTLE + (1 << 20)))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())
        self.cuts = []
        truncate = os.ftruncate

        def recording(fd, length):
            self.cuts.append((os.fstat(fd).st_size, length,
                              threadable.isInIOThread()))
            return truncate(fd, length)

        self.patch(os, "ftruncate", recording)

    async def test_cutOffReactor(self):
        """
        C{REST 10} and a one-byte C{STOR} leave 11 bytes, cut in a disk
        thread.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            return ftp.storbinary("STOR big", io.BytesIO(b"z"), rest=10)

        reply = await self.inThread(run)
        self.assertTrue(reply.startswith("226"), reply)
        with open(self.big, "rb") as f:
            self.assertEqual(f.read(), b"\1" * 10 + b"z")
        large = [inReactor for size, length, inReactor in self.cuts
                 if size > shortcalls.FREES_LITTLE and length == 11]
        self.assertEqual(large, [False])
