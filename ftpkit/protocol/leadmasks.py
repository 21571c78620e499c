"""
The masks of the C{perm} fact (L{ftpkit.interfaces.IFTPShellPermitted})
of a path and of a directory's entries, narrowed by the masks where they
lead once their symbolic links are followed
(L{ftpkit.interfaces.IFTPShellResolve}): a shell whose rules differ from
place to place (a users file's C{directories}) checks every change both
at the path named and where it leads
(L{ftpkit.shells.permissions.PermissionShell}), so a link in a
directory the user may change, leading into one the user may only read,
may not be renamed, removed or written through. The facts of C{MLST} and
C{MLSD} and C{RNFR}'s early answer (L{ftpkit.protocol.access.mayRename})
all ask here, so that the letters shown are what the server allows.

Pure: no reactor; the shell's Deferreds are awaited.
"""

from ftpkit.interfaces import IFTPShellPermitted, IFTPShellResolve


def rulesDiffer(shell):
    """
    Tell whether a path's mask may differ from the mask where it leads:
    the shell tells both masks and links, and its masks are not the same
    everywhere (its root's entries have exceptions: a users file's rule
    for a directory names the root's entry holding it). Where they are
    the same everywhere, nothing is resolved, which would cost a call to
    the storage for each listing.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @return: a C{bool}.
    """
    return (IFTPShellPermitted.providedBy(shell)
            and IFTPShellResolve.providedBy(shell)
            and bool(shell.permittedIn(())[1]))


def _intersected(first, second):
    """
    @param first: C{(mask, exceptions)}, as
        L{ftpkit.interfaces.IFTPShellPermitted.permittedIn} gives them.
    @param second: the same, of another directory.
    @return: the masks an entry is allowed by both.
    """
    mask, exceptions = first
    otherMask, otherExceptions = second
    return mask & otherMask, {
        name: exceptions.get(name, mask) & otherExceptions.get(name, otherMask)
        for name in set(exceptions) | set(otherExceptions)}


async def permittedThere(shell, path):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShellPermitted}.
    @param path: a tuple of segments.
    @return: a coroutine giving the mask of the entry at C{path}, less
        what is not allowed where it leads (L{rulesDiffer}).
    """
    mask = shell.permitted(path)
    if not rulesDiffer(shell):
        return mask
    leads = await shell.resolve(path)
    if leads is None or leads == tuple(path):
        return mask
    return mask & shell.permitted(leads)


def _now(function, *args):
    """
    @return: C{function(*args)}.
    """
    return function(*args)


async def permittedThereIn(shell, path, listingCall=_now):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShellPermitted}.
    @param path: a tuple of segments naming a directory.
    @param listingCall: called with the shell's C{linkTargets} and
        C{path}, for its Deferred: a session's turn at listing calls
        (L{ftpkit.control.turns}), since it reads the directory.
    @return: a coroutine giving C{(mask, exceptions)}, as
        L{ftpkit.interfaces.IFTPShellPermitted.permittedIn} gives them,
        less what is not allowed where the directory leads and, for each
        entry that is a link, where it leads (L{rulesDiffer}).
    """
    masks = shell.permittedIn(path)
    if not rulesDiffer(shell):
        return masks
    leads = await shell.resolve(path)
    if leads is not None and leads != tuple(path):
        masks = _intersected(masks, shell.permittedIn(leads))
    mask, exceptions = masks[0], dict(masks[1])
    targets = await listingCall(shell.linkTargets, path)
    for name, target in targets.items():
        if target is not None:
            exceptions[name] = (exceptions.get(name, mask)
                                & shell.permitted(target))
    return mask, exceptions
