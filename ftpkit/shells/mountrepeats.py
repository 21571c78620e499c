"""
Whether a walk of a tree may reach one directory twice (L{mayRepeat}),
by the mount table (C{/proc/self/mountinfo}): only through a mount below
the tree showing a directory of a file system that the walk also shows
another way, as a bind mount of one of the tree's own directories (or of
an ancestor) does. Hard links to directories do not exist, and a walk
follows no symbolic link.

The walks of L{ftpkit.shells.partialsweep} look at each directory's
identity (an C{lstat}) only where the table says it may repeat: the
look costs a walk of 60,000 directories about half as long again
(C{docs/benchmark-investigations.rst}, bench-roomwalk-55), and most
trees hold no such mount.
"""

from ftpkit.shells.shortcalls import MOUNTINFO, isBelow, unescapeMountPath


def parseMountRoots(text):
    """
    @param text: the contents of C{/proc/self/mountinfo}, C{bytes}.
    @return: C{(mountPoint, device, root)} triples (C{bytes}), in the
        table's order: where each is mounted, its file system's
        C{major:minor}, and the directory of that file system it shows
        (C{/} but for a bind mount); lines it cannot read are left out.
    """
    mounts = []
    for line in text.splitlines():
        fields = line.split(b" ")
        if len(fields) < 5:
            continue
        mounts.append((unescapeMountPath(fields[4]), fields[2],
                       unescapeMountPath(fields[3])))
    return mounts


def readMountRoots(path=MOUNTINFO):
    """
    @param path: the mount table.
    @return: the triples of L{parseMountRoots}, or C{[]} when there is no
        such table (not Linux).
    """
    try:
        with open(path, "rb") as table:
            return parseMountRoots(table.read())
    except OSError:
        return []


def _shown(mounts, root):
    """
    @param mounts: the triples of L{parseMountRoots}.
    @param root: a walk's directory, its real absolute path, C{bytes}.
    @return: C{(device, directory)} of what a walk of C{root} shows: the
        file system holding C{root} from C{root} down, and each file
        system mounted below it from the directory it shows down.
    """
    holding, depth, shown = None, -1, []
    for point, device, top in mounts:
        if isBelow(root, point):
            if len(point) >= depth:
                # The last mount on the longest matching point is the one
                # on top.
                holding, depth = (point, device, top), len(point)
        elif isBelow(point, root):
            shown.append((device, top))
    if holding is not None:
        point, device, top = holding
        rest = root if point == b"/" else root[len(point):]
        shown.append((device, top.rstrip(b"/") + rest or b"/"))
    return shown


def mayRepeat(mounts, root):
    """
    @param mounts: the triples of L{parseMountRoots}.
    @param root: a walk's directory, its real absolute path, C{bytes}.
    @return: whether a walk of C{root} may reach a directory twice: two
        of the parts it shows (L{_shown}) are of one file system, one
        inside the other. A mount hidden under another one counts as
        shown (a walk then looks at each directory, needlessly).
    """
    shown = _shown(mounts, root)
    for index, (device, directory) in enumerate(shown):
        for otherDevice, other in shown[index + 1:]:
            if device == otherDevice and (isBelow(directory, other)
                                          or isBelow(other, directory)):
                return True
    return False
