"""
Who left a partial upload (blocking functions, run in disk threads): its
I{resumer}, the one a cut upload was made for (a user name, or an
anonymous client's address: L{ftpkit.control.handlers.login}), recorded on
the file itself as an extended attribute (L{RESUMER_ATTRIBUTE}), so that
every process serving the root (C{--workers}, servers on one shared
directory) sees it, and it goes with the file through every rename. It
is recorded when the upload opens its temporary file
(L{ftpkit.shells.diskuploads}), so that a partial upload the start-up
sweep makes of a crashed upload's file is its uploader's, and again when
the upload is cut (a file with no name gets its name then). Only
its resumer sees a partial upload (C{SIZE}) and continues it; the rule is
in L{ftpkit.shells.uploads}.
"""

import os

RESUMER_ATTRIBUTE = b"user.ftpkit.resumer"
"""The extended attribute naming a partial upload's resumer."""


def recordResumer(fd, resumer):
    """
    Record who may resume the file C{fd} is open on. On a file system
    without user extended attributes nothing is recorded, and the partial
    upload is anyone's (L{mayResume}).

    @param fd: the descriptor of an upload's file: opened, or about to
        be kept as a partial upload.
    @param resumer: its resumer (C{str}), or C{None} to leave what the
        file records as it is.
    """
    if resumer is None:
        return
    try:
        os.setxattr(fd, RESUMER_ATTRIBUTE,
                    resumer.encode("utf-8", "surrogateescape"))
    except OSError:
        pass


def resumerOf(file):
    """
    @param file: a partial upload's descriptor, or its path (C{bytes}; a
        link is not followed).
    @return: its resumer (C{str}), or C{None} where none is recorded (one kept
        before resumers were recorded, or crashed before they were
        recorded at its start; a file system without user extended
        attributes).
    """
    try:
        if isinstance(file, int):
            value = os.getxattr(file, RESUMER_ATTRIBUTE)
        else:
            value = os.getxattr(file, RESUMER_ATTRIBUTE,
                                follow_symlinks=False)
    except OSError:
        return None
    return value.decode("utf-8", "surrogateescape")


def mayResume(recorded, resumer):
    """
    @param recorded: the resumer a partial upload records (L{resumerOf}),
        or C{None}.
    @param resumer: who asks (C{str}), or C{None} for a shell that acts
        for nobody in particular (one not made with
        L{ftpkit.interfaces.IFTPShellResumeOwners.forResumer}).
    @return: whether C{resumer} sees and continues it: its own, one that
        records nobody, and any for who asks as nobody.
    """
    return recorded is None or resumer is None or recorded == resumer
