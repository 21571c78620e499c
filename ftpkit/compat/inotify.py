"""
Linux's inotify through C{ctypes}: L{Inotify} opens a non-blocking
descriptor, adds and removes watches, and reads the events queued
(L{parseEvents}, a pure function). Where the C library has no inotify
(not Linux), L{Inotify} raises L{OSError} when made.
"""

import ctypes
import errno
import os
import struct

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000

IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = getattr(os, "O_CLOEXEC", 0o2000000)

_HEADER = struct.Struct("iIII")
"""C{struct inotify_event} without its name: wd, mask, cookie, len."""

_READ_SIZE = 64 * 1024
"""The bytes read at a time: hundreds of events."""


def parseEvents(data):
    """
    Split what a read of an inotify descriptor gave into its events.

    @param data: the bytes read (whole events, as the kernel gives them).
    @return: a list of C{(wd, mask, cookie, name)}, C{name} the bytes of
        the entry's name (its NUL padding removed), C{b""} for an event on
        the watched object itself.
    """
    events = []
    offset, end = 0, len(data)
    while offset + _HEADER.size <= end:
        wd, mask, cookie, length = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        name = data[offset:offset + length].split(b"\0", 1)[0]
        offset += length
        events.append((wd, mask, cookie, name))
    return events


def _libc():
    """
    @return: the C library, its inotify functions typed.
    @raise OSError: where it has none.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p,
                                           ctypes.c_uint32]
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    except AttributeError:
        raise OSError(errno.ENOSYS, "no inotify in this C library")
    return libc


def _checked(result):
    """
    @param result: what a C call returned.
    @return: C{result}.
    @raise OSError: with C's C{errno} when it is negative.
    """
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result


class Inotify:
    """
    An inotify descriptor, non-blocking and closed on C{exec}.
    """

    def __init__(self):
        """
        Open it.

        @raise OSError: where inotify is not there, or no more instances
            may be made (C{EMFILE}).
        """
        self._libc = _libc()
        self._fd = _checked(self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))

    def addWatch(self, path, mask):
        """
        Watch a file or directory (again: the same watch, its mask
        replaced).

        @param path: its path, C{bytes}.
        @param mask: the events to watch, C{IN_*} bits.
        @return: the watch descriptor.
        @raise OSError: C{ENOSPC} when no more watches may be made,
            C{EBADF} once closed.
        """
        if self._fd is None:
            raise OSError(errno.EBADF, "inotify closed")
        return _checked(self._libc.inotify_add_watch(self._fd, path, mask))

    def removeWatch(self, wd):
        """
        Stop a watch (its C{IN_IGNORED} event follows); one gone already
        is no error.

        @param wd: the watch descriptor.
        """
        if self._fd is None:
            return
        try:
            _checked(self._libc.inotify_rm_watch(self._fd, wd))
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise

    def read(self):
        """
        Read every event queued, without waiting.

        @return: a list of events, as L{parseEvents} gives them; none
            once closed.
        """
        events = []
        if self._fd is None:
            return events
        while True:
            try:
                data = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                return events
            if not data:
                return events
            events.extend(parseEvents(data))

    def close(self):
        """
        Close the descriptor (again: nothing).
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
