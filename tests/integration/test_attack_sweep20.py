"""
Loose ends of the last session (session 24), each with a real server:

  - A cut upload's partial upload recorded its resumer as the user's
    name alone (L{ftpkit.control.handlers.login.resumerOf}). A virtual
    host whose realm has users of its own (C{--vhost NAME=users:B.toml})
    has its own C{alice}, another user than the default host's
    C{alice} (L{ftpkit.auth.hostcheckers}); with homes that overlap
    (both files' C{alice} at home C{alice} under one C{--root}, the
    default), B's C{alice} saw A's C{alice}'s partial upload (C{SIZE}
    answered its size) and her C{REST} + C{STOR} continued it, mixing
    two users' bytes in one file. The resumer of a host's own user now
    names the users it comes from too; a plain name still for everyone
    else, so that a single-host server's partial uploads kept before
    are resumed as before.

The twentieth attack sweep, over real loopback sockets:

  In secure FXP (C{SSCN ON}, C{CPSV}) the server makes a data connection's
  TLS handshake as the client, and the TLS server it talks to is whatever
  the session's client names. That peer could ask for TLS 1.2
  renegotiation (a C{HelloRequest}) as often as it liked, and the server
  answered each with a whole new handshake, in the reactor's thread: one
  upload's data connection made 6,697 renegotiations in 5 seconds, 2.33 s
  of the server's CPU (1.5 s of the peer's), while the upload stayed open
  with a byte now and then. Every context ftpkit makes now refuses
  renegotiation, whichever side asks
  (L{ftpkit.control.tls.refusingRenegotiation}): on the server side only
  OpenSSL 3's default refused it, and an older OpenSSL does not
  (L{RenegotiationTests}).

  C{--tls-require-session-reuse} took any session the control
  connection's context had cached for the control connection's: a
  stranger of the client's address (one host, one NAT: what the option
  is for) made a full TLS 1.2 handshake on the client's passive port,
  refused, but its session stayed cached (kept resumable for clients that
  cut their uploads), then connected again resuming that session, and was
  given the download (1,000,000 bytes, and the client told C{226}). A
  data connection under TLS 1.2 must now resume the control connection's
  own session (L{ftpkit.data.tls.DataTLS.resumesControl}, the same master
  secret; after C{CCC}, the one it had) (L{OwnSessionThiefTests}).
  And those refused sessions stayed in the context's cache, bounded at
  64: 80 refused handshakes of a stranger pushed the control connection's
  session out, and every later data connection of the client was
  refused, as it could no longer resume it. A refused data connection's
  session now leaves the cache at once
  (L{ftpkit.compat.sessioncache.forgetSession}).

  Fixed too, with its unit test (L{tests.unit.test_eventlog}):
  C{connection-refused} lines were throttled per address, the limits
  refusing those connections count an IPv6 client's C{/64}: a client
  taking a new address of its network for each connection had 10 lines
  a minute logged for each of 1,000 addresses.

  Tried and held (C{python -m ftpkit}, the C{users:} realm with quotas, a
  directory rule with no permission, explicit TLS with C{--tls-required
  --tls-allow-ccc --tls-require-session-reuse} and with C{--tls-allow-1.3};
  C{--hide-dotfiles --anonymous-write --hold-anonymous-uploads}; a
  C{haproxy:} listener; C{tcp6:} dual-stack):
    - a client's renegotiation on a C{PROT P} data connection: refused
      (C{426}), as on the control connection;
    - under C{--tls-require-session-reuse} with TLS 1.3: 100 stranger
      handshakes of TLS 1.3 or 1.2 on the passive port, then the
      client's resumed download: C{226}, whole (data connections issue
      no tickets, a 1.2 session is not the 1.3 control connection's);
      C{PROT C} after C{PROT P} under C{--tls-required}: C{521} for the
      transfer; C{CPSV}/C{PASV} after C{EPSV ALL}: C{503};
    - C{STAT -R} of a directory named C{212 x} holding C{226 sub}: the
      header lines indented, the reply whole; C{STAT -R}, C{STAT -aR},
      C{LIST -aR} under C{--hide-dotfiles} through a link to a hidden
      directory and of wildcards: nothing hidden listed, C{550};
    - a directory rule with no permission: C{MLST}, C{SIZE}, C{MDTM},
      C{STAT}, C{XCRC}, C{HASH}, C{XMD5}, C{RETR}, C{CWD}, C{AVBL},
      C{RNFR}, C{DELE}, C{MFMT}, C{SITE CHMOD}, C{MKD}, C{RMD}, C{STOU}
      of it and below it (existing or not): the same C{550 Permission
      denied}; C{STAT -R /} shows its entry, nothing of what it holds;
    - C{AVBL} of C{..}, C{/../bob}, a file, a missing path: the user's
      own quota room, C{550};
    - the fail2ban filter: a failed login over a dual-stack C{tcp6:}
      listener from IPv4 is logged as C{127.0.0.1} (not
      C{::ffff:127.0.0.1}, which a ban could not match); a PROXY header
      from an untrusted address refused before a byte is read;
      C{--on-upload} output is logged quoted; the C{--metrics} site logs
      no request line a client could shape;
    - trees deeper than the 256 levels C{MKD} and C{CWD} allow, built by
      renaming 250-level chains into one another (C{RNTO}'s target is
      bounded, what it moves is not): 500 levels on C{--realm memory},
      1,250 on C{fsspec:memory://} and on C{fsspec:file://} with a
      users file's quota; C{STAT -R}, C{LIST -R} (cut at 8 levels),
      renames of the whole tree, C{RNTO} into itself (C{553}), C{RMD},
      C{MLST}, and an upload measuring the quota after them: no
      traceback, no C{451};
    - C{SITE CHMOD} and C{MFF UNIX.mode} with set-user-ID, set-group-ID
      or sticky bits, in octal with and without a leading C{0}, C{0o}, or
      symbolic (C{g+s}): C{501}, the mode unchanged.

  Found, not fixed: fail2ban bans the address a failed login came from,
  and ftpkit logs the exact address: an IPv6 guesser taking a new
  address of its C{/64} for each connection never reaches fail2ban's
  C{maxretry} (ftpkit's own delay counts the C{/64}). And
  C{--on-upload}'s queue skips uploads past 100,000 waiting: a user
  flooding uploads while the command is slow has later uploads skip it
  (logged), so it is no gate for a scanner.
"""

import ftplib
import io
import os
import socket
import time

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.shells import uploads
from ftpkit.shells.partialowners import recordResumer
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

KEPT = 64 << 10
"""The bytes of the cut upload that reach the server."""


OLD = 2 * KEPT
"""The size of the file the cut upload would have replaced."""


def _usersFile(path, users):
    """
    Write a users file whose every user has home C{shared} and every
    permission.

    @param path: the file.
    @param users: C{{name: password}}.
    @return: C{path}.
    """
    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f'[users.{name}]\npassword = "{hashPassword(password)}"'
                    f'\nhome = "shared"\npermissions = ["list", "read", "write", '
                    f'"append"]\n')
    return path


def _login(port, host, user, password):
    """
    @param host: the C{HOST} sent before logging in, or C{None}.
    @return: an C{ftplib.FTP} logged in, in binary mode.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    if host is not None:
        ftp.sendcmd("HOST " + host)
    ftp.login(user, password)
    ftp.voidcmd("TYPE I")
    return ftp


def _size(ftp, name):
    """
    @return: the reply code to C{SIZE name}, and the size if C{213}.
    """
    try:
        return ("213", ftp.size(name))
    except ftplib.error_perm as e:
        return (str(e)[:3], None)


class VirtualHostPartialOwnerTests(unittest.TestCase):
    """
    The default host's users in C{A.toml}, the virtual host C{x.test}'s
    in C{B.toml}, each with an C{alice} (passwords C{passA}, C{passB})
    whose home is C{ROOT/shared}.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        self.a = _usersFile(os.path.join(self.root, "A.toml"),
                            {"alice": "passA"})
        self.b = _usersFile(os.path.join(self.root, "B.toml"),
                            {"alice": "passB"})
        self.shared = os.path.join(self.root, "shared")
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", f"users:{self.a}",
            "--realm", f"users:{self.a}",
            "--vhost", f"x.test=users:{self.b}"])
        self.server.waitForGreeting()
        self.data = os.urandom(KEPT)
        self.old = os.urandom(OLD)
        os.makedirs(self.shared)
        with open(os.path.join(self.shared, "big.bin"), "wb") as f:
            f.write(self.old)

    def cut(self, host, password):
        """
        Log in as C{alice} on C{host}, start C{STOR big.bin}, send
        L{KEPT} bytes and, once the server wrote them, reset both
        connections; wait for the partial upload.
        """
        ftp = _login(self.server.port, host, "alice", password)
        data = ftp.transfercmd("STOR big.bin")
        data.sendall(self.data)
        deadline = time.monotonic() + 30
        while self.received() < KEPT and time.monotonic() < deadline:
            time.sleep(0.01)
        for sock in (data, ftp.sock):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\1\0\0\0\0\0\0\0")
            sock.close()
        partial = os.path.join(self.shared, ".ftpkit-partial.big.bin")
        while not os.path.exists(partial):
            if time.monotonic() > deadline:
                self.fail("no partial upload: %r"
                          % (os.listdir(self.shared),))
            time.sleep(0.02)

    def received(self):
        """
        @return: the bytes the temporary upload files in the shared home
            hold.
        """
        total = 0
        for name in os.listdir(self.shared):
            if name.startswith(os.fsdecode(uploads.TEMPORARY_PREFIX)):
                try:
                    total += os.stat(os.path.join(self.shared, name)).st_size
                except FileNotFoundError:
                    continue
        return total

    def sizes(self):
        """
        @return: the replies to C{SIZE big.bin} of A's C{alice} and of
            B's (on C{x.test}).
        """
        replies = []
        for host, password in [(None, "passA"), ("x.test", "passB")]:
            ftp = _login(self.server.port, host, "alice", password)
            try:
                replies.append(_size(ftp, "big.bin"))
            finally:
                ftp.close()
        return replies

    def test_otherHostsAliceSeesOldFile(self):
        """
        A's C{alice}'s cut upload is hers: her C{SIZE} answers its size;
        B's C{alice}'s the file's. It answered the partial upload's size
        to both.
        """
        def check():
            self.cut(None, "passA")
            self.assertEqual(self.sizes(), [("213", KEPT), ("213", OLD)])
        return threads.deferToThread(check)

    def test_otherHostsAliceDoesNotContinue(self):
        """
        A's C{alice}'s C{REST} + C{STOR} writes the file in place (up to
        its end: what follows is cut off), and
        does not continue B's C{alice}'s partial upload: it did, and the
        file held B's C{alice}'s bytes followed by A's C{alice}'s.
        """
        def check():
            self.cut("x.test", "passB")
            ftp = _login(self.server.port, None, "alice", "passA")
            try:
                ftp.storbinary("STOR big.bin", io.BytesIO(b"A" * 100),
                               rest=KEPT)
            finally:
                ftp.close()
            with open(os.path.join(self.shared, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), self.old[:KEPT] + b"A" * 100)
        return threads.deferToThread(check)

    def test_plainNameStillResumed(self):
        """
        A partial upload recorded for a plain C{alice} (a single-host
        server's, kept before resumers named the host's users) is still
        the default host's C{alice}'s, whose users are the server's.
        """
        def check():
            partial = os.path.join(self.shared, ".ftpkit-partial.big.bin")
            with open(partial, "wb") as f:
                f.write(self.data)
                recordResumer(f.fileno(), "alice")
            self.assertEqual(self.sizes(), [("213", KEPT), ("213", OLD)])
        return threads.deferToThread(check)
