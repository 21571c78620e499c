"""
What a test can see of the uploads a server is writing: their temporary
files, and the files with no name yet (C{O_TMPFILE}, the way a new file is
uploaded, L{ftpkit.shells.uploads.createAnonymous}), which no directory
lists and only the server's descriptors reach (C{/proc/PID/fd}).
"""

import os

from ftpkit.shells import uploads

_NO_NAME = " (deleted)"
"""How C{/proc/PID/fd} shows a file with no name (after its directory
and a C{#} with the inode's number)."""


def uploadSizes(root, pid=None):
    """
    @param root: the served directory, C{str} or C{bytes}.
    @param pid: the server's process id; this process (an in-process
        server) when omitted.
    @return: the sizes of the files the server has open for uploads under
        C{root} not in place yet (temporary files and files with no name),
        a list.
    """
    below = os.path.realpath(os.fsdecode(root)).rstrip("/") + "/"
    prefix = uploads.TEMPORARY_PREFIX.decode()
    descriptors = f"/proc/{'self' if pid is None else pid}/fd"
    sizes = []
    for number in os.listdir(descriptors):
        link = os.path.join(descriptors, number)
        try:
            path = os.readlink(link)
            if not path.startswith(below):
                continue
            name = os.path.basename(path)
            if name.startswith(prefix) or (name.startswith("#")
                                           and path.endswith(_NO_NAME)):
                sizes.append(os.stat(link).st_size)
        except OSError:
            # Closed while looked at.
            continue
    return sizes


def largestUpload(root, pid=None):
    """
    @param root: as for L{uploadSizes}.
    @param pid: as for L{uploadSizes}.
    @return: the size of the largest upload in progress under C{root}, or
        C{None} when there is none.
    """
    return max(uploadSizes(root, pid), default=None)
