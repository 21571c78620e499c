"""
L{FileInfo}: what a shell knows about one file, as plain data.

Shells return it; L{ftpkit.protocol.listing} formats it. Nothing here touches disk.
"""

import stat
from dataclasses import dataclass
from typing import Optional

FILE = "file"
DIRECTORY = "dir"
LINK = "link"
OTHER = "other"

FIFO = "fifo"
SOCKET = "socket"
CHARACTER_DEVICE = "chardev"
BLOCK_DEVICE = "blockdev"
"""What an L{OTHER} entry may be (L{FileInfo.special})."""


def kindOf(mode):
    """
    @param mode: an C{os.stat} result's C{st_mode}.
    @return: the kind of L{FileInfo} it describes: L{DIRECTORY}, L{FILE},
        L{LINK} (the result of an C{lstat} of a symbolic link) or
        L{OTHER}.
    """
    if stat.S_ISDIR(mode):
        return DIRECTORY
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISLNK(mode):
        return LINK
    return OTHER


def specialOf(mode):
    """
    @param mode: an C{os.stat} result's C{st_mode}.
    @return: what an L{OTHER} entry of that mode is: L{FIFO}, L{SOCKET},
        L{CHARACTER_DEVICE} or L{BLOCK_DEVICE}; C{""} for any other mode.
    """
    if stat.S_ISFIFO(mode):
        return FIFO
    if stat.S_ISSOCK(mode):
        return SOCKET
    if stat.S_ISCHR(mode):
        return CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return BLOCK_DEVICE
    return ""


@dataclass(frozen=True)
class FileInfo:
    """
    The facts about one directory entry.

    @ivar kind: one of L{FILE}, L{DIRECTORY}, L{LINK} or L{OTHER}. A
        shell describes a symbolic link it follows by what it leads to; a
        L{LINK} is one it does not follow (leading outside the root,
        nowhere, or in a loop): nothing can be read or written through
        it, and its C{perm} fact promises only C{d} and C{f} to a user
        who may delete and rename, so the shell's C{removeFile} and
        C{rename} of it act on the link itself
        (L{ftpkit.protocol.listingfacts.permissions}).
    @ivar size: size in bytes (0 for directories where unknown).
    @ivar mtime: modification time, seconds since the epoch (UTC); or
        C{None} where the store keeps none (a directory that is only a
        key prefix of an object store, or of fsspec's C{memory://}): the
        server then leaves the C{modify} fact out of C{MLSD} and C{MLST},
        answers C{MDTM} with 550, and C{LIST} and C{STAT} show the time
        of the listing (L{ftpkit.protocol.listing.formatListLine}).
    @ivar mode: permission bits, as in C{stat.S_IMODE} (e.g. C{0o644});
        where the shell gives none, C{0o755} for a L{DIRECTORY} and
        C{0o644} for every other kind (a directory shown C{drw-r--r--}
        is one no client may enter, and lftp's C{mirror} made its local
        copy so).
    @ivar nlink: number of hard links.
    @ivar owner: owner name shown in listings (C{LIST}, and the
        C{UNIX.ownername} fact of C{MLSD} and C{MLST}).
    @ivar group: group name shown in listings (C{LIST}, and the
        C{UNIX.groupname} fact).
    @ivar unique: an identifier unique to this file on its shell
        (the MLSD C{unique} fact), e.g. C{"803g1a2b"} from device and inode.
    @ivar special: for an L{OTHER} entry, what it is when known
        (L{specialOf}: L{FIFO}, L{SOCKET}, L{CHARACTER_DEVICE},
        L{BLOCK_DEVICE}), which listings show (C{p}, C{s}, C{c}, C{b} in
        C{LIST}, an C{OS.unix} type in C{MLSD}); C{""} otherwise.
    @ivar access: the read, write and search bits (C{0} to C{0o7}) the
        serving process has on the entry by its mode, where the shell
        tells (the filesystem shell: L{ftpkit.protocol.modeaccess}),
        which the C{perm} fact then shows no more than; C{None} where
        the storage has no such bits.
    @ivar target: for a L{LINK} entry, the link's text as stored (what
        C{os.readlink} gives, what C{ls -l} shows after C{" -> "}), where
        the shell tells; C{None} otherwise, and for every other kind.
        C{LIST} then shows C{name -> target}
        (L{ftpkit.protocol.listing.formatListLine}).
    @ivar uid: the owner's user id, where the storage has one (the
        filesystem shell: C{st_uid}), given as the C{UNIX.owner} fact;
        C{None} otherwise, and the fact is left out.
    @ivar gid: the group's id likewise (C{st_gid}, the C{UNIX.group}
        fact), or C{None}.
    """

    kind: str
    size: int = 0
    mtime: Optional[float] = 0.0
    mode: Optional[int] = None
    nlink: int = 1
    owner: str = "ftp"
    group: str = "ftp"
    unique: str = ""
    special: str = ""
    access: Optional[int] = None
    target: Optional[str] = None
    uid: Optional[int] = None
    gid: Optional[int] = None

    def __post_init__(self):
        """
        Give the entry the mode of its kind where the shell gave none.
        """
        if self.mode is None:
            object.__setattr__(
                self, "mode", 0o755 if self.kind == DIRECTORY else 0o644)

    @property
    def isDirectory(self) -> bool:
        """
        @return: whether this entry is a directory.
        """
        return self.kind == DIRECTORY

    @property
    def isFile(self) -> bool:
        """
        @return: whether this entry is a regular file.
        """
        return self.kind == FILE


@dataclass(frozen=True, init=False)
class FileDescriptor:
    """
    An open file's operating-system descriptor, for the server to move a
    transfer's bytes between it and a data socket inside the kernel (see
    L{ftpkit.interfaces.IDescriptorFile}).

    @ivar fd: the descriptor (the file keeps owning it: the server never
        closes it).
    @ivar offset: a download's first byte, or where an upload's first byte
        goes.
    @ivar size: for a download, the bytes to send from C{offset}; C{None}
        for an upload.
    @ivar run: runs a blocking call that uses C{fd} off the reactor thread:
        C{run(function, *args)} returns a Deferred with its result, failing
        with an L{ftpkit.errors.FTPError}; the file is not closed while
        one runs.
    @ivar commit: for an upload, C{commit(end)}: a blocking call that puts
        the file in place holding the bytes up to C{end} (truncating after
        it, closing, renaming); the server calls it, through C{run}, once
        the last byte is written, and L{ftpkit.interfaces.IWriteFile.close}
        then only reports its outcome. Called through C{runShort}, it may
        raise L{ftpkit.shells.shortcalls.Declined} before it changed
        anything: the server then calls it again through C{run}. C{None}
        for a download.
    @ivar room: for an upload, the most bytes it may bring (what is left
        of a quota), or C{None} for no limit: the server stops one that
        brings more, which then fails with
        L{ftpkit.errors.QuotaExceeded} and is never committed.
    @ivar runShort: C{None}, or, for an upload, a runner for the short
        calls of a small upload (moving at most
        L{ftpkit.data.movers._splicebatch.SHORT_BATCH_SIZE} bytes, and its
        commit), called as C{runShort(function, *args)}: it runs the call
        at once in the calling thread and returns a fired Deferred with its
        outcome when the storage answers such calls at once, else returns
        C{None} without calling it (the server then uses C{run}); see
        L{ftpkit.shells.shortcalls}.
    @ivar device: for a download, the file system holding the file (its
        C{st_dev}), or C{None}: once a file of that device has shown that
        it cannot tell whether its bytes are in memory (tmpfs,
        L{ftpkit.shells.cachedopen.isCached}), no other is asked.
    @ivar makeRoom: for an upload, C{None}, or C{makeRoom(fd)}: a
        blocking call that makes room on the file's file system (dropping
        what the storage may drop: L{ftpkit.shells.diskroom.makeRoom});
        a write into the file that fails with C{ENOSPC} in a disk thread
        calls it, then tries once more.
    """

    fd: int
    offset: int
    size: int = None
    run: object = None
    commit: object = None
    room: int = None
    runShort: object = None
    device: int = None
    makeRoom: object = None

    def __init__(self, fd, offset, size=None, run=None, commit=None,
                 room=None, runShort=None, device=None, makeRoom=None):
        """
        Set the fields, as the dataclass's own C{__init__} would, straight
        into the instance's dictionary: a frozen dataclass's calls
        C{object.__setattr__} once per field, and every download and
        upload makes one of these in the reactor thread.

        @param fd: L{fd}.
        @param offset: L{offset}.
        @param size: L{size}.
        @param run: L{run}.
        @param commit: L{commit}.
        @param room: L{room}.
        @param runShort: L{runShort}.
        @param device: L{device}.
        @param makeRoom: L{makeRoom}.
        """
        values = self.__dict__
        values["fd"] = fd
        values["offset"] = offset
        values["size"] = size
        values["run"] = run
        values["commit"] = commit
        values["room"] = room
        values["runShort"] = runShort
        values["device"] = device
        values["makeRoom"] = makeRoom


@dataclass(frozen=True)
class StorageChange:
    """
    How an operation changed what a storage holds, as a quota counts it
    (L{ftpkit.shells.quotas.Footprint}): differences, negative for what
    went.

    @ivar bytes: the bytes of regular files added.
    @ivar files: the entries (files, directories, links) added.
    """

    bytes: int
    files: int


class HiddenEntries(int):
    """
    How many hidden entries went with a removed directory (an C{int}, what
    L{ftpkit.interfaces.IFTPShell.removeDirectory} fires with) or file
    (the cut uploads of its name L{ftpkit.interfaces.IFTPShell.removeFile}
    removed), also telling their bytes, so that a quota can take them off
    instead of measuring its home again.

    @ivar bytes: the bytes of the regular files among them.
    @ivar fileGone: for a file's removal, whether the file itself was
        there and went (not when a cut upload was all there was).
    """

    def __new__(cls, count, size, fileGone=True):
        """
        @param count: how many went.
        @param size: their bytes.
        @param fileGone: see L{fileGone}.
        """
        entries = int.__new__(cls, count)
        entries.bytes = size
        entries.fileGone = fileGone
        return entries
