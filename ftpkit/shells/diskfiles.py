"""
The open files of L{ftpkit.shells.filesystem.FilesystemShell}, kept as one
import path: the reader is in L{ftpkit.shells.diskreader}, the writer in
L{ftpkit.shells.diskwriter} (what puts its file in place in
L{ftpkit.shells.diskplacing}) and the queue of its writes in
L{ftpkit.shells.diskqueue}.
"""

from ftpkit.shells.diskplacing import placeNew
from ftpkit.shells.diskqueue import (
    HIGH_WATER,
    LOW_WATER,
    SHORT_UPLOAD_SIZE,
    WRITE_CALL_SIZE,
    QueuedWriter,
    writeAll,
)
from ftpkit.shells.diskreader import READ_CHUNK_SIZE, FileReader
from ftpkit.shells.diskwriter import FileWriter
from ftpkit.shells.outcome import PENDING

__all__ = ["READ_CHUNK_SIZE", "HIGH_WATER", "LOW_WATER", "PENDING",
           "WRITE_CALL_SIZE", "SHORT_UPLOAD_SIZE", "writeAll", "FileReader",
           "QueuedWriter", "placeNew", "FileWriter"]
