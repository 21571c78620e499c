"""
The room an upload of a L{ftpkit.shells.memory.MemoryShell} may take
beside the shell's C{maxBytes}: the bytes its commit frees (the file it
replaces, the part of it a resume writes over), as the disk's quotas
count them (L{ftpkit.shells.quotauploads}), so that an upload fits if
the file it leaves does (L{ftpkit.shells.memorytree.Budget.fits}). A
file a download reads frees nothing: it stays held once replaced.
"""

from ftpkit.errors import FTPError
from ftpkit.shells.memorytree import FileNode


def fileAt(parentOf, path):
    """
    @param parentOf: gives the L{ftpkit.shells.memorytree.DirectoryNode}
        holding a path, or raises an L{FTPError}.
    @param path: a non-empty tuple of segments.
    @return: the L{FileNode} at C{path}, or C{None} where there is none.
    """
    try:
        node = parentOf(path).children.get(path[-1])
    except FTPError:
        return None
    return node if isinstance(node, FileNode) else None


def replacedBy(parentOf, targetOf, path):
    """
    @param parentOf: see L{fileAt}.
    @param targetOf: gives the path of the file that a file on its way
        to another name replaces once renamed (C{path -> path or None}),
        or C{None}.
    @param path: a file's path.
    @return: the bytes that file frees (its target's, which no download
        reads), or 0.
    """
    if targetOf is None:
        return 0
    target = targetOf(path)
    node = None if target is None else fileAt(parentOf, target)
    return 0 if node is None or node.readers else node.content.size


def freedBy(parentOf, targetOf, path, offset, append, continued):
    """
    The bytes an upload's commit would free now: those of the file it
    replaces, or, written in place, of the part past its offset of the
    file it continues (none once another file took its name), and those
    its file frees once renamed (L{replacedBy}).

    @param parentOf: see L{fileAt}.
    @param targetOf: see L{replacedBy}.
    @param path: the upload's path.
    @param offset: the byte it started at.
    @param append: whether it is appended.
    @param continued: the node at C{path} when it started, or C{None}.
    @return: a number of bytes.
    """
    node = fileAt(parentOf, path)
    freed = 0
    if node is not None and not node.readers and (
            node is continued or not (offset or append)):
        size = node.content.size
        freed = 0 if append else size - min(offset, size)
    return freed + replacedBy(parentOf, targetOf, path)
