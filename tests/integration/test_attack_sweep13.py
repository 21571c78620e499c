"""
The thirteenth attack sweep, over real loopback sockets.

The range of an X-verb (C{XCRC}, C{XMD5}, C{XSHA*}: C{path start end})
was read with C{int} whatever its length: a number of more than 4,300
digits (Python's limit on decimal conversions) raised C{ValueError} in
the parser, so the client got C{451} and the log a critical line with a
traceback (about 11 KB a command, the line up to 8 KiB echoed in it).
A range number of more digits than any offset has is now C{501}.

A client could make the log write a line for every connection it opened
and ended at once: an HTTP request (C{GET / HTTP/1.1}: C{421}), a
command line over the limit (C{500}), a TLS handshake that fails. None
was throttled, as refused connections had been (sweep twelve): 300
connections of each from one address in a second logged 32 KB, 41 KB
and 38 KB. Each kind now gets ten lines a minute an address, then a
count (L{ftpkit.control.peerwarnings}). So now does a stranger's
connection to a session's passive port, refused (possible port theft),
which needs no login: 377 connections in 3 seconds from another address
logged 60 KB; 1,148 now log 1.6 KB. And so do the lines of C{HOST}, which
also needs no login: throttled for each connection alone, one client
opening connections that each sent C{HOST} and closed had 23,648 lines
logged in 3 seconds (2.6 MB); 21,829 now log 1.1 KB.

With C{--tls-required --tls-anonymous-exempt}, a C{USER} refused for
want of TLS left the name sent before it pending: C{USER anonymous},
C{USER alice} (C{530 TLS required}), then alice's C{PASS} in clear was
answered C{230}, an anonymous login, her password taken for an e-mail
address. A refused C{USER} now forgets the name before it, as vsftpd's
does: the C{PASS} gets C{503}.

Fixed too, with its test in L{tests.integration.test_xferlog}: the
transfer log wrote the byte 0x9b of a name that is not UTF-8 (an 8-bit
terminal's C{CSI}) as it came, and the marks that reorder text (U+202E
showed C{/pub/<U+202E>txt.exe} as C{/pub/exe.txt}); they are C{_} now.

Tried and held (C{python -m ftpkit}, one process with C{tcp:},
C{tcp6:} on C{::1}, implicit C{ssl:} and C{haproxy:} listeners, explicit
TLS, C{--passive-ports}, C{--xferlog}; C{--workers 2} with the
C{users:} realm, a quota and C{--log-format json}):
    - C{AUTH TLS} with C{USER}, C{PASS} and C{MKD} in the same packet,
      on IPv4, C{::1}, a C{haproxy:} listener (the PROXY header in that
      packet too) and under C{--workers 2}: nothing pipelined ran, the
      next C{USER} after the handshake C{331}; client-initiated
      renegotiation on an explicit control connection (one process and
      a worker): refused; C{AUTH TLS}, C{AUTH SSL} under TLS: C{503};
      the control connection's TLS broken mid-download (a forged
      record, a close, a reset): the PROT P download stops at once
      (5 MB of 314 sent), C{426}, descriptors back to 19;
    - PROXY v1 and v2 headers sent a byte every 20 ms: served; v2 with
      a 60,000-byte body, version 3, command 0xf, a body shorter than
      its addresses, v1 with leading zeros, port 99999, a zone, a v6
      address under C{TCP4}, tabs, two spaces, lower case, ESC: reset;
      v2 C{LOCAL}, C{UNSPEC}, C{AF_UNIX}, UDP: the real address; an
      IPv4-mapped source: its IPv4 address;
    - C{ALLO} and C{REST} of 5,000 digits, negative, hexadecimal,
      Arabic-Indic or full-width digits, C{1e9}, C{1_000}: C{501};
      C{TYPE L 7}, C{TYPE E}, C{TYPE A T}, C{MODE B}/C{C}, C{STRU R}/C{P}:
      C{504}; C{MODE Z}: C{501}; C{OPTS}, C{LANG}, C{CLNT}, C{SITE} of
      7,000 bytes: C{501}/C{500}/C{200}; a fuzz of 60 verbs by 40
      hostile arguments (5,000-digit numbers, format strings, quotes,
      brackets) and of 13 verbs before login: no C{451}, no traceback;
    - a FIFO, a socket, C{/dev/zero}, C{/dev/null} and C{/dev/tty} nodes
      and looping, dangling and self links in the root: C{MLST},
      C{STAT}, C{LIST}, C{MLSD} at once, C{RETR}/C{APPE}/C{SIZE}/C{HASH}
      C{550}/C{553}, no thread held; links out of the root refused for
      C{STOR}, C{APPE}, C{STOU}, C{MKD}; C{--hide-dotfiles} against
      links to dotfiles, C{..} paths, wildcards, quoted X-verb paths,
      C{RNTO}: nothing hidden shown or reached;
    - C{EPRT} to C{::ffff:10.0.0.1}, C{::127.0.0.1}, C{64:ff9b::7f00:1}
      from C{::1}: C{501}; IPv6 from an IPv4 session: C{522};
    - login timing from fresh addresses (the failed-login delay the
      same for each): a wrong password for a user of the users file
      1,044 ms, for a user that does not exist 1,044 ms (medians of 10);
      20 guesses at once from one address under C{--workers 2}, the
      right password last: answered over 51 s, the right one held too;
    - C{--vhost}: names in upper case, with a trailing dot, in A-labels,
      IPv6 in three spellings picked their host; C{127.000.000.005},
      C{0x7f.0.0.5}, an integer, an IPv4-mapped address, a port:
      C{504}/C{501}, the default realm; C{HOST} after C{USER}: C{503};
      C{HOST} under TLS naming another host than the SNI: C{504}, an SNI
      holding CR LF, ESC or bytes not UTF-8: not taken for a name, never
      echoed;
    - the fuzz above on C{--realm memory} and C{fsspec:memory://}: no
      C{451}; a dangling link inside the root (made by a local user) is
      followed by C{STOR}, C{APPE}: its target is made inside the root,
      nothing a user who could make the link could not do, and under
      C{--hide-dotfiles} a target named with a dot is refused (C{553});
    - a byte a second before and after login, with or without TLS:
      C{421} at the idle timeout; an empty line a second before login:
      C{421} at the login timeout; an active PROT P listing whose client
      never starts TLS: C{426} at the data timeout;
    - 1,000 sessions at once from one address: one process 14 to 1,014
      descriptors and 69.7 to 71.4 MB, back to 14 at once; under TLS
      with PROT P +32 MB the first time, +0.1 MB the second; each
      holding a passive listener 2,014, back to 79 (the pool), then 15;
      C{--workers 2}: 511 descriptors a worker and 70 to 79 MB, back to
      11; another client's C{NOOP} 0.03 to 0.09 ms throughout;
    - a TYPE A upload of 100 MB of CR and download of 100 MB of LF: the
      server's memory grew 12 MB and 1 MB; 1,000 urgent (OOB) bytes on
      the control connection: no CPU;
    - the text and JSON logs and C{ftpkit.who} escape ESC, DEL, C1
      characters and bytes and U+202E in user names and paths.
"""

from twisted.trial import unittest

from tests.integration.test_attack_jail import RawClient
from tests.tlssupport import FTPSTestsMixin


class RefusedUserTests(FTPSTestsMixin, unittest.TestCase):
    """
    A server requiring TLS of everyone but anonymous users, and a client
    in clear that names anonymous, then alice.
    """

    async def test_nameForgotten(self):
        """
        The C{PASS} after the refused C{USER} logs nobody in.
        """
        server = self.serve(tlsRequired=True, tlsRequiredForAnonymous=False)

        def run():
            client = RawClient(server.port)
            try:
                return [client.command(line)[:4] for line in (
                    "USER anonymous", "USER alice", "PASS secret", "PWD",
                    "USER anonymous", "PASS guest", "PWD")]
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [b"331 ", b"530 ", b"503 ", b"530 ",
                                   b"331 ", b"230 ", b"257 "])
