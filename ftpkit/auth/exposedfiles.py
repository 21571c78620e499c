"""
The one place deciding whether a file holding a secret the server starts
from is exposed to every local user (L{exposure}), and the warning line
saying so (L{warnExposed}), at start and at each reload: a users file
(C{--auth users:PATH}, hashed passwords that may be guessed offline), a
password file (C{--auth file:PATH}, passwords in clear), a TLS private
key (C{--tls-key}, C{--tls-cert} holding the key, an C{ssl:} listener's
C{privateKey}). Any local user who may write such a file (or replace it,
through its directory) could give themselves an account, or a key of
their own; any who may read it has its secret.
"""

import os
import stat

READ = "every local user may read it"
"""How L{exposure} starts for a file others may read."""

USERS = "users"
"""The kind of a users file: password hashes."""

PASSWORDS = "passwords"
"""The kind of a password file: passwords in clear."""

KEY = "key"
"""The kind of a TLS private key file."""

_KINDS = {
    USERS: ("users file", "the password hashes it keeps, to guess "
            "passwords against offline", "give themselves an account"),
    PASSWORDS: ("users file", "the passwords it keeps in clear",
                "give themselves an account"),
    KEY: ("TLS key", "the server's private key",
          "put a key of their own in it"),
}
"""For each kind: what the line calls the file, what reading it gives
away, and what writing it allows."""


def exposure(fileMode, directoryMode, secret=False):
    """
    @param fileMode: the file's C{st_mode}.
    @param directoryMode: its directory's C{st_mode}.
    @param secret: whether reading the file gives a secret away (every
        kind of L{warning} does).
    @return: what every local user may do to the file, for a log line:
        write it (its mode lets others write), or replace it (its
        directory lets others write, and is not sticky, as C{/tmp} is),
        or, when C{secret}, read it; C{None} when none of those.
    """
    if fileMode & stat.S_IWOTH:
        return (f"every local user may write it "
                f"(mode {stat.S_IMODE(fileMode):04o})")
    if directoryMode & stat.S_IWOTH and not directoryMode & stat.S_ISVTX:
        return (f"every local user may replace it (its directory's mode "
                f"is {stat.S_IMODE(directoryMode):04o})")
    if secret and fileMode & stat.S_IROTH:
        return f"{READ} (mode {stat.S_IMODE(fileMode):04o})"
    return None


def warning(kind, what):
    """
    @param kind: L{USERS}, L{PASSWORDS} or L{KEY}.
    @param what: what L{exposure} said, not C{None}.
    @return: the text format of the warning line, naming C{{path}} and
        C{{what}}.
    """
    name, read, written = _KINDS[kind]
    if what.startswith(READ):
        return (f"{name} {{path}}: {{what}}, and so {read}: make it "
                f"readable by its owner (and the server's group) only")
    return (f"{name} {{path}}: {{what}}, and so {written}: make it "
            f"writable by its owner only")


def warnExposed(log, path, kind):
    """
    Log a warning when every local user may read, write or replace a
    file (L{exposure}); nothing when it cannot be stat'ed (its reader
    says so).

    @param log: the L{twisted.logger.Logger} to warn with.
    @param path: the file's absolute path.
    @param kind: see L{warning}.
    """
    try:
        fileMode = os.stat(path).st_mode
        directoryMode = os.stat(os.path.dirname(path)).st_mode
    except OSError:
        return
    what = exposure(fileMode, directoryMode, secret=True)
    if what is not None:
        log.warn(warning(kind, what), path=path, what=what)
