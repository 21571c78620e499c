"""
Narrowing the masks of the C{perm} fact
(L{ftpkit.interfaces.IFTPShellPermitted}) a wrapped shell gives, for the
wrappers that provide it: L{narrowed} for one entry, L{narrowedIn} for
a directory's entries.
"""

from ftpkit.interfaces import IFTPShellPermitted


def narrowed(shell, path, mask):
    """
    @param shell: the wrapped shell.
    @param path: a tuple of segments.
    @param mask: what the wrapper allows at C{path}.
    @return: C{mask}, less what C{shell} does not allow there (where it
        tells).
    """
    if IFTPShellPermitted.providedBy(shell):
        return mask & shell.permitted(path)
    return mask


def narrowedIn(shell, path, mask, exceptions=None):
    """
    @param shell: the wrapped shell.
    @param path: a tuple of segments naming a directory.
    @param mask: what the wrapper allows its entries.
    @param exceptions: a C{dict} from the names of the entries the wrapper
        allows otherwise to what it allows them, or C{None}.
    @return: C{(mask, exceptions)} (see
        L{ftpkit.interfaces.IFTPShellPermitted.permittedIn}): the
        wrapper's, less what C{shell} does not allow (where it tells).
    """
    exceptions = exceptions or {}
    if not IFTPShellPermitted.providedBy(shell):
        return mask, dict(exceptions)
    inner, innerExceptions = shell.permittedIn(path)
    return mask & inner, {
        name: (exceptions.get(name, mask) & innerExceptions.get(name, inner))
        for name in set(exceptions) | set(innerExceptions)}
