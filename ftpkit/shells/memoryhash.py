"""
The checksums of L{ftpkit.shells.memory.MemoryShell.hash}: a small range
at once, a large one in a thread, the file read counted as a download
counts it until the checksum ends.
"""

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

HASH_AT_ONCE = 1 << 20
"""The most bytes L{MemoryShell.hash} checksums in the reactor's thread;
past it, a thread does (C{hashlib} lets go of the GIL meanwhile)."""


def _checksum(toHash):
    """
    Checksum bytes: at once when they are few, else in a thread.

    @param toHash: the digest object, the
        L{ftpkit.shells.memorycontent.Content} snapshot and the range
        to checksum in it.
    @return: the hex digest, or a Deferred firing with it.
    """
    digest, content, start, end = toHash
    if min(end, content.size) - start <= HASH_AT_ONCE:
        return _hexdigest(digest, content, start, end)
    return deferToThread(_hexdigest, digest, content, start, end)


def _checksummed(result, node, budget):
    """
    A checksum in a thread ended: its node is read no longer.

    @param result: the hex digest, or a failure.
    @param node: the L{FileNode} checksummed.
    @param budget: the shell's L{ftpkit.shells.memorytree.Budget}.
    @return: C{result}.
    """
    node.closed(budget)
    return result


def _hexdigest(digest, content, start, end):
    """
    @param digest: the digest object.
    @param content: a L{ftpkit.shells.memorycontent.Content} snapshot.
    @param start: the first byte to checksum.
    @param end: the offset past the last byte to checksum.
    @return: the hex digest of C{digest} updated with those bytes.
    """
    for piece in content.pieces(start, end):
        digest.update(piece)
    return digest.hexdigest()


def checksumRead(toHash, budget):
    """
    Checksum (L{_checksum}) a file's snapshot, its node counted as read
    until the checksum ends: a file removed or replaced meanwhile stays
    counted in the shell's C{maxBytes} while a thread still reads it.

    @param toHash: the file's L{ftpkit.shells.memorytree.FileNode}, then
        what L{_checksum} takes.
    @param budget: the shell's L{ftpkit.shells.memorytree.Budget}.
    @return: what L{_checksum} returns, a Deferred when it runs in a
        thread.
    """
    node, toHash = toHash[0], toHash[1:]
    node.opened()
    checksum = _checksum(toHash)
    if isinstance(checksum, Deferred):
        return checksum.addBoth(_checksummed, node, budget)
    node.closed(budget)
    return checksum
