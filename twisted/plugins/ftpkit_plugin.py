"""
The twistd plugin C{ftpkit} and ftpkit's built-in realm plugins.

Twisted skips a plugin module that fails to import with only a log line,
so this module stays tiny: everything heavy is imported when it is used.
"""

from twisted.application.service import ServiceMaker
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


filesystemRealm = FilesystemRealmPlugin()
memoryRealm = MemoryRealmPlugin()
