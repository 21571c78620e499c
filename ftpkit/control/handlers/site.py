"""
The C{SITE} commands: C{CHMOD}, C{UTIME} (ProFTPD's mod_site_misc, both
forms), C{MKDIR} (mod_site_misc's too: lftp's C{mkdir -p}) and C{HELP};
each checked against its access class in
L{ftpkit.protocol.commandtable.SITE_ACCESS} before it runs, as every
verb is against its own (L{ftpkit.control.commandrunning}: a user who
may not gets C{550} whatever the argument, and the shell is asked
nothing).
"""

from ftpkit.errors import NoSuchFile, NotDirectory
from ftpkit.interfaces import IFTPShellChmod
from ftpkit.protocol import commandtable, factchanges
from ftpkit.protocol.timevals import formatSetTime, parseSiteUtimes


class SiteCommands:
    """
    C{SITE} and its commands, and the C{FEAT} lines of those that have
    one.
    """

    sessionFields = frozenset(["access", "shell"])

    def siteFeatures(self):
        """
        @return: the C{FEAT} lines (L{commandtable.SITE_FEATURES}) of the
            C{SITE} commands this session offers (L{offeredSite}): none
            to one who may not make anything (anonymous without
            C{--anonymous-write}, C{--read-only}).
        """
        return [commandtable.SITE_FEATURES[name] for name in self.offeredSite()
                if name in commandtable.SITE_FEATURES]

    def offeredSite(self):
        """
        The one decision of which C{SITE} commands this session offers,
        which C{FEAT} (L{siteFeatures}), C{SITE HELP} and C{HELP SITE}
        (L{siteHelp}) follow: C{CHMOD} where modes can be set (not under
        C{--no-site-chmod}, where it gets C{502}, nor on a shell without
        chmod, nor for a user granted it nowhere), C{UTIME} where times
        can, as C{FEAT}'s C{MFF} line says; C{MKDIR} where the user may
        make directories (not for one whose permissions grant C{mkdir}
        nowhere, L{ftpkit.protocol.access.grantedBy}); C{HELP} always.

        @return: C{{name: syntax}}, in the order C{SITE HELP} lists them.
        """
        settable = self.settableFacts()
        offered = {name: syntax for fact, name, syntax in [
            (factchanges.UNIX_MODE, "CHMOD", "CHMOD <mode> <path>"),
            (factchanges.MODIFY, "UTIME", "UTIME YYYYMMDDhhmm[ss] <path>")]
            if fact in settable}
        access = self.knownAccess()
        if (access.directoriesGranted
                and access.allows(commandtable.SITE_ACCESS["MKDIR"])):
            offered["MKDIR"] = "MKDIR <path>"
        offered["HELP"] = "HELP"
        return offered

    async def ftp_SITE(self, argument):
        """
        SITE CHMOD, SITE UTIME, SITE MKDIR and SITE HELP. The path ends
        where the line does, as every other command's: a name may end in
        blanks, and begin with them (SITE UTIME's second form starts with
        its path).
        """
        command, _, rest = argument.lstrip(" ").partition(" ")
        command = command.upper()
        if command == "HELP":
            return self.siteHelp(rest)
        if command == "CHMOD":
            if not self.session.access.siteChmod:
                return (502, "SITE CHMOD is turned off")
            return await self._siteChmod(rest.lstrip(" "))
        if command == "UTIME":
            return await self._siteUtime(rest)
        if command == "MKDIR":
            return await self._siteMkdir(rest)
        return (500, "Unknown SITE command")

    def siteHelp(self, argument):
        """
        The reply of C{SITE HELP} and C{HELP SITE}: the C{SITE} commands
        this session offers (L{offeredSite}), or the syntax of the one its
        first word names; of a C{SITE} command ftpkit has but this session
        does not offer, C{214} saying so; of another, C{501}, as C{HELP}
        of an unknown verb, and as pyftpdlib answers (both listed the
        commands). Either names the commands offered.

        @param argument: what follows C{HELP}: a C{SITE} command, or none.
        @return: the C{214} or C{501} reply.
        """
        offered = self.offeredSite()
        listed = "SITE commands: " + ", ".join(offered.values())
        name = (argument.split() or ["HELP"])[0].upper()
        if name == "HELP":
            return (214, listed)
        if name in offered:
            return (214, "Syntax: SITE " + offered[name])
        if name in commandtable.SITE_ACCESS:
            return (214, "SITE %s is not offered here; %s" % (name, listed))
        return (501, "Unknown SITE command; " + listed)

    async def _siteUtime(self, argument):
        """
        Set a file's or a directory's modification time as C{MFMT} does
        (the same access class, the same shell method), in either form of
        ProFTPD's mod_site_misc (L{parseSiteUtimes}); the form that gives
        an access time sets it too, where the shell can
        (L{ftpkit.interfaces.IFTPShellTimes}). The reply gives the
        modification time the file then has, as C{MFMT}'s does: a file
        system may have clamped it to its range (ext4 keeps 1901 to 2446;
        it was C{200} alone, as if the time asked for were kept).
        """
        accessed, when, pathText = parseSiteUtimes(argument)
        path, kept = await self.changeModificationTime(pathText, when,
                                                       accessed)
        self.reportChange("SITE UTIME", path)
        return (200, "SITE UTIME command successful; Modify="
                + formatSetTime(kept))

    async def _siteMkdir(self, argument):
        """
        Make a directory and every missing directory above it, as
        ProFTPD's mod_site_misc does (lftp's C{mkdir -p} sends it where
        C{FEAT} lists C{SITE MKDIR}): C{200} once the whole path is a
        directory, made now or before; C{550} where some part of it is
        a file (what was made before it stays, as with C{mkdir -p}).
        Each directory made is checked, made and reported as C{MKD}
        makes one. A path that is a directory already is looked at once,
        and every look and directory made takes the client's turn at
        listings (L{ftpkit.control.turns}): a path of 256 names is 256
        looks and as many directories made, and a client repeating it
        cost the server a listing's work many times over with each
        command.
        """
        if not argument:
            return (501, "Syntax: SITE MKDIR <path>")
        path = self.resolve(argument)
        shell = self.session.shell
        turn = self.listingTurn.call
        try:
            whole = await turn(shell.stat, path)
        except (NoSuchFile, NotDirectory):
            whole = None
        if whole is not None and whole.isDirectory:
            return (200, "SITE MKDIR command successful")
        for depth in range(1, len(path) + 1):
            step = path[:depth]
            try:
                info = await turn(shell.stat, step)
            except NoSuchFile:
                await turn(shell.makeDirectory, step)
                self.reportChange("MKD", step)
                continue
            if not info.isDirectory:
                raise NotDirectory()
        return (200, "SITE MKDIR command successful")

    async def _siteChmod(self, argument):
        """
        Set a file's or a directory's permission bits
        (L{changePermissions}); the C{200} reply gives the mode the file
        then has (C{UNIX.mode=0500} for C{SITE CHMOD 000} of a directory
        on disk, which keeps its owner's read and search bits), as C{SITE
        UTIME}'s gives the time kept (it was C{200} alone).
        """
        modeText, _, pathText = argument.partition(" ")
        if (not pathText or not modeText
                or any(c not in "01234567" for c in modeText)
                or int(modeText, 8) > 0o777):
            return (501, "Syntax: SITE CHMOD <octal mode up to 777> <path>")
        session = self.session
        if not IFTPShellChmod.providedBy(session.shell):
            return (502, "SITE CHMOD not available here")
        path = await self.resolveEntry(pathText)
        if not path:
            # The root is every user's (and anonymous's): one user's
            # SITE CHMOD 000 / would lock them all out of it.
            return (550, "The root's permissions cannot be changed")
        kept = await self.changePermissions(path, int(modeText, 8))
        self.reportChange("SITE CHMOD", path)
        return (200, "SITE CHMOD command successful; UNIX.mode=%04o" % kept)
