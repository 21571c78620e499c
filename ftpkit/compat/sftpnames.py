"""
A directory of an SFTP server read with its names as the server gives
them (L{readDirectory}): paramiko decodes each name of a C{READDIR}
reply as strict UTF-8, so one name that is not (a file another program
made as C{b"bad\\xff"}) failed the whole listing with C{UnicodeError},
and every C{LIST}, C{NLST}, C{MLSD} and C{STAT} of its directory got
C{550}. Here a name is decoded with C{surrogateescape}, as Python
decodes a name read from the local disk, so that it is listed as the
disk realm lists it (its bytes as they are).

This reads paramiko's C{SFTPClient._request}, C{_async_request} and
C{_read_response} (private: paramiko's own C{listdir_iter} makes the
same requests through them) and C{SFTPAttributes._from_msg}. Fallback,
without them: fsspec's listing, names decoded strictly, and an
undecodable name fails the listing as before.
C{tests/integration/test_compat_fsspec.py} checks these names against
the installed paramiko. paramiko, an optional dependency, is imported
only when a directory is read.
"""

from collections import deque


def wireName(text):
    """
    @param text: a name or path as ftpkit holds it (decoded UTF-8 with
        C{surrogateescape}).
    @return: its bytes on the wire.
    """
    return text.encode("utf-8", "surrogateescape")


def textName(raw):
    """
    @param raw: a name as an SFTP server sent it.
    @return: it as ftpkit holds a name (see L{wireName}).
    """
    return raw.decode("utf-8", "surrogateescape")


READ_AHEADS = 50
"""C{READDIR} requests kept in flight while a directory is read, as
paramiko's C{listdir_iter}, which fsspec's listing used, keeps them: a
large directory costs a round trip per 50 of the server's batches, not
one per batch."""


def readDirectory(sftp, path):
    """
    The entries of a directory (blocking), C{.} and C{..} left out.

    @param sftp: paramiko's C{SFTPClient}.
    @param path: the directory's absolute path.
    @return: a list of paramiko C{SFTPAttributes}, each C{filename} a
        name as L{textName} gives it; C{None} where C{sftp} lacks the
        private names read (then fsspec's listing is the one to read).
    @raise OSError: as paramiko's C{listdir_attr} raises it.
    """
    from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_OPENDIR
    from paramiko.sftp_attr import SFTPAttributes

    request = getattr(sftp, "_request", None)
    unpack = getattr(SFTPAttributes, "_from_msg", None)
    if not (callable(request) and callable(unpack)
            and callable(getattr(sftp, "_async_request", None))
            and callable(getattr(sftp, "_read_response", None))):
        return None
    kind, message = request(CMD_OPENDIR, wireName(path))
    if kind != CMD_HANDLE:
        raise OSError(f"SFTP server answered OPENDIR with message {kind}")
    handle = message.get_binary()
    entries = []
    for message in _batches(sftp, handle):
        for _ in range(message.get_int()):
            name = textName(message.get_string())
            longname = textName(message.get_string())
            attributes = unpack(message, name, longname)
            if name not in (".", ".."):
                entries.append(attributes)
    request(CMD_CLOSE, handle)
    return entries


def _batches(sftp, handle):
    """
    Read a directory's batches, L{READ_AHEADS} requests in flight, each
    answer awaited in the order sent (an SFTP server answers in order:
    paramiko's C{listdir_iter} takes them so too). The requests still in
    flight once one failed are answered later, and those answers dropped,
    by paramiko's next request.

    @param sftp: paramiko's C{SFTPClient}.
    @param handle: the directory's handle.
    @return: an iterator of the C{NAME} answers' messages, each read past
        its request number.
    @raise OSError: as paramiko raises it for an error status.
    """
    from paramiko.sftp import CMD_NAME, CMD_READDIR

    sent = deque()
    ended = False
    while True:
        while not ended and len(sent) < READ_AHEADS:
            sent.append(sftp._async_request(type(None), CMD_READDIR, handle))
        if not sent:
            return
        try:
            kind, message = sftp._read_response(sent.popleft())
        except EOFError:
            ended = True
            continue
        if kind != CMD_NAME:
            raise OSError(f"SFTP server answered READDIR with message {kind}")
        yield message


def realPath(sftp, path):
    """
    The server's C{REALPATH} of a path (blocking), as paramiko's
    C{normalize} asks it, but its answer decoded as L{textName} decodes
    a name: paramiko's decoded it strictly, and a path through a
    directory whose name is not UTF-8 failed with C{UnicodeError}.

    @param sftp: paramiko's C{SFTPClient}.
    @param path: an absolute path.
    @return: the real path the server gives.
    @raise OSError: as paramiko's C{normalize} raises it.
    """
    from paramiko.sftp import CMD_NAME, CMD_REALPATH

    request = getattr(sftp, "_request", None)
    if not callable(request):
        real = sftp.normalize(wireName(path))
        return textName(real) if isinstance(real, bytes) else real
    kind, message = request(CMD_REALPATH, wireName(path))
    if kind != CMD_NAME or message.get_int() != 1:
        raise OSError(f"SFTP server answered REALPATH with message {kind}")
    return textName(message.get_string())


def readLink(sftp, path):
    """
    The text of a symbolic link (blocking), as paramiko's C{readlink}
    gives it, but as text always (paramiko gives C{bytes} for a text
    that is not UTF-8).

    @param sftp: paramiko's C{SFTPClient}.
    @param path: the link's absolute path.
    @return: its text, or C{None} where the server gives none.
    @raise OSError: as paramiko's C{readlink} raises it.
    """
    text = sftp.readlink(wireName(path))
    return textName(text) if isinstance(text, bytes) else text
