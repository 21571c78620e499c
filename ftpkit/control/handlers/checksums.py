"""
Checksum commands: HASH (draft-bryan-ftpext-hash) and the X-verbs XCRC
XMD5 XSHA XSHA1 XSHA256 XSHA512 (ProFTPD mod_digest's).

All of them reach the shell through L{ChecksumCommands.checksum}: the same
checks (a regular file, a range inside it), the same turn among every
client's checksums (L{ftpkit.control.turns}) and the shell's own threads;
they differ only in how they name the algorithm and format the reply.
"""

import string

from twisted.logger import Logger

from ftpkit.control.handlers.session import HASH_NAMES
from ftpkit.errors import (
    BadArgument,
    CommandNotImplemented,
    FTPError,
    LocalError,
)
from ftpkit.protocol import paths
from ftpkit.protocol.checksums import (
    X_VERBS,
    formatXReply,
    parseHashArgument,
    parseXArgument,
)

_log = Logger()

_HEX = frozenset(string.hexdigits)


def isHexDigest(digest):
    """
    @param digest: what a shell's C{hash} gave.
    @return: whether it is a digest to send: a non-empty C{str} of hex
        digits (anything else went to the client as it was: C{HASH}
        answered C{213 SHA-256 0-3 12345 /f} for an C{int}).
    """
    return isinstance(digest, str) and bool(digest) and _HEX.issuperset(
        digest)


class NotRegularFile(FTPError):
    """
    A checksum asked of a directory, device, FIFO or socket: C{550}, for
    C{HASH} too (it replied C{553}, the code of a name not allowed), as
    C{SIZE}, C{MDTM} and C{RETR} reply, and as FileZilla Server, whose
    author co-wrote the C{HASH} draft, replies to C{HASH}.
    """

    code = 550
    defaultMessage = "Not a regular file"


class ChecksumCommands:
    """
    Checksums of files, by the shell (L{ftpkit.interfaces.IFTPShellHash}).
    """

    sessionFields = frozenset(["shell"])

    async def checksum(self, path, algorithm, start=0, end=None):
        """
        Checksum a regular file, or the bytes C{[start, end)} of it, in
        this session's turn among every client's checksums.

        @param path: a tuple of segments.
        @param algorithm: a name L{ftpkit.interfaces.IFTPShellHash.hash}
            takes.
        @param start: where to start, a byte offset.
        @param end: where to stop, or C{None} for the file's end as
            C{info} saw it (C{HASH} names that range in its reply: a file
            that grew before the shell opened it had the digest of more
            bytes than the range named).
        @return: C{(info, digest)}: the file's
            L{ftpkit.fileinfo.FileInfo} and the lowercase hex digest.
        @raise NotRegularFile: for anything but a regular file.
        @raise BadArgument: for a range past the file's end.
        """
        shell = self.session.shell
        info = await shell.stat(path)
        if not info.isFile:
            raise NotRegularFile()
        if end is not None and end > info.size:
            raise BadArgument("End (%d) exceeds the file's size (%d)"
                              % (end, info.size))
        digest = await self.hashTurn.call(
            shell.hash, path, algorithm, start,
            info.size if end is None else end)
        if not isHexDigest(digest):
            _log.error("{shell!r}.hash({algorithm!r}) gave {digest!r}, not"
                       " a hex digest", shell=shell, algorithm=algorithm,
                       digest=digest)
            raise LocalError()
        return info, digest

    def _requireChecksums(self, verb):
        """
        @param verb: the command, for the reply.
        @raise CommandNotImplemented: where the shell does not checksum
            (see C{hashOffered}), whatever the argument.
        """
        if not self.hashOffered():
            raise CommandNotImplemented(verb + " not available here")

    async def ftp_HASH(self, argument):
        """
        Checksum a file with the algorithm C{OPTS HASH} selected.
        """
        self._requireChecksums("HASH")
        path = await self.resolveEntry(parseHashArgument(argument))
        info, digest = await self.checksum(path, self.hashAlgorithm)
        return (213, "%s 0-%d %s %s" % (HASH_NAMES[self.hashAlgorithm],
                                         info.size, digest,
                                         paths.toText(path)))

    async def _xChecksum(self, verb, argument):
        """
        Answer an X-verb: C{250} and the digest, upper-case.
        """
        self._requireChecksums(verb)
        pathText, start, end = parseXArgument(verb, argument)
        path = await self.resolveEntry(pathText)
        _, digest = await self.checksum(path, X_VERBS[verb], start, end)
        return formatXReply(digest)

    def ftp_XCRC(self, argument):
        """
        CRC-32 of a file or a range of it.
        """
        return self._xChecksum("XCRC", argument)

    def ftp_XMD5(self, argument):
        """
        MD5 of a file or a range of it.
        """
        return self._xChecksum("XMD5", argument)

    def ftp_XSHA1(self, argument):
        """
        SHA-1 of a file or a range of it (C{XSHA} too).
        """
        return self._xChecksum("XSHA1", argument)

    def ftp_XSHA256(self, argument):
        """
        SHA-256 of a file or a range of it.
        """
        return self._xChecksum("XSHA256", argument)

    def ftp_XSHA512(self, argument):
        """
        SHA-512 of a file or a range of it.
        """
        return self._xChecksum("XSHA512", argument)
