"""
A file system that never answers, for the tests of stuck disk calls: a
FUSE mount whose server answers the kernel's C{INIT} and nothing else, so
that every system call reaching it (a C{stat}, an C{open}, a directory
read) blocks, as on a hard NFS mount whose server is gone or a hung
C{sshfs}. Root only (a test skips where it may not mount one); when the
test ends, the mount's connection is closed, which fails every call
still blocked in it (C{ECONNABORTED}), and the mount is taken away.

The connection is closed by the thread that reads it, which alone holds
its descriptor: closed from another thread while that one waited in a
C{read} of it, it stayed open (the C{read} holds the file), the calls
blocked in it stayed blocked for the rest of the process, holding disk
threads that later tests in the same process waited for, and the reader
went on reading whatever file was opened under the same number next.
"""

import ctypes
import errno
import os
import select
import struct
import threading

from twisted.trial.unittest import SkipTest

_INIT = 26
"""The opcode of FUSE's C{INIT} request."""

_IN_HEADER = struct.Struct("<IIQ")
"""The start of a request's header: its length, opcode and unique id."""

_INIT_OUT = struct.Struct("<IIIIHHIIHHI28x")
"""C{fuse_init_out} of protocol 7.31: major, minor, max_readahead, flags,
max_background, congestion_threshold, max_write, time_gran, max_pages,
map_alignment, flags2, and reserved words."""


def hungMount(testCase, point):
    """
    Mount a file system that never answers at C{point} (an empty
    directory) for C{testCase}.

    @param testCase: the running test.
    @param point: the mount point, an existing directory.
    @return: a function (of no argument, for any thread, called again
        when the test ends) closing the mount's connection, which fails
        every call blocked in it, and taking the mount away.
    @raise SkipTest: when this process may not mount one.
    """
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
        raise SkipTest("a FUSE mount needs root and /dev/fuse")
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    options = ("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other"
               % (fd,)).encode()
    if libc.mount(b"ftpkit-hung", os.fsencode(point), b"fuse", 0,
                  options) != 0:
        code = ctypes.get_errno()
        os.close(fd)
        raise SkipTest("cannot mount FUSE: " + os.strerror(code))
    stopRead, stopWrite = os.pipe2(os.O_CLOEXEC)
    reader = threading.Thread(target=_answerInit, args=(fd, stopRead),
                              daemon=True)
    reader.start()

    closed = []

    def unmount():
        if not closed:
            closed.append(True)
            os.write(stopWrite, b"x")
            reader.join()
            os.close(stopRead)
            os.close(stopWrite)
            libc.umount2(os.fsencode(point), 2)  # MNT_DETACH

    testCase.addCleanup(unmount)
    return unmount


def _answerInit(fd, stopRead):
    """
    Answer the kernel's C{INIT} on a FUSE connection, and nothing else,
    until C{stopRead} is readable; then close the connection, which fails
    every call blocked in it.

    @param fd: the connection's descriptor (of C{/dev/fuse}).
    @param stopRead: the read end of a pipe written to when the mount is
        to end.
    """
    try:
        _answer(fd, stopRead)
    finally:
        os.close(fd)


def _answer(fd, stopRead):
    """
    The loop of L{_answerInit}.

    @param fd: the connection's descriptor.
    @param stopRead: the pipe's read end.
    """
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    poll.register(stopRead, select.POLLIN)
    while True:
        if any(ready == stopRead for ready, _ in poll.poll()):
            return
        try:
            request = os.read(fd, 1 << 20)
        except OSError as e:
            if e.errno in (errno.EINTR, errno.EAGAIN):
                continue
            return
        _, opcode, unique = _IN_HEADER.unpack_from(request)
        if opcode == _INIT:
            readahead = struct.unpack_from("<I", request, 48)[0]
            body = _INIT_OUT.pack(7, 31, readahead, 0, 16, 12, 4096, 1, 1,
                                  0, 0)
            header = struct.pack("<IiQ", 16 + len(body), 0, unique)
            try:
                os.write(fd, header + body)
            except OSError:
                return
