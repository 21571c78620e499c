"""
What a store of fsspec holds under a path, as its quotas count it: the
bytes of its files (and, for C{memory://}, of their keys) and its entries.
"""

import errno

from ftpkit.compat.fsspecnames import stripProtocol
from ftpkit.errors import QuotaExceeded


def keyBytes(key):
    """
    @param key: the path a store keeps for an entry (fsspec's
        C{memory://} keeps each file's and directory's full path).
    @return: the bytes it costs: its length in UTF-8.
    """
    return len(key.encode("utf-8", "surrogatepass"))


def footprint(fs, where, withKeys=False):
    """
    @param fs: the filesystem.
    @param where: the path on C{fs} measured.
    @param withKeys: count each entry's key (L{keyBytes}) among the bytes.
    @return: the L{ftpkit.shells.quotas.Footprint} of what is stored under
        C{where} (blocking): the bytes of its files (and keys, with
        C{withKeys}), and its entries (files, and directories where the
        store has them); nothing when nothing is there yet. The temporary
        files of uploads in progress
        (L{ftpkit.shells.fsspectemporaries.TEMPORARY_PREFIX}) are left
        out: the quotas count their bytes in flight
        (L{ftpkit.shells.quotas.QuotaUsage.inFlight}), and the file an
        upload makes once complete. Counted here as well, a measurement
        while an upload ran counted its bytes twice, and kept them so
        once it was complete (its commit adds them).
    """
    from ftpkit.shells.fsspectemporaries import TEMPORARY_PREFIX
    from ftpkit.shells.quotas import Footprint

    try:
        found = fs.find(where, withdirs=True, detail=True)
    except FileNotFoundError:
        found = {}
    except OSError as e:
        if e.errno != errno.ENAMETOOLONG:
            raise
        # A directory renamed into another past what the system names
        # (file://): as on the disk realm, refused rather than a failed
        # measurement (451 and a traceback at every upload).
        raise QuotaExceeded(
            "Exceeded storage allocation: paths too long to be measured;"
            " move deep directories up") from None
    top = stripProtocol(fs, where).rstrip("/")
    counted = [name.rstrip("/") for name in found]
    counted = [name for name in counted if name != top
               and not name.rpartition("/")[2].startswith(TEMPORARY_PREFIX)]
    entries = [found.get(name, found.get(name + "/")) for name in counted]
    keys = sum(map(keyBytes, counted)) if withKeys else 0
    return Footprint(
        keys + sum(int(info.get("size") or 0) for info in entries
                   if info.get("type") == "file"),
        len(entries))
