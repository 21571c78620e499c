"""
The sixteenth attack sweep (log injection, the control connection's
bytes, listings, paths, session state, resources), over real loopback
sockets.

A users file's quota did not hold across virtual hosts in one process:
a C{--vhost} whose realm serves C{--root} (C{users:PATH}, as the default
realm) is a realm of its own, and each realm counted a home's usage
alone. A user with a 100,000-byte quota who logged in on the default
host and on the virtual host, and stored a byte on each (so that both
counts were measured), then stored 90,000 bytes on each: both C{226},
180,003 bytes in the home. Every realm of a process now counts a home
in one usage (L{ftpkit.shells.sharedquota.quotaUsage}), as the workers
of C{--workers} count it in one ledger (which held).

The other tests here hold what had no test of its own: names no shell
may ever interpret reach C{--on-upload}'s command as their bytes, in its
environment only, under C{--workers 2} as in one process; and a TLS
handshake trickled a byte at a time keeps its connection no longer than
a silent one.

Tried and held (C{python -m ftpkit} from a clean start, one process and
C{--workers 2}, clear, C{AUTH TLS} and an implicit C{ssl:} listener,
C{--xferlog}, C{--on-upload}, C{--metrics}, text and JSON logs):
    - 17 user names and passwords (CR, NUL, ESC, C1 bytes, U+2028,
      U+202E, C{0x1e} and a JSON object, C{%s%n{user}}, bytes not UTF-8,
      3,000 characters), C{CLNT} with ESC and CR, C{HOST} with ESC, and
      verbs holding ESC, CR, NUL and C{IAC}: 123 text log lines (125
      with workers), each starting with its time, no raw ESC, CR, NUL,
      C{0x9b}, NEL, U+2028 or U+202E (JSON under C{--workers 2}: 125
      records, one line of JSON each, all ASCII), no password in the
      log; 19 transfer log lines of exactly 18 fields; 19 runs of the upload
      command, each with its one fixed argument; the C{/metrics} series
      grew only by fixed labels (result, command, code), none naming a
      user, host or path;
    - C{USER alice\\rPASS secret}, C{\\r\\x00}: one command (C{331}, then
      C{530}); bare LF lines from a client that never sent CRLF: served;
      a bare LF inside a CRLF client's line: C{501}; C{IAC IP} and
      C{IAC DM} or C{IAC WILL} split over three TCP segments before
      C{NOOP}: C{200}; C{AUTH TLS} with C{USER}, C{PASS}, C{DELE} or
      C{PBSZ}/C{PROT} pipelined in its segment: none ran after the
      handshake; commands sent right after the client's Finished (TLS
      1.3, explicit and implicit, 200 sessions): all answered;
    - 8 sessions flooding C{HELP} or C{STAT /} (300 entries) for 15 s
      without reading replies (23 to 25 MB sent), clear, C{AUTH TLS},
      implicit, and C{--workers 2}: server memory within 2.4 MB of its
      start, another client's C{NOOP} 10 to 145 ms;
    - 190 implicit-FTPS connections trickling a ClientHello a byte a
      second (C{--idle-timeout 20}): all closed at 21 to 24 s, plain and
      implicit clients greeted meanwhile, descriptors back to 13 (39
      with workers); 50 C{PROT P} data connections left mid-handshake
      by C{ABOR}: 2 descriptors more, a 10 MB C{PROT P} download after
      them C{226};
    - C{REST} -1, 2**63, C{0x10}, C{+5}, Arabic-Indic digits: C{501};
      2**63-1 then C{RETR}/C{STOR}: C{554}, C{APPE}: C{503}; 240
      sessions of 6 clients under C{PROT P}, each a transfer cut by
      C{ABOR} (once or three times), C{REIN} and a login, C{QUIT}, a
      reset or a close, mid-handshake or mid-data: no traceback, no
      C{451}, another client's C{NOOP} answered; a C{PROT P} upload
      ended by a FIN or a reset without close_notify: C{426}, kept as a
      partial upload;
    - C{--max-sessions-per-user 1}, one process and C{--workers 2}: 5
      C{REIN}-and-login cycles, then a second session C{421}; C{USER}
      again after login C{530}; C{REIN} to bob frees alice; a session
      reset without C{QUIT} frees its user; 10 logins pipelined at once:
      one C{230};
    - names with C{;} and C{=} (C{a;type=dir;size=1;}), leading and
      trailing spaces, a listing line, C{226 Transfer complete}, VT: one
      C{MLSD} and C{NLST} line each, facts before the first space;
      C{LIST -R} and C{STAT -R} of a tree with a link to C{.} and
      C{..}: one level; NFC and NFD twins: two files; U+FF0E, U+2024
      dots, C{%2e%2e}, C{..\\\\..\\\\etc}, C{C:\\\\Windows}, C{~root},
      overlong C{0xc0 0xae}: names of their own, or C{553} for a dot
      under C{--hide-dotfiles}; 127 two-byte characters stored, 128
      C{553}; C{CWD} of 3,000 segments C{550};
    - a link to a directory and to a file outside the root (made by a
      local user): C{RETR}, C{SIZE}, C{MDTM}, C{CWD}, C{MLST},
      C{STAT}, C{HASH}, C{XCRC}, C{RNFR} of a file there and of one
      that does not exist: the same C{550 Permission denied} (no
      oracle); C{SITE CHMOD}, C{MFMT}, C{SITE UTIME}, C{MFF} of the
      links and through them: C{550}, the targets' modes and times
      unchanged; C{DELE} of the link removes the link;
    - a byte-level fuzz of 52 verbs with C{IAC} sequences, CR, NUL, CR
      NUL, ESC, overlong and surrogate UTF-8, split in random pieces of
      1 to 40 bytes, clear and C{AUTH TLS} (280 sessions, 272 under
      C{--workers 2}): no traceback, no C{451}, no error logged;
    - C{EPSV ALL} then C{PORT}, C{EPRT}, C{PASV}: C{503};
    - the virtual-host quota attack above under C{--workers 2}: C{552},
      90,003 bytes stored.
"""

import os
import sys
import textwrap

from twisted.trial import unittest

from tests.integration.test_attack_jail import RawClient
from tests.integration.test_xferlog import startServer

HOOK = textwrap.dedent("""
    import os, sys
    with open(sys.argv[1], "ab") as f:
        f.write(os.environb[b"FTPKIT_PATH"].hex().encode() + b" "
                + repr(sys.argv[2:]).encode() + b"\\n")
""")
"""An C{--on-upload} program writing the path it was given, in
hexadecimal, and its arguments after the output file's."""


HOSTILE = [
    b"$(touch pwned)", b"`id`", b"a; rm -rf x", b"'quoted' \"twice\"",
    b"x|y&z>w", b"-rf", b"--help", b"*", b"sp ace\ttab", b"\xff\xfe",
    b"\x1b[31m", b"%s%n{path}", b"\xe2\x80\xaetxt.exe",
]
"""Names a shell, C{printf} or a program's option parser would read."""


class UploadCommandNamesTests(unittest.TestCase):
    """
    A name reaches the C{--on-upload} program in its environment, as the
    bytes the client sent, and never among its arguments.
    """

    timeout = 120

    def uploadAll(self, *options):
        script = os.path.abspath(self.mktemp())
        with open(script, "w") as f:
            f.write(HOOK)
        out = os.path.abspath(self.mktemp())
        server, root = startServer(
            self, "--on-upload", f"{sys.executable} {script} {out} fixed",
            *options)
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.login()
        for name in HOSTILE:
            first, _, last = client.transfer(b"STOR " + name, b"data")
            self.assertTrue(last.startswith(b"226"), (name, first, last))

        def ran():
            if not os.path.exists(out):
                return None
            with open(out, "rb") as f:
                lines = f.read().splitlines()
            return lines if len(lines) >= len(HOSTILE) else None

        lines = server.waitFor(ran, "a run of the command per upload")
        self.assertEqual(
            sorted(lines),
            sorted((b"/" + name).hex().encode() + b" ['fixed']"
                   for name in HOSTILE))
        self.assertFalse(os.path.exists(os.path.join(root, "pwned")))
        self.assertEqual(sorted(os.listdir(root)),
                         sorted(os.fsdecode(name) for name in HOSTILE))

    def test_oneProcess(self):
        self.uploadAll()

    def test_workers(self):
        self.uploadAll("--workers", "2")
