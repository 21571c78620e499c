"""
The twistd plugin C{ftpkit}, ftpkit's built-in realm plugins and the
checker factories of C{--auth users:PATH} and C{--auth pg:DSN}.

Twisted skips a plugin module that fails to import with only a log line,
so this module stays tiny: everything heavy is imported when it is used.
"""

from twisted.application.service import ServiceMaker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.strcred import ICheckerFactory
from twisted.plugin import IPlugin
from zope.interface import implementer

from ftpkit.interfaces import IRealmPlugin


class _ServerMaker(ServiceMaker):
    """
    The C{ftpkit} subcommand of C{twistd} (and C{twist}), which holds
    C{SIGHUP}, C{SIGUSR1} and C{SIGQUIT}, and ignores C{SIGUSR2}, from the
    moment it is chosen until the server's service handles them
    (L{ftpkit.deploy.startsignals.holdStartSignals}): their default
    actions ended a server that got one while it started (a
    C{systemctl reload} right after the start); and from then on ends
    the start quietly on C{SIGINT} or C{SIGTERM}
    (L{ftpkit.deploy.startinterrupt.interruptQuietly}). This is the
    first moment ftpkit's code runs in C{twistd}; before, Python and
    C{twistd} start up on their own.
    """

    @property
    def options(self):
        """
        @return: the class of the server's options,
            L{ftpkit.deploy.tap.Options} (its module loaded only now, with
            the start's signals held first: its service handles them once
            it serves; C{SIGINT} and C{SIGTERM} ending the start with one
            line, as once the options are read: loading them imports the
            whole server, a second under load, and a Ctrl-C meanwhile
            was a C{KeyboardInterrupt} traceback; and plugin lookups
            taken over,
            L{ftpkit.deploy.pluginlookups.takeOverPluginLookups}).
        """
        from ftpkit.deploy.startinterrupt import interruptQuietly
        from ftpkit.deploy.startsignals import holdStartSignals

        interruptQuietly()
        holdStartSignals()
        # From here, a plugin module that fails to import is one line,
        # not a traceback at every lookup (--auth's, the realms').
        from ftpkit.deploy.pluginlookups import takeOverPluginLookups

        takeOverPluginLookups()
        return ServiceMaker.options.fget(self)


ftpkit = _ServerMaker(
    "ftpkit",
    "ftpkit.deploy.tap",
    "A pluggable FTP server (FTPS, MLSD, REST) serving a directory or a realm.",
    "ftpkit",
)


@implementer(IPlugin, IRealmPlugin)
class FilesystemRealmPlugin:
    """
    C{--realm filesystem[:DIR]}: the local directory C{DIR} (C{--root}
    when omitted), optionally one home directory per user.
    """

    name = "filesystem"
    description = (
        "Local disk under --root or DIR (each user in ROOT/USERNAME with"
        " --home-per-user)."
    )
    argumentHelp = (
        "optional DIR served instead of --root (e.g. for a --vhost);"
        " --home-per-user applies"
    )

    def servesRoot(self, argument):
        """
        @param argument: the text after C{filesystem:}.
        @return: whether the realm serves C{--root} (or C{--vhost-root}):
            without a directory of its own.
        """
        return not argument

    def servesHomes(self, argument):
        """
        @param argument: the text after C{filesystem:}.
        @return: C{True}: C{--home-per-user} gives each user C{ROOT/NAME}.
        """
        return True

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.auth.realms.FilesystemRealm} from C{options}.

        @param argument: the directory to serve, or C{""} for
            C{options["root"]}.
        @param options: the parsed L{ftpkit.deploy.tap.Options}.
        @return: a L{ftpkit.auth.realms.FilesystemRealm}.
        @raise ValueError: when C{argument} is not a directory the server
            can serve (L{ftpkit.deploy.workerroots.servedDirectoryAtStart}).
        """
        from ftpkit.deploy.workerroots import servedDirectoryAtStart

        root = options["root"]
        if argument:
            root = servedDirectoryAtStart(argument)
        from ftpkit.auth.realms import FilesystemRealm
        from ftpkit.deploy.limitoptions import partialsPerUser

        return FilesystemRealm(
            root,
            homePerUser=bool(options["home-per-user"]),
            readOnly=bool(options["read-only"]),
            anonymousWrite=bool(options["anonymous-write"]),
            partialsPerUser=partialsPerUser(options),
        )


@implementer(IPlugin, IRealmPlugin)
class MemoryRealmPlugin:
    """
    C{--realm memory[:SIZE]}: one in-memory tree shared by every user,
    holding at most C{SIZE} bytes, gone when the server stops.
    """

    name = "memory"
    description = "One in-memory tree shared by all users, lost on exit."
    argumentHelp = (
        "optional SIZE (K, M, G suffixes) the tree may hold, files and"
        " uploads in progress together, and one file or directory per"
        " KiB of it; past them uploads get 552 [default: 256M]"
    )

    def servesRoot(self, argument):
        """
        @param argument: the text after C{memory:}.
        @return: C{False}: the tree is in memory, no directory is served.
        """
        return False

    def servesHomes(self, argument):
        """
        @param argument: the text after C{memory:}.
        @return: C{False}: every user shares the one tree.
        """
        return False

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.auth.realms.MemoryRealm} from C{options}.

        @param argument: the most bytes the tree holds (L{parseByteCount
            <ftpkit.deploy.limitoptions.parseByteCount>}), or C{""} for
            L{ftpkit.auth.realms.MEMORY_REALM_BYTES}.
        @param options: the parsed L{ftpkit.deploy.tap.Options}.
        @return: a L{ftpkit.auth.realms.MemoryRealm}.
        @raise ValueError: when C{argument} is no size.
        """
        from ftpkit.auth.realms import MEMORY_REALM_BYTES, MemoryRealm
        from ftpkit.deploy.limitoptions import parseByteCount

        maxBytes = MEMORY_REALM_BYTES
        if argument:
            # Its ValueError as it is: the option's usage error names
            # the option (and --vhost the realm, memory:SIZE).
            maxBytes = parseByteCount(argument)
        from ftpkit.deploy.limitoptions import partialsPerUser

        return MemoryRealm(
            readOnly=bool(options["read-only"]),
            anonymousWrite=bool(options["anonymous-write"]),
            maxBytes=maxBytes,
            partialsPerUser=partialsPerUser(options),
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
        Build a L{ftpkit.auth.users.UsersRealm} from the file C{argument}.

        @param argument: the users file.
        @param options: the parsed L{ftpkit.deploy.tap.Options}.
        @return: a L{ftpkit.auth.users.UsersRealm}.
        @raise ValueError: when the file is missing or not valid.
        """
        if not argument:
            raise ValueError("the users realm needs a file: users:PATH")
        from ftpkit.auth.users import openUsersDatabase

        return _usersRealm(openUsersDatabase(argument), options)


@implementer(IPlugin, IRealmPlugin)
class FsspecRealmPlugin:
    """
    C{--realm fsspec:URL}: any fsspec filesystem (S3, SFTP, the local disk,
    memory, ...), a prefix per user with C{--home-per-user}.
    """

    name = "fsspec"
    description = (
        "Any fsspec filesystem: s3://BUCKET/PREFIX, sftp://USER@HOST/PATH,"
        " file:///DIR, memory:// (pip install 'ftpkit[s3]' or 'ftpkit[sftp]')."
    )
    argumentHelp = (
        "URL[?config=PATH&users=PATH&OPTION=VALUE...]: secrets only in the"
        " TOML config file's [options] (see docs/object-storage.rst);"
        " memory:// holds at most size=SIZE (K, M, G suffixes) and one file"
        " or directory per KiB of it, past them uploads get 552"
        " [default: 256M]"
    )

    def servesRoot(self, argument):
        """
        @param argument: the URL.
        @return: C{False}: the URL names what is served.
        """
        return False

    def servesHomes(self, argument):
        """
        @param argument: the URL.
        @return: C{True}: C{--home-per-user} gives each user a prefix.
        """
        return True

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.auth.fsspecrealm.FsspecRealm}.

        @param argument: the URL and ftpkit's query (see
            L{ftpkit.shells.storageconfig.parseArgument}).
        @param options: the parsed L{ftpkit.deploy.tap.Options}.
        @return: a L{ftpkit.auth.fsspecrealm.FsspecRealm}.
        @raise ValueError: for a bad URL, config or users file, or a
            backend that is not installed.
        """
        from ftpkit.auth.fsspecrealm import makeFsspecRealm

        return makeFsspecRealm(argument, options)


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
        Build a L{ftpkit.auth.users.UsersChecker} reading C{argstring}.

        @param argstring: the users file.
        @return: a L{ftpkit.auth.users.UsersChecker}.
        @raise ValueError: when the file is missing or not valid.
        """
        if not argstring:
            raise ValueError("users needs a file: users:PATH")
        from ftpkit.auth.users import UsersChecker, openUsersDatabase

        return UsersChecker(openUsersDatabase(argstring))


def _usersRealm(database, options):
    """
    @param database: the users' L{ftpkit.auth.users.UsersDatabase} or
        L{ftpkit.auth.pgusers.PostgresUsers}.
    @param options: the parsed L{ftpkit.deploy.tap.Options}.
    @return: a L{ftpkit.auth.users.UsersRealm} over C{database} with the
        options' root, C{--read-only} and C{--anonymous-write}.
    """
    from ftpkit.auth.users import UsersRealm
    from ftpkit.deploy.limitoptions import partialsPerUser

    return UsersRealm(
        database,
        options["root"],
        readOnly=bool(options["read-only"]),
        anonymousWrite=bool(options["anonymous-write"]),
        partialsPerUser=partialsPerUser(options),
    )


def _postgresUsers(dsn, usage):
    """
    The shared L{ftpkit.auth.pgusers.PostgresUsers} of a connection string.

    @param dsn: the text after C{pg:}.
    @param usage: the option's form, for messages.
    @return: a L{ftpkit.auth.pgusers.PostgresUsers}.
    @raise ValueError: when C{dsn} is empty or not libpq's syntax (the
        server started, and every login failed with the parse error), or
        holds a value libpq would refuse when connecting, or libpq's
        environment does (L{ftpkit.auth.pgconninfo.conninfoError}), or
        psycopg is missing.
    """
    if not dsn:
        raise ValueError(f"pg needs a connection string: {usage}")
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise ValueError("pg needs psycopg: pip install 'ftpkit[pg]'")
    try:
        parameters = conninfo_to_dict(dsn)
    except psycopg.Error as e:
        why = " ".join(str(e).split())
        raise ValueError(f"pg: bad connection string: {why}") from None
    import os

    from ftpkit.auth.pgconninfo import conninfoError

    why = conninfoError(parameters, os.environ)
    if why is not None:
        raise ValueError(f"pg: bad connection string: {why}")
    from ftpkit.auth.pgusers import databaseFor

    return databaseFor(dsn)


@implementer(IPlugin, IRealmPlugin)
class PostgresRealmPlugin:
    """
    C{--realm pg:DSN}: virtual users in PostgreSQL, each in their home
    under C{--root} with their permissions and quota (several servers can
    share the database and the directory).
    """

    name = "pg"
    description = (
        "Virtual users in PostgreSQL (python -m ftpkit.pgadmin): home"
        " (under --root), permissions, quota, read-only."
    )
    argumentHelp = (
        "DSN: a libpq connection string, e.g. 'host=db dbname=ftp user=ftp'"
        " (the password from PGPASSFILE or PGPASSWORD); pair with"
        " --auth pg:DSN"
    )

    def makeRealm(self, argument, options):
        """
        Build a L{ftpkit.auth.users.UsersRealm} over the database C{argument}.

        @param argument: the connection string.
        @param options: the parsed L{ftpkit.deploy.tap.Options}.
        @return: a L{ftpkit.auth.users.UsersRealm}.
        @raise ValueError: when C{argument} is empty or psycopg missing.
        """
        return _usersRealm(_postgresUsers(argument, "pg:DSN"), options)


@implementer(IPlugin, ICheckerFactory)
class PostgresCheckerFactory:
    """
    C{--auth pg:DSN}: user names and scrypt password hashes from the
    PostgreSQL table of the C{pg} realm.
    """

    authType = "pg"
    authHelp = (
        "Checks user names and passwords against the scrypt hashes in a\n"
        "PostgreSQL table (python -m ftpkit.pgadmin manages it), read at\n"
        "each login. Needs psycopg (pip install 'ftpkit[pg]')."
    )
    argStringFormat = "DSN: a libpq connection string."
    credentialInterfaces = (IUsernamePassword,)

    def generateChecker(self, argstring):
        """
        Build a L{ftpkit.auth.users.UsersChecker} over the database.

        @param argstring: the connection string.
        @return: a L{ftpkit.auth.users.UsersChecker}.
        @raise ValueError: when C{argstring} is empty or psycopg missing.
        """
        database = _postgresUsers(argstring, "pg:DSN")
        from ftpkit.auth.users import UsersChecker

        return UsersChecker(database)


filesystemRealm = FilesystemRealmPlugin()
memoryRealm = MemoryRealmPlugin()
usersRealm = UsersRealmPlugin()
fsspecRealm = FsspecRealmPlugin()
usersChecker = UsersCheckerFactory()
postgresRealm = PostgresRealmPlugin()
postgresChecker = PostgresCheckerFactory()
