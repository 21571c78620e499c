"""
What an fsspec entry (an item of C{fs.ls(detail=True)}, or C{fs.info}) is
to an FTP client: its kind (L{kindOf}) and its L{FileInfo} (L{describe}),
for L{ftpkit.shells.fsspecshell.FsspecShell}. Pure.
"""

import hashlib
import stat

from ftpkit.fileinfo import DIRECTORY, FILE, LINK, OTHER, FileInfo, specialOf

_KINDS = {"directory": DIRECTORY, "file": FILE, "link": LINK,
          "other": OTHER}
"""Our kinds of fsspec's types; C{"other"} is what C{file://} says of a
FIFO, a socket or a device."""


def kindOf(detail):
    """
    @param detail: an fsspec entry.
    @return: its kind: L{DIRECTORY}, L{LINK}, L{OTHER}, or L{FILE} (also
        for a type fsspec names that is none of those).
    """
    return _KINDS.get(detail.get("type"), FILE)


def describe(backend, fs, detail):
    """
    Turn an fsspec entry into a L{FileInfo}.

    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend}.
    @param fs: the filesystem.
    @param detail: an entry of C{fs.ls(detail=True)} or C{fs.info}.
    @return: the L{FileInfo}.
    """
    kind = kindOf(detail)
    mode = detail.get("mode")
    special = ""
    if isinstance(mode, int):
        if kind == OTHER:
            special = specialOf(mode)
        mode = stat.S_IMODE(mode)
    else:
        mode = 0o755 if kind == DIRECTORY else 0o644
    name = detail.get("name", "").rstrip("/")
    return FileInfo(
        kind=kind,
        # A link's size is its own length (its text's), as the disk
        # realm gives it.
        size=int(detail.get("size") or 0) if kind in (FILE, LINK) else 0,
        mtime=backend.mtimeOf(fs, detail),
        mode=mode,
        nlink=2 if kind == DIRECTORY else 1,
        unique=hashlib.blake2b(name.encode("utf-8", "surrogateescape"),
                               digest_size=8).hexdigest(),
        special=special,
        target=_textOf(detail.get("destination")) if kind == LINK else None,
    )


def _textOf(destination):
    """
    @param destination: a link entry's C{"destination"} (its text, where
        the filesystem tells it: fsspec's C{file://} does), or C{None}.
    @return: it as L{FileInfo.target}: text, or C{None}.
    """
    if isinstance(destination, bytes):
        return destination.decode("utf-8", "surrogateescape")
    return destination if isinstance(destination, str) else None
