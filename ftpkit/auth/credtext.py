"""
The type a checker compares user names and passwords in.

The server logs users in with C{UsernamePassword(bytes, bytes)}; Twisted's
in-memory checker stores what it was given, C{str} in its usual form
(C{addUser("alice", "secret")}, twisted#10209), C{bytes} in its examples'.
L{presentedTo} gives that checker, storing C{str}, the credentials as
C{str}, and any other the credentials as they are, so that it accepts its
users whether C{twistd ftpkit} wrapped it
(L{ftpkit.auth.checkers.TextCredentialsChecker}, which gives C{str} to
any checker with C{str} keys in a C{users} mapping, L{wantsText}) or a
program embedding the server put it in its portal as it is. Pure: no
reactor.
"""

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.credentials import UsernamePassword


def asText(value):
    """
    @param value: C{str} or UTF-8 C{bytes}.
    @return: C{value} as C{str}.
    @raise UnicodeDecodeError: for bytes that are not UTF-8.
    """
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def wantsText(checker):
    """
    @param checker: a C{twisted.cred} checker.
    @return: whether it stores user names as C{str}: it has a C{users}
        mapping whose first key is a C{str} (they are all of one type),
        found without going through every user at each login.
    """
    users = getattr(checker, "users", None)
    if not isinstance(users, dict):
        return False
    return isinstance(next(iter(users), None), str)


def textCredentials(creds):
    """
    @param creds: L{UsernamePassword} credentials.
    @return: a copy of them whose user name and password are C{str}.
    @raise UnicodeDecodeError: when either is bytes that are not UTF-8.
    """
    return UsernamePassword(asText(creds.username), asText(creds.password))


def _comparesText(checker):
    """
    @param checker: a C{twisted.cred} checker.
    @return: whether it is Twisted's in-memory checker, its
        C{requestAvatarId} its own (which looks the user name up in
        C{users} and compares the password with C{==}), storing C{str}:
        C{bytes} credentials are never one of its users, so that giving
        it C{str} ones can only let in a user it refused. A checker of
        another class may decode what it is given itself, and gets the
        credentials as they are.
    """
    return (isinstance(checker, InMemoryUsernamePasswordDatabaseDontUse)
            and type(checker).requestAvatarId
            is InMemoryUsernamePasswordDatabaseDontUse.requestAvatarId
            and wantsText(checker))


def presentedTo(checker, creds):
    """
    @param checker: the checker about to be asked.
    @param creds: the credentials the server built.
    @return: C{creds} as C{checker} compares them: as C{str} for
        Twisted's in-memory checker storing C{str} (L{_comparesText}) when
        they are the server's L{UsernamePassword} of UTF-8; otherwise
        C{creds} themselves (a user name that is not UTF-8 is then no user
        of it, as before).
    """
    if type(creds) is not UsernamePassword or not isinstance(
            creds.username, bytes) or not _comparesText(checker):
        return creds
    try:
        return textCredentials(creds)
    except UnicodeDecodeError:
        return creds
