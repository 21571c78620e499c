"""
STOU: an upload under a name no file has (RFC 959, with RFC 1123's
C{FILE: name} in its preliminary reply).
"""

import secrets

from ftpkit.control.handlers.transferring import abortWrite
from ftpkit.errors import AlreadyExists, NoSuchFile
from ftpkit.interfaces import IFTPShellCreate
from ftpkit.protocol import paths
from ftpkit.shells.pathlookups import entryStat

STOU_ATTEMPTS = 100
"""Names C{STOU} tries in order (the first, then it followed by C{.1},
C{.2}...) before it tries random ones (L{RANDOM_ATTEMPTS})."""

RANDOM_ATTEMPTS = 10
"""Names of a random suffix C{STOU} tries once those of
L{STOU_ATTEMPTS} are all taken, before it answers C{450}: names in order
alone, a client that stored a hundred files of one name (an anonymous one,
under C{--anonymous-write}, where nobody else may remove them) had every
later C{STOU} of that name refused, for every user (C{STOU} alone names
L{UNIQUE_NAME}), where random names cannot all be taken."""

REST_STOU_REFUSED = ("STOU makes a new file, which has no byte %d to"
                     " restart at: send STOU without REST")
"""The reply to C{STOU} after C{REST N} (L{UniqueUploadCommands.ftp_STOU})."""

UNIQUE_NAME = "ftpkit.upload"
"""The name C{STOU} starts from when its argument names a directory, or
is missing."""


def candidateName(name, attempt, token=secrets.token_hex):
    """
    @param name: the first name C{STOU} tries.
    @param attempt: how many it tried before (C{1} or more).
    @param token: gives random hexadecimal digits of as many bytes as it
        is given.
    @return: the name it tries next: C{name.1}, C{name.2}... up to
        L{STOU_ATTEMPTS}, then C{name.} followed by twelve random
        hexadecimal digits.
    """
    if attempt < STOU_ATTEMPTS:
        return "%s.%d" % (name, attempt)
    return "%s.%s" % (name, token(6))


class UniqueUploadCommands:
    """
    C{STOU}, on top of the transfers of
    L{ftpkit.control.handlers.transfers.TransferCommands} and the path
    resolution of L{ftpkit.control.handlers.files.FileCommands}.
    """

    sessionFields = frozenset(["shell"])

    async def ftp_STOU(self, argument):
        """
        Receive a file under a new, unique name (150 FILE: name): the
        argument's, else it followed by C{.1}, C{.2}... An argument that
        names a directory (C{.}, C{..}, C{/}, one ending in C{/}, or an
        existing directory) puts the file in it, named L{UNIQUE_NAME}
        (as is a missing one, in the current directory), as ProFTPD,
        which ignores the argument, does: the file was named after the
        directory, beside it (C{STOU .} in C{/pub} made C{/pub.1}), and
        C{STOU /} was refused. A shell providing L{IFTPShellCreate}
        refuses a name another upload creates meanwhile (the disk, memory
        and fsspec shells reserve it for the upload's lifetime), so two
        C{STOU}s at once are told two names; once C{.99} is taken it
        tries random names (L{RANDOM_ATTEMPTS}); a file of that name that
        appears anyway before the upload is complete is not replaced
        (C{550}). After C{REST N} (not 0) it answers C{503}, as C{APPE}
        does: the offset was ignored, and a client resuming an upload so
        was told C{226} for a new file holding only the rest (pyftpdlib
        answers C{450}, ProFTPD C{550}). A name that the suffix would
        take past 255 bytes (or the path past its limit) ends it with
        C{553}, as the disk realm's C{ENAMETOOLONG} did: on the memory
        and fsspec realms it made a file that no command could name
        again (C{550 File name too long} to its C{RETR} and C{DELE}).
        """
        offset = self._takeOffset()
        if offset:
            return (503, REST_STOU_REFUSED % offset)
        base = await self._uniqueBase(argument)
        for attempt in range(STOU_ATTEMPTS + RANDOM_ATTEMPTS):
            # Measured as a client's name is: one past 255 bytes would
            # be a file no command could name again.
            path = base if attempt == 0 else paths.resolve(
                base[:-1], candidateName(base[-1], attempt))
            if await self.exists(path):
                continue
            writeFile = await self._openUnique(path)
            if writeFile is not None:
                break
        else:
            # Refused: its transfer never began.
            self.reportTransferRefused()
            return (450, "No unique name available")
        return await self.receiveFile(
            writeFile, "STOU " + paths.toText(path),
            "FILE: " + paths.basename(path), target=path)

    async def _uniqueBase(self, argument):
        """
        @param argument: C{STOU}'s argument.
        @return: the first name C{STOU} tries: the argument's, or
            L{UNIQUE_NAME} in the directory it names.
        """
        path = self.resolve(argument)
        if paths.namesDirectory(argument) or await self._isDirectory(path):
            return path + (UNIQUE_NAME,)
        return path

    async def _isDirectory(self, path):
        """
        @param path: what C{STOU}'s argument names.
        @return: whether it is a directory (a link the shell does not
            follow is none, L{entryStat}); C{ABOR} ends the wait.
        """
        try:
            info = await self.whileOpening(entryStat(self.session.shell,
                                                     path))
        except NoSuchFile:
            return False
        return info.isDirectory

    async def _openUnique(self, path):
        """
        @param path: a name no file has, which C{STOU} may give its
            upload.
        @return: the file the upload writes, or C{None} when another
            upload creating C{path} started since the check (the shell
            said L{AlreadyExists}): C{STOU} tries the next name.
        """
        shell = self.session.shell
        if not IFTPShellCreate.providedBy(shell):
            return await self.whileOpening(shell.openForWriting(path),
                                           abortWrite)
        # Another upload of that name, started since the check, must not
        # be replaced by this one (nor this one by it).
        try:
            return await self.whileOpening(shell.openForCreating(path),
                                           abortWrite)
        except AlreadyExists:
            return None

    async def exists(self, path):
        """
        @param path: a name C{STOU} may give its upload.
        @return: whether a file, a directory or a symbolic link has it
            (L{entryStat}: a link leading nowhere, in a loop or out of the
            root is one too, and C{STOU} takes the next name, never
            writing through it: the disk realm made the file a link
            leading nowhere named, C{fsspec:file://} answered C{550 File
            exists} once the upload was complete, and both answered
            C{550} for a link out); C{ABOR} ends the wait
            (L{whileOpening}).
        """
        try:
            await self.whileOpening(entryStat(self.session.shell, path))
        except NoSuchFile:
            return False
        return True
