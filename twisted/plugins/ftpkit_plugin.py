"""
The twistd plugin C{ftpkit}, ftpkit's built-in realm plugins and the
C{users} checker factory of C{--auth users:PATH}.

Twisted skips a plugin module that fails to import with only a log line,
so this module stays tiny: everything heavy is imported when it is used.
"""

from twisted.application.service import ServiceMaker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.strcred import ICheckerFactory
from twisted.plugin import IPlugin
from zope.interface import implementer

from ftpkit.interfaces import IRealmPlugin

ftpkit = ServiceMaker(
    "ftpkit",
    "ftpkit.tap",
    "A pluggable FTP server (FTPS, MLSD, REST) serving a directory or a realm.",
    "ftpkit",
)


@implementer(IPlugin, IRealmPlugin)
class FilesystemRealmPlugin:
    """
    C{--realm filesystem}: the local directory C{--root}, optionally one
    home directory per user.
    """

    name = "filesystem"
    description = (
        "Local disk under --root (each user in ROOT/USERNAME with"
        " --home-per-user)."
    )
    argumentHelp = "none (configured by --root and --home-per-user)"

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.realms.FilesystemRealm} from C{options}.

        @param argument: must be C{""}.
        @param options: the parsed L{ftpkit.tap.Options}.
        @return: a L{ftpkit.realms.FilesystemRealm}.
        @raise ValueError: when an argument is given.
        """
        if argument:
            raise ValueError("the filesystem realm takes no argument")
        from ftpkit.realms import FilesystemRealm

        return FilesystemRealm(
            options["root"],
            homePerUser=bool(options["home-per-user"]),
            readOnly=bool(options["read-only"]),
            anonymousWrite=bool(options["anonymous-write"]),
        )


@implementer(IPlugin, IRealmPlugin)
class MemoryRealmPlugin:
    """
    C{--realm memory}: one in-memory tree shared by every user, gone when
    the server stops.
    """

    name = "memory"
    description = "One in-memory tree shared by all users, lost on exit."
    argumentHelp = "none"

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.realms.MemoryRealm} from C{options}.

        @param argument: must be C{""}.
        @param options: the parsed L{ftpkit.tap.Options}.
        @return: a L{ftpkit.realms.MemoryRealm}.
        @raise ValueError: when an argument is given.
        """
        if argument:
            raise ValueError("the memory realm takes no argument")
        from ftpkit.realms import MemoryRealm

        return MemoryRealm(
            readOnly=bool(options["read-only"]),
            anonymousWrite=bool(options["anonymous-write"]),
        )


@implementer(IPlugin, IRealmPlugin)
class UsersRealmPlugin:
    """
    C{--realm users:PATH}: virtual users from a TOML file, each in their
    home under C{--root} with their permissions and quota.
    """

    name = "users"
    description = (
        "Virtual users from a TOML file: home (under --root), permissions,"
        " quota, read-only."
    )
    argumentHelp = (
        "PATH of the users file (see python -m ftpkit.passwd); pair with"
        " --auth users:PATH"
    )

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.users.UsersRealm} from the file C{argument}.

        @param argument: the users file.
        @param options: the parsed L{ftpkit.tap.Options}.
        @return: a L{ftpkit.users.UsersRealm}.
        @raise ValueError: when the file is missing or not valid.
        """
        if not argument:
            raise ValueError("the users realm needs a file: users:PATH")
        from ftpkit.users import UsersDatabase, UsersRealm

        return UsersRealm(
            UsersDatabase(argument),
            options["root"],
            readOnly=bool(options["read-only"]),
            anonymousWrite=bool(options["anonymous-write"]),
        )


@implementer(IPlugin, ICheckerFactory)
class UsersCheckerFactory:
    """
    C{--auth users:PATH}: user names and scrypt password hashes from the
    TOML file of the C{users} realm.
    """

    authType = "users"
    authHelp = (
        "Checks user names and passwords against the scrypt hashes of a\n"
        "ftpkit users file (TOML; python -m ftpkit.passwd writes it).\n"
        "The file is read again when it changes and on SIGHUP."
    )
    argStringFormat = "PATH of the users file."
    credentialInterfaces = (IUsernamePassword,)

    def generateChecker(self, argstring):
        """
        Build a L{ftpkit.users.UsersChecker} reading C{argstring}.

        @param argstring: the users file.
        @return: a L{ftpkit.users.UsersChecker}.
        @raise ValueError: when the file is missing or not valid.
        """
        if not argstring:
            raise ValueError("users needs a file: users:PATH")
        from ftpkit.users import UsersChecker, UsersDatabase

        return UsersChecker(UsersDatabase(argstring))


filesystemRealm = FilesystemRealmPlugin()
memoryRealm = MemoryRealmPlugin()
usersRealm = UsersRealmPlugin()
usersChecker = UsersCheckerFactory()
