"""
The password file of C{--auth file:PATH}: one C{USER:PASSWORD} line per
user, in plain text, the format of Twisted's C{FilePasswordDB}, checked
line by line (L{parsePasswordFile}) and held by L{PasswordFileChecker},
which takes the place of Twisted's checker.

Twisted's checker reads the file at each login and skips a line it cannot
use without a word: a line without a colon, with an empty user name, or
a second entry of one name was a user who could not log in, with nothing
said at start. Here a line that cannot be used stops the server at start,
naming the file and the line, and on a reload (C{SIGHUP}, or a login
finding the file changed) it is one error line and the users read before
stay in force, as with the users file of C{--auth users:PATH}.

Blank lines and lines starting with C{#} are skipped. Trailing spaces are
not part of a password, as with Twisted's checker.
"""


from twisted.cred import checkers, credentials, error
from twisted.internet import defer
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.auth.realms import isSafeUserName
from ftpkit.auth.reloadingfile import ReloadingFile, readUsersSource

_log = Logger()


class PasswordFileError(ValueError):
    """
    A password file that cannot be read or holds a line that cannot be
    used; the message names the file, and the line.
    """


def _lineError(line):
    """
    @param line: the line, C{bytes}, without its end.
    @return: why the line names no user, or C{None} for a usable one.
    """
    name, colon, password = line.partition(b":")
    if not colon:
        return "no ':' between user name and password"
    if not name:
        return "empty user name"
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return "user name is not UTF-8"
    if not isSafeUserName(text):
        return f"{text!r} is not a usable user name"
    if not password:
        return f"empty password for {text!r}"
    if b":" in password:
        return (f"more than one ':' in the line of {text!r} (a password "
                "cannot hold ':')")
    return None


def memoryUsersError(text):
    """
    Check the users of C{--auth memory:USER:PASSWORD[:USER:PASSWORD...]}
    by a password file's rules: Twisted's checker took an empty password
    (C{memory:alice:$PASSWORD} with the variable unset let alice in with
    none), an empty or unusable user name, and a name given twice (the
    last password replaced the first, without a word).

    @param text: what follows C{memory:}.
    @return: why it cannot be used, or C{None}; an odd number of fields
        was Twisted's own message, C{argstring must be in format U:P:...}.
    """
    if not text:
        return ("needs USER:PASSWORD pairs, like memory:alice:secret "
                "(nobody could log in)")
    fields = text.split(":")
    if len(fields) % 2:
        return ("needs USER:PASSWORD pairs, like memory:alice:secret: "
                f"{fields[-1]!r} has no password (a password cannot hold "
                "':')")
    names = set()
    for name, password in zip(fields[::2], fields[1::2]):
        why = _lineError(f"{name}:{password}".encode("utf-8",
                                                       "surrogateescape"))
        if why is not None:
            return why
        if name in names:
            return (f"{name!r} given twice (the last password would have "
                    "replaced the first)")
        names.add(name)
    return None


def parsePasswordFile(data, source="<passwords>"):
    """
    Read the users of a password file.

    @param data: the file's content, C{bytes}.
    @param source: the file's name, for messages.
    @return: a C{dict} of user name to password, both C{bytes}.
    @raise PasswordFileError: C{"SOURCE, line N: why"} for the first line
        that names no usable user, or names one a line before named.
    """
    users = {}
    lines = {}
    for number, line in enumerate(data.splitlines(), 1):
        line = line.rstrip()
        if not line.strip() or line.startswith(b"#"):
            continue
        why = _lineError(line)
        name, _, password = line.partition(b":")
        if why is None and name in users:
            why = (f"{name.decode('utf-8')!r} again (first on line "
                   f"{lines[name]})")
        if why is not None:
            raise PasswordFileError(f"{source}, line {number}: {why}")
        users[name] = password
        lines[name] = number
    return users


def readPasswordData(path):
    """
    Read a password file's bytes, unchecked.

    @param path: its path.
    @return: its content, C{bytes}.
    @raise PasswordFileError: when it cannot be read.
    """
    return readUsersSource(path, PasswordFileError, "password file")


@implementer(checkers.ICredentialsChecker)
class PasswordFileChecker(ReloadingFile):
    """
    The checker of C{--auth file:PATH}: user names and plain-text
    passwords from a password file, read at start and again on C{SIGHUP}
    or when a login finds it changed, in a thread (one C{stat} a login:
    Twisted's checker read it at each login, and an edited file still
    takes effect without a reload).

    @ivar filename: the file, as given (the name Twisted's checker has).
    @ivar path: its absolute path.
    @ivar users: a C{dict} of user name to password, both C{bytes}.
    @ivar clearText: C{True}: the passwords are kept in clear, which is
        what the warning about a file every local user may read says it
        gives away (L{ftpkit.auth.exposedfiles}).
    """

    credentialInterfaces = (credentials.IUsernamePassword,
                            credentials.IUsernameHashedPassword)
    clearText = True

    def __init__(self, filename):
        """
        Read the file.

        @param filename: the password file.
        @raise PasswordFileError: when it cannot be read
            (L{readPasswordData}), or see L{parsePasswordFile}.
        """
        self.filename = filename
        ReloadingFile.__init__(self, filename, readPasswordData,
                               parsePasswordFile, _log)

    def requestAvatarId(self, creds):
        """
        Check a user name and password.

        @param creds: L{credentials.IUsernamePassword} or
            L{credentials.IUsernameHashedPassword}.
        @return: a Deferred firing with the user name (C{bytes}); fails
            with L{error.UnauthorizedLogin}. A file changed since it was
            read is read again in a thread first, waited for a moment at
            most (L{whenCurrent}).
        """
        waiting = self.whenCurrent()
        if waiting is not None:
            return waiting.addCallback(lambda _: self._check(creds))
        return self._check(creds)

    def _check(self, creds):
        """
        @param creds: see L{requestAvatarId}.
        @return: see L{requestAvatarId}.
        """
        name = creds.username
        if isinstance(name, str):
            name = name.encode("utf-8")
        password = self.users.get(name)
        if password is None:
            return defer.fail(error.UnauthorizedLogin())
        d = defer.maybeDeferred(creds.checkPassword, password)

        def matched(match):
            if match:
                return name
            raise error.UnauthorizedLogin()

        return d.addCallback(matched)
