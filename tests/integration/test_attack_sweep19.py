"""
The nineteenth attack sweep, over real loopback sockets.

A user's per-directory rules (a users file's C{directories}) were
checked where a path leads, then the shell walked the path again to act
on it: a local user who could write in a directory the FTP user may
change swapped a symbolic link there in between, from one leading into
that directory to one leading into a directory the rules make read-only
(or unreadable), and the act followed the new link past the rule. With
C{rw/x -> ok} at the check and C{rw/x -> ../ro} at the act, C{DELE
rw/x/kept.txt} removed C{/ro/kept.txt}, which the rules keep from being
deleted; so did every changing verb and C{RETR} (the jail's own race,
L{tests.integration.test_attack_linkrace}, is about the root, and held).
The shell's walk for the act now checks the rule where it reached
(L{ftpkit.shells.guardedpaths.Guarded}), on the path it then acts on
without following links again (L{RuleRaceTests}).

C{--hide-dotfiles} had the same race: a link C{rw/x} leading to C{ok}
when checked and to C{../.hidden} when used gave C{RETR rw/x/kept.txt}
the bytes of C{/.hidden/kept.txt}, C{LIST rw/x} its names, and C{DELE}
removed it; its wrapper now hands the shell guarded paths too
(L{DotfilesRaceTests}). So did C{fsspec:file://} with a users file's
rules (C{?users=PATH}), whose shell now checks the rule where its path
for the act leads (L{FsspecRuleRaceTests}).

A virtual host whose realm has users of its own (C{--vhost
x.test=users:B.toml} beside C{--auth users:A.toml --realm users:A.toml},
which the guide gives as the way to keep the hosts' users apart) checked
its logins against the server's users file: on C{x.test}, C{alice} of
C{B.toml} was logged in with the password of C{alice} of C{A.toml} (and
read B's alice's files with it), her own password was refused, and a
user only C{B.toml} names could not log in. The host's users checker now
checks the host's users (L{ftpkit.auth.hostcheckers}, L{HostUsersTests}),
and C{--max-sessions-per-user} counts them apart from the server's users
of the same names (one C{alice} kept the other out).

Tried and held (C{python -m ftpkit}, the C{users:} realm with a quota, a
nested home, a read-only and an empty-permissions directory rule, an
C{anonymous} entry, explicit TLS with C{--tls-allow-ccc}, C{tcp6:} on
C{::1}; the same run as C{nobody} by C{twistd --uid}; C{--passive-ports}
with C{--max-passive-per-ip 1}; C{--vhost}s):
    - TLS 1.0, 1.1, and 1.3 without C{--tls-allow-1.3}: C{protocol_version};
      NULL, aNULL, AES-CBC with RSA key exchange, DHE, ECDHE-CBC: no
      shared cipher; C{PROT P}/C{S}/C{E}/C{C} before C{PBSZ} (before and
      after login): C{503}; C{PBSZ} of 20 digits: C{501}; C{AUTH TLS}
      under TLS: C{503};
    - C{LIST -R}, C{LIST -aR}, C{NLST -R} and C{STAT -R} of a home holding
      a directory whose rule gives no permission: its entry listed (as its
      parent shows it), nothing of what it holds; C{LIST}, C{NLST -R},
      C{MLSD} of it: C{550}; dangling links in a writable directory
      leading into a read-only one (a file, a directory) and a link to
      it: C{STOR}, C{APPE}, C{STOU}, C{MKD} through them and C{RNFR} of
      them C{550}, nothing made;
    - three parallel 80,000-byte C{STOR}s against a 100,000-byte quota:
      one C{226}, two C{552}; C{SITE CHMOD 000} and C{300} of a full
      directory by a server running as C{nobody}, whose quota walk
      cannot count what it cannot read: the mode kept C{u+rx} (C{0500}),
      and after a restart the walk still counted it (C{552}); mode C{300}
      made by hand: its uploads C{550};
    - C{TYPE A} uploads with CR and LF in separate segments: C{ab\\r},
      C{\\ncd\\r\\n} stored C{ab\\ncd\\n}, a last lone CR kept, CR CR LF
      stored CR LF; C{REST 2} then C{STOR} in C{TYPE A}: the bytes from
      the offset replaced; C{TYPE A} C{REST} at, past and far past the
      end: C{226} with nothing, C{554}; C{REST} then C{APPE}: C{503};
    - C{HOST} between failed logins: still counted (closed after the
      third, the delays doubling);
    - C{CPSV} of a second session, and C{PASV}/C{EPSV} after C{SSCN ON},
      past C{--max-passive-per-ip 1}: C{425}.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


def _usersFile(path, home, users):
    """
    Write a users file.

    @param path: the file.
    @param home: every user's home.
    @param users: C{{name: password}}.
    @return: C{path}.
    """
    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f'[users.{name}]\npassword = "{hashPassword(password)}"'
                    f'\nhome = "{home}"\npermissions = ["list", "read"]\n')
    return path


class HostUsersTests(unittest.TestCase):
    """
    The default host's users in C{A.toml} (C{alice}, password C{passA}),
    the virtual host C{x.test}'s in C{B.toml} (C{alice}, C{passB};
    C{bonly}, C{passB2}), each home holding a file of its own.
    """

    timeout = 120

    def serve(self, *auth):
        """
        Start the server, with C{--auth users:A.toml} and C{auth}.

        @return: the L{ServerProcess}.
        """
        root = scratchDirectory(self)
        for home in "ab":
            os.makedirs(os.path.join(root, home))
            with open(os.path.join(root, home, f"{home}.txt"), "wb") as f:
                f.write(home.encode())
        self.a = _usersFile(os.path.join(root, "A.toml"), "a",
                            {"alice": "passA"})
        self.b = _usersFile(os.path.join(root, "B.toml"), "b",
                            {"alice": "passB", "bonly": "passB2"})
        server = ServerProcess(self, [
            "--root", root, "--auth", f"users:{self.a}",
            *[option.format(b=self.b) for option in auth],
            "--realm", f"users:{self.a}",
            "--vhost", f"x.test=users:{self.b}",
            "--max-login-attempts", "9"])
        server.waitForGreeting()
        return server

    def logins(self, server, host, attempts):
        """
        @param host: the C{HOST} sent first, or C{None}.
        @param attempts: C{(user, password)} pairs, each on a connection
            of its own.
        @return: for each, the reply to its C{PASS}, and to C{SIZE} of
            each home's file (C{550}, or C{213} where the file is).
        """
        replies = []
        for user, password in attempts:
            client = RawClient(server.port)
            try:
                if host is not None:
                    self.assertTrue(client.command("HOST " + host)
                                    .startswith(b"220"))
                replies.append((client.login(user, password)[:3],
                                client.command("SIZE a.txt")[:3],
                                client.command("SIZE b.txt")[:3]))
            finally:
                client.close()
        return replies

    def assertApart(self, server):
        """
        On C{x.test}, B's passwords log B's users in to B's homes, and A's
        do not; on the default host, the other way round.
        """
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB"),
                                           ("bonly", "passB2")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213"),
             (b"230", b"550", b"213")])
        self.assertEqual(
            self.logins(server, None, [("alice", "passA"),
                                       ("alice", "passB")]),
            [(b"230", b"213", b"550"), (b"530", b"530", b"530")])

    def test_ownUsersFile(self):
        """
        C{--auth users:A.toml} alone: on C{x.test}, C{B.toml} decides.
        """
        self.assertApart(self.serve())

    def test_bothUsersFiles(self):
        """
        With C{--auth users:B.toml} as well, C{x.test} still takes no
        password of C{A.toml}.
        """
        server = self.serve("--auth", "users:{b}")
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213")])

    def test_sessionsCountedApart(self):
        """
        Under C{--max-sessions-per-user 1}, B's C{alice} is not kept out by
        A's C{alice}'s session (another user of the same name), and is
        held to one session of her own.
        """
        server = self.serve("--max-sessions-per-user", "1")
        replies = []
        for host, password in [(None, "passA"), ("x.test", "passB"),
                               ("x.test", "passB")]:
            client = RawClient(server.port)
            self.addCleanup(client.close)
            if host is not None:
                client.command("HOST " + host)
            replies.append(client.login("alice", password)[:3])
        self.assertEqual(replies, [b"230", b"230", b"421"])
