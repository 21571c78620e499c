"""
Commands on names: PWD CWD CDUP MKD RMD DELE RNFR RNTO SIZE MDTM MFMT
MFF MLST AVBL, and ALLO, which AVBL's room answers.
"""

from twisted.logger import Logger

from ftpkit.errors import (
    FTPError,
    IsDirectory,
    LocalError,
    NoSuchFile,
    NotDirectory,
    ParameterNotImplemented,
    PermissionDenied,
    UploadTooLarge,
)
from ftpkit.interfaces import (
    IFTPShellPermitted,
    IFTPShellResume,
    IFTPShellTimes,
    IFTPShellUploadsInPlace,
)
from ftpkit.protocol import (
    factchanges,
    leadmasks,
    listingfacts,
    paths,
    permletters,
)
from ftpkit.protocol.access import CHANGE, CREATE, mayRename
from ftpkit.protocol.commands import parseALLO
from ftpkit.protocol.replies import quotePath, shownName
from ftpkit.protocol.timevals import (
    formatSetTime,
    formatTimeval,
    isTimeSetting,
    parseMFMT,
)
from ftpkit.shells.pathlookups import entryStat

_log = Logger()

SEARCH_PROBE = "ftpkit-search-probe"
"""The name C{CWD} looks up in a directory whose mode does not let
everyone search it (L{_checkSearchable})."""


async def _checkSearchable(shell, path):
    """
    Look a name up in the directory C{path}, which needs its search
    permission: a server whose account lacks it (C{chmod 000}, or C{0700}
    of another user) could do nothing in it, not even C{stat} a file. Not
    finding the name is the answer of a directory that can be searched.

    @param shell: the session's L{ftpkit.interfaces.IFTPShell}.
    @param path: a directory.
    @raise PermissionDenied: when the server may not search C{path}.
    """
    try:
        await shell.stat(path + (SEARCH_PROBE,))
    except PermissionDenied:
        raise PermissionDenied(
            "Cannot enter %s: permission denied" % shownName(paths.toText(path))
        ) from None
    except FTPError:
        pass


class FileCommands:
    """
    Navigation and name operations.
    """

    sessionFields = frozenset(
        ["cwd", "renameFrom", "shell", "binary", "mlstFacts", "access"])

    def resolve(self, text):
        """
        Turn a client's path argument into a path.

        @param text: the client's path argument.
        @return: a tuple of segments.
        @raise InvalidPath: for text that cannot name a path.
        """
        return paths.resolve(self.session.cwd, text)

    async def resolveEntry(self, text):
        """
        Turn a client's argument naming a file (or a directory, where the
        command takes one) into a path. Text spelt as a directory's name
        (C{"f/"}, C{"f/."}) must name one: resolved, it names C{f}, and
        the command would act on the file where the client named a
        directory (a kernel answers C{ENOTDIR} for C{f/}).

        @param text: the client's path argument.
        @return: a tuple of segments.
        @raise InvalidPath: for text that cannot name a path.
        @raise NotDirectory: (C{550}) when text spelt as a directory's
            name names something else.
        """
        path = self.resolve(text)
        if path and text and paths.namesDirectory(text):
            if not (await self.session.shell.stat(path)).isDirectory:
                raise NotDirectory()
        return path

    def ftp_PWD(self, argument):
        """
        Name the current directory (257).
        """
        return (257, quotePath(paths.toText(self.session.cwd))
                + " is the current directory")

    async def ftp_CWD(self, argument):
        """
        Change the current directory: one the server may search (its
        C{x} permission), else 550, as no command would work in it.
        """
        path = self.resolve(argument)
        shell = self.session.shell
        info = await shell.stat(path)
        if not info.isDirectory:
            raise NotDirectory()
        if (info.mode or 0) & 0o111 != 0o111:
            await _checkSearchable(shell, path)
        self.session.cwd = path
        return (250, "Directory changed to " + shownName(paths.toText(path)))

    async def ftp_CDUP(self, argument):
        """
        Change to the parent directory.
        """
        return await self.ftp_CWD("..")

    async def ftp_MKD(self, argument):
        """
        Make a directory (257 with its path).
        """
        path = self.resolve(argument)
        await self.session.shell.makeDirectory(path)
        self.reportChange("MKD", path)
        return (257, quotePath(paths.toText(path)) + " created")

    async def ftp_RMD(self, argument):
        """
        Remove an empty directory.
        """
        path = self.resolve(argument)
        await self.session.shell.removeDirectory(path)
        self.reportChange("RMD", path)
        return (250, "Directory removed")

    async def ftp_DELE(self, argument):
        """
        Delete a file.
        """
        path = await self.resolveEntry(argument)
        await self.session.shell.removeFile(path)
        self.reportChange("DELE", path)
        return (250, "File removed")

    async def ftp_RNFR(self, argument):
        """
        Name the file or directory the next RNTO renames: C{550} where
        the shell's rules would refuse renaming it (L{mayRename}). A
        symbolic link the shell does not follow (leading nowhere, in a
        loop, out of the root) is found as itself (L{entryStat}), and
        its rename renames the link, as C{rename(2)} does on ProFTPD and
        Pure-FTPd: C{stat} follows it, and C{RNFR} of it got C{550}. A
        shell that finds the link in its parent's whole listing does it
        in the client's turn at listings, as C{MLST} does. A file an
        upload writes in place that the shell stores once it ends
        (L{IFTPShellUploadsInPlace}: an C{APPE} making it on
        C{--realm memory}) gets C{350}, then its C{RNTO} C{450}, as on
        the disk realm where it is there from the upload's start.
        """
        path = await self.resolveEntry(argument)
        self.session.renameFrom = None
        if not path:
            raise PermissionDenied("The root cannot be renamed")
        shell = self.session.shell
        if not await mayRename(shell, path):
            raise PermissionDenied()
        try:
            await entryStat(shell, path, self.listingTurn.call)
        except NoSuchFile:
            # A file an upload makes in place, stored once it ends: 350
            # then 450 at RNTO, as where the file is there from its start.
            if not (IFTPShellUploadsInPlace.providedBy(shell)
                    and await shell.writtenInPlace(path)):
                raise
        self.session.renameFrom = path
        return (350, "Ready for RNTO")

    async def ftp_RNTO(self, argument):
        """
        Rename what RNFR named, in the client's turn at listings
        (L{ftpkit.control.turns}): the rename of a directory may look
        at up to 10,000 entries below it for uploads it would move
        (the disk realm's and C{fsspec:file://}'s), the work of a
        listing, and sessions of one address pipelining renames of a
        large tree held every disk thread with it.
        """
        session = self.session
        source, session.renameFrom = session.renameFrom, None
        if source is None:
            return (503, "RNFR required first")
        target = self.resolve(argument)
        await self.listingTurn.call(session.shell.rename, source, target)
        self.reportChange("RNTO", source, target)
        return (250, "Rename successful")

    async def ftp_SIZE(self, argument):
        """
        Give a file's size (RFC 3659) in TYPE I: the size of a cut upload
        of it kept for this user's resume, when there is one
        (L{ftpkit.interfaces.IFTPShellResumeOwners}), else its size; a
        missing name and what is not a regular file (a directory) get
        their own C{550}. In TYPE A every argument gets the one C{550}
        refusal, before the path is looked at: a file, a missing name or
        a directory alike, as ProFTPD (C{core_size}) and pyftpdlib refuse
        first (RFC 3659 section 4 lets a server decline to give a size).
        The size a TYPE A download sends (CRLF line ends) is never the
        offset a client resuming from C{SIZE} skips in its local file (LF
        line ends on Unix), so C{curl -B -C - -T} appended at the wrong
        offset and the file was corrupted; on C{550} it sends the whole
        file with C{STOR}. Counting the line ends also read the whole file
        for one short command.
        """
        if not self.session.binary:
            return (550, "SIZE not allowed in ASCII mode; use TYPE I")
        path = await self.resolveEntry(argument)
        shell = self.session.shell
        if IFTPShellResume.providedBy(shell):
            # A cut upload waiting for its resume: what a resuming client
            # asks for (see IFTPShellResume).
            kept = await shell.resumableSize(path)
            if kept is not None:
                return (213, str(kept))
        info = await shell.stat(path)
        if not info.isFile:
            return (550, "Not a regular file")
        return (213, str(info.size))

    async def ftp_MDTM(self, argument):
        """
        Give a file's modification time, UTC (RFC 3659); 550 where the
        shell does not know it (L{ftpkit.fileinfo.FileInfo.mtime}
        C{None}), as RFC 3659 section 3.2 has it for a time the server
        cannot give. It never sets one: an argument of C{MFMT}'s form (a
        time, then a path) naming no file gets C{501} pointing at
        C{MFMT} where this session may use it: C{MDTM} is a reading
        command in the command table, whose access rules apply before its
        handler runs.
        """
        path = await self.resolveEntry(argument)
        try:
            info = await self.session.shell.stat(path)
        except NoSuchFile:
            if isTimeSetting(argument):
                return (501, "MDTM does not set a file's time; " + (
                    "use MFMT" if "MFMT" in self.offeredVerbs()
                    and self.session.access.allows(CHANGE)
                    else "times cannot be set here"))
            raise
        if not info.isFile:
            return (550, "Not a regular file")
        if info.mtime is None:
            return (550, "Modification time not known")
        return (213, formatTimeval(info.mtime))

    async def ftp_MFMT(self, argument):
        """
        Set a file's or a directory's modification time
        (L{changeModificationTime}); the reply gives the time it then has
        (L{formatSetTime}: its milliseconds too), which a file system may
        have clamped to its range (ext4 keeps 1901 to 2446), as C{SITE
        UTIME}'s does.
        """
        when, pathText = parseMFMT(argument)
        path, kept = await self.changeModificationTime(pathText, when)
        self.reportChange("MFMT", path)
        return (213, "Modify=" + formatSetTime(kept) + "; "
                + paths.toText(path))

    async def ftp_MFF(self, argument):
        """
        Set facts of a file (draft-somers-ftp-mfxx): C{modify} as C{MFMT}
        sets it, C{UNIX.mode} as C{SITE CHMOD} does (so not under
        C{--no-site-chmod}, nor with a shell that cannot, nor on the
        root), each where the session can (C{settableFacts}). All or
        nothing: a fact it cannot set is refused with C{504} before
        anything changes; C{modify} is set first, so that a directory
        whose time the storage does not keep is refused before its mode
        changes, and the time the file had is put back when its mode
        then cannot be set (the users file's C{chmod} permission missing,
        a C{chmod} the storage refuses). The C{213} reply gives the facts
        then set, in the client's order (the modification time and the
        mode the file keeps), and the path.
        """
        changes, pathText = factchanges.parseMFF(argument)
        path = await self.resolveEntry(pathText)
        settable = self.settableFacts()
        for name, _ in changes:
            if name not in settable:
                raise ParameterNotImplemented(
                    "Cannot modify fact '%s'" % factchanges.factName(name))
            if name == factchanges.UNIX_MODE and not path:
                return (550, "The root's permissions cannot be changed")
        facts = dict(changes)
        done = {}
        before = None
        if factchanges.MODIFY in facts:
            if factchanges.UNIX_MODE in facts:
                before = (await self.session.shell.stat(path)).mtime
            _, kept = await self.changeModificationTime(
                pathText, facts[factchanges.MODIFY])
            done[factchanges.MODIFY] = formatSetTime(kept)
        if factchanges.UNIX_MODE in facts:
            try:
                kept = await self.changePermissions(
                    path, facts[factchanges.UNIX_MODE])
            except BaseException:
                if before is not None:
                    await self.session.shell.setModificationTime(
                        path, before)
                raise
            done[factchanges.UNIX_MODE] = "%04o" % kept
        self.reportChange("MFF", path)
        return (213, factchanges.formatChanges(
            (name, done[name]) for name, _ in changes) + " "
                + paths.toText(path))

    async def changePermissions(self, path, mode):
        """
        Set a file's or a directory's permission bits: what C{SITE CHMOD}
        and C{MFF}'s C{UNIX.mode} do.

        @param path: the path, a tuple of segments, not the root.
        @param mode: the bits asked for, C{0} to C{0o777}.
        @return: the bits the file then has, which the replies give: the
            storage may keep others (the disk keeps a directory's owner
            read and search bits,
            L{ftpkit.shells.filesystem.KEPT_DIRECTORY_BITS}; the replies
            said the mode asked for).
        """
        shell = self.session.shell
        await shell.setPermissions(path, mode)
        return (await shell.stat(path)).mode

    async def changeModificationTime(self, pathText, when, accessed=None):
        """
        Set a file's or a directory's modification time: what C{MFMT},
        C{SITE UTIME} and C{MFF}'s C{modify} do, as ProFTPD and
        Pure-FTPd set it. A directory whose time the storage does not
        keep (its C{stat} gives no C{mtime}: a directory of
        C{fsspec:memory://}) gets C{550} saying so, before the shell is
        asked to set it; so does the root, every user's, as its mode does
        (C{SITE CHMOD}).

        @param pathText: the client's path.
        @param when: seconds since the epoch.
        @param accessed: the access time to set too, where the shell can
            (L{IFTPShellTimes}; its modification time alone otherwise), or
            C{None} to keep it.
        @return: C{(path, kept)}: the path, a tuple of segments, and the
            modification time the file then has, which the replies give
            (a file system may have clamped it), or C{when} where the
            shell does not know it.
        """
        path = await self.resolveEntry(pathText)
        if not path:
            # Every user's, as for SITE CHMOD: one may not change it for all.
            raise PermissionDenied(
                "The root's modification time cannot be changed")
        shell = self.session.shell
        info = await shell.stat(path)
        if info.isDirectory and info.mtime is None:
            raise IsDirectory("This storage keeps no time for directories")
        if accessed is not None and IFTPShellTimes.providedBy(shell):
            await shell.setTimes(path, accessed, when)
        else:
            await shell.setModificationTime(path, when)
        kept = (await shell.stat(path)).mtime
        return path, when if kept is None else kept

    async def ftp_MLST(self, argument):
        """
        Describe one path with MLST facts, on the control connection: a
        symbolic link the shell does not follow as itself
        (L{entryStat}), as C{MLSD} lists it.
        """
        path = await self.resolveEntry(argument)
        info = await entryStat(self.session.shell, path,
                               self.listingTurn.call)
        line = listingfacts.formatFacts(
            paths.toText(path), info, self.session.mlstFacts,
            listingfacts.permissions(info, await self.permMask(path),
                                self.session.access.holdUploads))
        return (250, ["Listing " + shownName(paths.toText(path)), " " + line,
                      "End"])

    async def ftp_AVBL(self, argument):
        """
        Give the bytes an upload into a directory (the current one when
        none is named) may still bring: C{213} and the number
        (draft-peterson-streamlined-ftp-command-extensions); C{550} where
        the shell cannot tell.
        """
        if not self.availableOffered():
            return (550, "Available space unknown here")
        return (213, str(await self.roomLeft(self.resolve(argument))))

    async def ftp_ALLO(self, argument):
        """
        Say whether a file of the size given would fit, once the argument
        is valid, as Pure-FTPd (and ProFTPD with C{AllowALLO}) answer it:
        C{552} where it is more than C{--max-upload-size} (its refusal's
        text, L{UploadTooLarge}, which the upload would get) or than the
        current directory's room (C{AVBL}'s: the disk's free space, or
        what the user's quota leaves if less), C{200} where it fits,
        C{202} (nothing to reserve, as before) where the storage cannot
        tell (L{availableOffered}, or the room could not be measured: no
        directory there any more). A user who may not upload there at all
        (anonymous without C{--anonymous-write}, C{--read-only}, a users
        file's permissions: no L{permletters.UPLOADS} letter) gets
        C{202}, not a C{552} for space that is not the reason, nor the
        upload's refusal: neither ProFTPD (C{ALLO} is in no C{<Limit
        WRITE>} group; C{202} unless C{AllowALLO}) nor Pure-FTPd (space
        and quota only) refuses C{ALLO} for permissions; C{STOR} then
        gets its own C{550} or C{553}. Nothing is reserved: the upload's
        bytes are judged as they come. A client sending C{ALLO} before
        each C{STOR} (lftp with C{ftp:use-allo}) goes on with C{200}, and
        stops sending it after a C{202}; after a C{552} it does not
        upload.
        """
        size = parseALLO(argument)
        try:
            mask = await self.permMask(self.session.cwd)
        except FTPError:
            return (202, "No storage allocation necessary")
        if not mask & permletters.UPLOADS:
            return (202, "No storage allocation necessary")
        limit = self.factory.config.maxUploadSize
        if limit is not None and size > limit:
            raise UploadTooLarge()
        if not self.availableOffered():
            return (202, "No storage allocation necessary")
        try:
            room = await self.roomLeft(self.session.cwd)
        except FTPError:
            return (202, "No storage allocation necessary")
        if size > room:
            return (552, "Exceeded storage allocation: %d bytes do not fit, "
                         "%d may be stored here" % (size, room))
        return (200, "ALLO command successful: %d bytes fit" % size)

    async def roomLeft(self, path):
        """
        @param path: a directory, a tuple of segments.
        @return: a coroutine giving the bytes an upload there may still
            bring (L{ftpkit.interfaces.IFTPShellAvailable.available}).
        @raise LocalError: where the shell gave no count of bytes (logged).
        """
        room = await self.session.shell.available(path)
        if isinstance(room, bool) or not isinstance(room, int) or room < 0:
            _log.error("{shell!r}.available gave {room!r}, not a count of"
                       " bytes", shell=self.session.shell, room=room)
            raise LocalError()
        return room

    async def permMask(self, path):
        """
        @param path: a tuple of segments.
        @return: a coroutine giving the mask of the C{perm} fact of the
            entry at C{path} (L{ftpkit.protocol.permletters}): what the
            server's access rules, and the shell's where it tells
            (L{IFTPShellPermitted}) at the path and where it leads
            (L{leadmasks.permittedThere}), let the session do; never
            C{d} or C{f} for the root (C{path} empty), which C{RMD} and
            C{RNFR} refuse.
        """
        mask = self._accessMask()
        shell = self.session.shell
        if IFTPShellPermitted.providedBy(shell):
            mask = mask & await leadmasks.permittedThere(shell, path)
        if not path:
            mask = mask - permletters.ROOT_REFUSED
        return mask

    async def permMasksIn(self, path):
        """
        @param path: a tuple of segments naming a directory.
        @return: a coroutine giving C{(mask, exceptions)}, as
            L{IFTPShellPermitted.permittedIn} gives them where the entries
            lead too (L{leadmasks.permittedThereIn}), narrowed as
            L{permMask} narrows its mask.
        """
        mask = self._accessMask()
        shell = self.session.shell
        if not IFTPShellPermitted.providedBy(shell):
            return mask, {}
        inside, exceptions = await leadmasks.permittedThereIn(
            shell, path, self.listingTurn.call)
        return mask & inside, {name: mask & each
                               for name, each in exceptions.items()}

    def _accessMask(self):
        """
        @return: the mask the server's access rules allow the session.
        """
        access = self.session.access
        if access.allows(CHANGE):
            return permletters.ALL
        return (permletters.CREATE_ONLY if access.allows(CREATE)
                else permletters.LOOK)

