"""
What C{--help-auth-type NAME} says of a C{twisted.cred} checker whose use
in ftpkit goes beyond Twisted's own help for it: ftpkit's text, in the
layout Twisted writes its own in.
"""

ANONYMOUS_HELP = """\
Lets anyone log in as anonymous or ftp (in any case), with any
password (by custom, an e-mail address).

With the filesystem realm they see --root (with --home-per-user
too); --realm users:PATH gives them the home of its entry named
anonymous, and without one they cannot log in (530; the server warns
at start).

They may only read, unless --anonymous-write lets them upload new
files and make directories (never delete, rename or overwrite; not
with --home-per-user, where they would see every home).
--hold-anonymous-uploads lets them download only world-readable
files, and stores what they upload without the world-read bit.
--tls-anonymous-exempt lets them work without TLS when
--tls-required holds for everyone else; --max-sessions-per-user
counts every anonymous login as one user; --read-only holds for
them too."""
"""What C{--auth anonymous} does in ftpkit."""

UNIX_HELP = """\
Checks the machine's own accounts: their names in /etc/passwd and the
crypt hashes of their passwords in /etc/shadow, which the server must
still be able to read when a user logs in (not after twistd --uid
switched to another account: use a file: checker then). A name the
machine does not know is checked against a dummy hash of the scheme
its accounts use, so a failed login takes as long whether the user
exists or not.

Users get the files --realm gives them (with the filesystem realm,
--root, or ROOT/USERNAME with --home-per-user), not their home
directories."""
"""What C{--auth unix} does in ftpkit (ftpkit's checker, not Twisted's,
whose help spoke of PAM support to come)."""

FILE_HELP = """\
Checks user names and passwords against a file of USER:PASSWORD lines,
in plain text (--auth file:/etc/ftpkit.passwd). Blank lines and lines
starting with # are skipped; a line with no ':', an empty name or
password, a second ':' (a password cannot hold one), a name given
twice or one that is not UTF-8 stops the server at start, naming the
file and the line.

The file is read again on SIGHUP and when a login finds it changed;
one that has gone bad is logged (file and line) and the users read
before stay. For hashed passwords, quotas and per-user homes, use a
users file (--auth users:PATH)."""
"""What C{--auth file:PATH} does in ftpkit (ftpkit's checker,
L{ftpkit.auth.passwordfile}, not Twisted's, which skipped a line it
could not use without a word)."""

FTPKIT_HELP = {"anonymous": ANONYMOUS_HELP, "unix": UNIX_HELP,
               "file": FILE_HELP}
"""ftpkit's help for checkers, by name, where Twisted's says too little."""


def authTypeHelp(authType, argStringFormat):
    """
    @param authType: a checker's name, e.g. C{"anonymous"}.
    @param argStringFormat: what its argument is, as its factory says.
    @return: ftpkit's help for it, as C{--help-auth-type} writes it; or
        C{None} when Twisted's own says enough.
    """
    text = FTPKIT_HELP.get(authType)
    if text is None:
        return None
    lines = [f"Usage: --auth {authType}",
             f"ArgString format: {argStringFormat}", ""]
    lines.extend(f"  {line}".rstrip() for line in text.splitlines())
    return "\n".join(lines) + "\n\n"
