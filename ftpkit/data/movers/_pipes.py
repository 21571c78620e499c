"""
The pipes that uploads are spliced through (L{ftpkit.data.movers._splice}):
a pool of empty ones kept for the next uploads, given back to the system
when the process runs short of descriptors. Reactor thread only. Private
to L{ftpkit.data.movers}.
"""

import fcntl
import os

from ftpkit.data.descriptors import keepsIdle

PIPE_SIZE = 1 << 20
"""Bytes a splice pipe is asked to hold (one C{splice} call's worth)."""

_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def openPipe():
    """
    @return: C{(readFD, writeFD)} of a new close-on-exec pipe, enlarged to
        L{PIPE_SIZE} where the system allows.
    """
    readFD, writeFD = os.pipe2(os.O_CLOEXEC)
    try:
        fcntl.fcntl(writeFD, _F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass  # Over /proc/sys/fs/pipe-max-size: the default size works.
    return readFD, writeFD


_IDLE_PIPES_KEPT = 32
"""Empty pipes kept for the next uploads (see L{takePipe})."""

_idlePipes = []


def takePipe():
    """
    A pipe for one upload: an empty one left by an earlier upload, else a
    new one (L{openPipe}): creating, enlarging and closing a pipe is a
    visible share of a small upload. Reactor thread only.

    @return: C{(readFD, writeFD)}.
    """
    if _idlePipes:
        return _idlePipes.pop()
    return openPipe()


def releasePipe(pipe, empty):
    """
    Give back a pipe from L{takePipe}: kept for the next upload when it is
    known to be empty (no batch failed while bytes were in it), closed
    otherwise or when enough are kept already. Reactor thread only.

    @param pipe: C{(readFD, writeFD)}.
    @param empty: whether it holds no bytes.
    """
    if empty and len(_idlePipes) < _IDLE_PIPES_KEPT:
        _idlePipes.append(pipe)
        return
    for fd in pipe:
        os.close(fd)


def dropIdlePipes():
    """
    Close the pipes kept for the next uploads: the process runs short of
    descriptors (L{ftpkit.data.descriptors.releaseIdle}), and each holds
    two. Reactor thread only.

    @return: the descriptors closed.
    """
    pipes = _idlePipes[:]
    del _idlePipes[:]
    for pipe in pipes:
        for fd in pipe:
            os.close(fd)
    return 2 * len(pipes)


keepsIdle(dropIdlePipes)
