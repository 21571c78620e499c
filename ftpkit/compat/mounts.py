"""
Which file system a device holds, from C{/proc/self/mountinfo}
(L{fileSystemTypes}, a pure function), and whether inotify sees every
change made to it (L{LOCAL_TYPES}): not on a network or FUSE file
system, where another machine or process changes what Linux does not
hear of.
"""

import os

LOCAL_TYPES = frozenset([
    "ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "f2fs", "jfs",
    "reiserfs", "zfs", "bcachefs", "vfat", "exfat", "hfsplus",
])
"""File systems whose every change goes through this machine's kernel."""

MOUNTINFO = "/proc/self/mountinfo"


def fileSystemTypes(text):
    """
    @param text: the text of C{/proc/self/mountinfo}.
    @return: a C{dict} from C{(major, minor)} device numbers to the type
        of the file system mounted from it (the last mount listed, when a
        device is mounted more than once).
    """
    types = {}
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:] or len(fields) < 3:
            continue
        major, _, minor = fields[2].partition(":")
        try:
            device = (int(major), int(minor))
        except ValueError:
            continue
        types[device] = fields[fields.index("-", 6) + 1:][:1]
    return {device: kind[0] for device, kind in types.items() if kind}


def isLocalDevice(device, path=MOUNTINFO):
    """
    @param device: an C{st_dev}.
    @param path: the mount table read.
    @return: whether the file system of C{device} is one of
        L{LOCAL_TYPES}; C{False} where the mount table cannot be read or
        does not list it (a btrfs subvolume's own device among them).
    """
    try:
        with open(path) as table:
            types = fileSystemTypes(table.read())
    except OSError:
        return False
    return types.get((os.major(device), os.minor(device))) in LOCAL_TYPES
