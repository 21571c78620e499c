"""
Whether inotify sees every change made to the file system a descriptor
is on (L{isLocal}): its type, from C{fstatfs} through C{ctypes}, is one of
L{LOCAL_TYPES}; not a network or FUSE file system, where another machine
or process changes what this kernel does not hear of, nor one it cannot
tell.
"""

import ctypes

LOCAL_TYPES = {
    0xEF53: "ext2/ext3/ext4",
    0x58465342: "xfs",
    0x9123683E: "btrfs",
    0x01021994: "tmpfs",
    0x858458F6: "ramfs",
    0xF2F52010: "f2fs",
    0x3153464A: "jfs",
    0x52654973: "reiserfs",
    0x2FC12FC1: "zfs",
    0xCA451A4E: "bcachefs",
    0x4D44: "vfat",
    0x2011BAB0: "exfat",
    0x482B: "hfsplus",
}
"""File systems (C{statfs}'s C{f_type}) whose every change goes through
this machine's kernel."""

_STATFS_SIZE = 256
"""Room for a C{struct statfs} (120 bytes on 64-bit Linux)."""


def _fstatfs():
    """
    @return: the C library's C{fstatfs}, or C{None} where it has none.
    """
    try:
        function = ctypes.CDLL(None).fstatfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p]
    return function


_call = _fstatfs()


def fileSystemType(fd):
    """
    @param fd: a descriptor.
    @return: the type of the file system it is on (C{f_type}, the first
        field of C{struct statfs}, a C{long}), or C{None} where it cannot
        be read.
    """
    if _call is None:
        return None
    buffer = ctypes.create_string_buffer(_STATFS_SIZE)
    if _call(fd, buffer) != 0:
        return None
    return ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF


def isLocal(fd):
    """
    @param fd: a descriptor.
    @return: whether the file system it is on is one of L{LOCAL_TYPES}.
    """
    return fileSystemType(fd) in LOCAL_TYPES
