"""
Exceptions a shell raises, each knowing the FTP reply code it maps to.

The server turns any L{FTPError} into a reply line with its C{code} and
C{message}; anything else becomes a generic C{451} and a log line.
"""

import errno


class FTPError(Exception):
    """
    Base class for errors that become an FTP reply.

    @cvar code: the FTP reply code.
    @cvar defaultMessage: the reply text used when none is given.
    """

    code = 550
    defaultMessage = "Requested action not taken"

    def __init__(self, message=None):
        """
        @param message: reply text; L{defaultMessage} when omitted. Anything
            else a plugin gives is made text: C{bytes} decoded as UTF-8,
            anything else as C{str} makes it (a path's tuple, an
            exception, a number), so that the reply can be sent.
        """
        if message is None:
            message = self.defaultMessage
        elif isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        elif not isinstance(message, str):
            message = str(message)
        self.message = message
        super().__init__(self.message)


class NoSuchFile(FTPError):
    """The path does not exist."""

    code = 550
    defaultMessage = "No such file or directory"


class PermissionDenied(FTPError):
    """The user may not do this here."""

    code = 550
    defaultMessage = "Permission denied"


class IsDirectory(FTPError):
    """A file operation was asked of a directory."""

    code = 550
    defaultMessage = "Is a directory"


class NotDirectory(FTPError):
    """A directory operation was asked of something that is not one."""

    code = 550
    defaultMessage = "Not a directory"


class AlreadyExists(FTPError):
    """The target exists and the operation will not replace it."""

    code = 550
    defaultMessage = "File exists"


class DirectoryNotEmpty(FTPError):
    """RMD of a directory that still has entries."""

    code = 550
    defaultMessage = "Directory not empty"


class InvalidPath(FTPError):
    """A file name that is not allowed (too long, NUL, not UTF-8...)."""

    code = 553
    defaultMessage = "File name not allowed"


class MovedIntoItself(InvalidPath):
    """
    A rename that would move a directory into itself or below itself: the
    one text every shell gives for it (the kernel's C{EINVAL} alone would
    read as a bad name).
    """

    defaultMessage = "Cannot move a directory into itself"


class FileBusy(FTPError):
    """
    Another transfer holds the file: an upload written into it in place
    while another such upload runs (RFC 959's "file busy").
    """

    code = 450
    defaultMessage = "File busy: another upload writes it; try again later"


class FileReplaced(FileBusy):
    """
    An upload written into its file in place is complete, but its path no
    longer names that file: another command replaced, removed or renamed
    it meanwhile, so the bytes are not where the client sent them.
    """

    defaultMessage = ("File replaced, moved or removed during the upload;"
                      " try again")


class FileChanged(FileBusy):
    """
    An upload appended to its file in place is complete, but the file's
    length is not its length before the upload plus the bytes appended:
    another program (a local user's) cut it, or wrote to it, meanwhile,
    so it does not hold its bytes from before followed by the client's.
    Or an upload written in place from an offset (C{REST} then C{STOR})
    is complete, but another program cut the file below the upload's
    bytes meanwhile: a hole lies before them.
    """

    defaultMessage = ("File changed by another program during the upload;"
                      " it does not hold what was sent")


class InsufficientStorage(FTPError):
    """The disk is full."""

    code = 452
    defaultMessage = "Insufficient storage space"


class QuotaExceeded(FTPError):
    """The user's storage allocation is used up."""

    code = 552
    defaultMessage = "Exceeded storage allocation"


class FileQuotaExceeded(QuotaExceeded):
    """
    A new file would pass the user's allowance of files and directories
    (C{quota-files}): C{552}, as for bytes (RFC 959 gives C{STOR},
    C{STOU} and C{APPE} that code).
    """

    code = 552
    defaultMessage = "Exceeded storage allocation: too many files"


class DirectoryOverFileQuota(FileQuotaExceeded):
    """
    C{MKD} of a directory that would pass the user's allowance of files
    and directories: C{550}, the one refusal RFC 959 lists for C{MKD}.
    """

    code = 550


class UploadTooLarge(FTPError):
    """An upload brought more bytes than C{--max-upload-size} allows."""

    code = 552
    defaultMessage = "Upload larger than the largest allowed"


class RestPastEnd(FTPError):
    """
    An upload resumed past the end of what it continues (RFC 3659's
    C{554}): writing there would leave a hole, bytes the client never sent
    read back as zeros.
    """

    code = 554
    defaultMessage = ("Requested action not taken: invalid REST parameter"
                      " (past the end of the file)")


class BadArgument(FTPError):
    """A command argument that does not parse."""

    code = 501
    defaultMessage = "Syntax error in parameters or arguments"


class CommandNotImplemented(FTPError):
    """A known command this server or shell does not implement."""

    code = 502
    defaultMessage = "Command not implemented"


class ParameterNotImplemented(FTPError):
    """A known command given a parameter value this server does not support."""

    code = 504
    defaultMessage = "Command not implemented for that parameter"


class UnsupportedNetworkProtocol(FTPError):
    """EPRT or EPSV naming a network protocol other than IPv4 (1) or IPv6 (2)."""

    code = 522
    defaultMessage = "Network protocol not supported, use (1,2)"


class LocalError(FTPError):
    """A failure on the server's side while processing."""

    code = 451
    defaultMessage = "Requested action aborted: local error in processing"


class StorageTimedOut(LocalError):
    """
    A storage call got no answer within its deadline (C{deadline=} of
    C{--realm fsspec:sftp://...}: its connection was dropped, so that a
    late answer cannot pass for the next call's, and the next command
    opens another; of C{s3://...}, or the store's library's own timeout:
    the request was given up). Passing (C{451}): the client may try
    again.
    """

    defaultMessage = "Storage did not answer in time; try again later"


class StorageUnavailable(LocalError):
    """
    The store cannot be reached: its connection is gone and cannot be
    opened again (C{--realm fsspec:sftp://...} whose SSH server is down).
    Passing (C{451}): the client may try again, and the next command
    tries to connect again.
    """

    defaultMessage = "Storage unavailable, try again later"


class ServiceUnavailable(FTPError):
    """
    Something the server needs (a user database, say) does not answer;
    the control connection is closed after the reply.
    """

    code = 421
    defaultMessage = "Service not available, closing control connection"


class CannotOpenDataConnection(FTPError):
    """No data connection could be made."""

    code = 425
    defaultMessage = "Can't open data connection"


class OutOfDescriptors(CannotOpenDataConnection):
    """
    A data connection or passive listener could not be made: the process
    (or the system) has no descriptor for it (C{EMFILE}, C{ENFILE}).
    Passing, so the client is told to try again later.
    """

    defaultMessage = "Too many open files on the server; try again later"


class LocalOutOfDescriptors(OutOfDescriptors):
    """
    A file or directory could not be opened, or anything else the server
    does on its own side (not a data connection): the process (or the
    system) has no descriptor for it. A local error (C{451}), as for any
    command that reads or writes files: C{425} says the data connection
    failed, which it did not. Still an L{OutOfDescriptors}, for code
    that catches those.
    """

    code = 451


class TransferAborted(FTPError):
    """The data connection broke or was aborted mid-transfer."""

    code = 426
    defaultMessage = "Connection closed; transfer aborted"


class UnsupportedAvatarInterface(NotImplementedError):
    """
    A realm was asked for an avatar interface other than
    L{ftpkit.interfaces.IFTPShell}. A C{NotImplementedError}, since that is
    how L{twisted.cred.portal.IRealm.requestAvatar} says a realm does not
    provide an interface; the server treats it as a failed login.
    """


NO_DESCRIPTOR_ERRNOS = frozenset([errno.EMFILE, errno.ENFILE])
"""Errors saying the process (or the system) has no descriptor left."""

_ERRNO_MAP = {
    errno.ENOENT: NoSuchFile,
    errno.EACCES: PermissionDenied,
    errno.EPERM: PermissionDenied,
    errno.EROFS: PermissionDenied,
    errno.EISDIR: IsDirectory,
    errno.ENOTDIR: NotDirectory,
    errno.EEXIST: AlreadyExists,
    errno.ENOTEMPTY: DirectoryNotEmpty,
    errno.ENAMETOOLONG: InvalidPath,
    errno.EINVAL: InvalidPath,
    errno.ELOOP: PermissionDenied,
    # Opening a FIFO nobody reads for writing (without blocking): not a
    # file one may write.
    errno.ENXIO: PermissionDenied,
    errno.ENOSPC: InsufficientStorage,
    errno.EDQUOT: QuotaExceeded,
    errno.EFBIG: QuotaExceeded,
    **dict.fromkeys(NO_DESCRIPTOR_ERRNOS, LocalOutOfDescriptors),
}


def isOutOfDescriptors(error):
    """
    @param error: an exception a command raised.
    @return: whether it says the process (or the system) has no descriptor
        left: an L{OutOfDescriptors}, or an C{OSError} with C{EMFILE} or
        C{ENFILE} that a shell let through untranslated.
    """
    return isinstance(error, OutOfDescriptors) or (
        isinstance(error, OSError) and error.errno in NO_DESCRIPTOR_ERRNOS)


_MESSAGES = {
    # The disk remounted read-only (after errors, often): not the
    # permissions an operator would check on reading "Permission denied".
    errno.EROFS: "Read-only file system",
    # A path past the system's limit (an upload's temporary name beside
    # its target takes it there first): not a name with something
    # forbidden in it, and what a path too long for the client gets.
    errno.ENAMETOOLONG: "File name too long",
}
"""The text of the reply for the errors whose class's generic text would
send the reader the wrong way."""


def fromOSError(error):
    """
    Translate an C{OSError} into the matching L{FTPError}.

    The message never contains host paths: only the generic text (or, for
    a few errors, the system's own short text: L{_MESSAGES}).

    @param error: the C{OSError} raised by a filesystem call.
    @return: an L{FTPError} instance (L{LocalError} for unknown errnos).
    """
    return _ERRNO_MAP.get(error.errno, LocalError)(
        _MESSAGES.get(error.errno))
