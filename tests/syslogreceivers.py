"""
Sockets standing in for a syslog daemon's C{/dev/log}, which read nothing
until the test does (L{receiver}, L{received}); in a server process, as
its very C{/dev/log} (L{devLogIn}).
"""

import ctypes
import os
import socket
import subprocess

from tests.scratch import shortDirectory


def receiver(testCase):
    """
    @param testCase: the running test.
    @return: C{(socket, path)}: a Unix datagram socket bound in a
        directory of the test's, which nothing reads until the test does.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    testCase.addCleanup(sock.close)
    path = os.path.join(shortDirectory(testCase), "log")
    sock.bind(path)
    sock.setblocking(False)
    return sock, path


def received(sock):
    """
    @param sock: a receiver.
    @return: the datagrams waiting on it, in order.
    """
    datagrams = []
    while True:
        try:
            datagrams.append(sock.recv(65536))
        except BlockingIOError:
            return datagrams


_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_CLONE_NEWNS = 0x20000

_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
          "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


def canMount():
    """
    @return: why a child cannot have a C{/dev/log} of a test's own
        (L{devLogIn}: it takes root and mount namespaces), or C{None}.
    """
    if os.geteuid():
        return "needs root (a mount namespace)"
    try:
        subprocess.run(["unshare", "-m", "true"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return "no mount namespaces here (unshare -m)"
    return None


def devLogIn(directory):
    """
    Prepare C{directory} (holding the socket C{log}) to be a child's
    C{/dev}: the devices a Python process opens, and links, made here.

    @param directory: a directory of the test's, with its C{log} socket.
    @return: a C{preexec_fn} putting the child in a mount namespace of its
        own where C{directory} is C{/dev} (its devices bound to the real
        ones), so that the C library's C{syslog(3)}, and ftpkit's, send to
        the test's socket.
    """
    for name in _DEVICES:
        open(os.path.join(directory, name), "wb").close()
    os.mkdir(os.path.join(directory, "shm"))
    for name, target in _LINKS.items():
        os.symlink(target, os.path.join(directory, name))

    def enter():
        libc = ctypes.CDLL(None, use_errno=True)
        mount = libc.mount
        mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong,
                                                   ctypes.c_void_p]
        if libc.unshare(_CLONE_NEWNS) or mount(
                None, b"/", None, _MS_REC | _MS_PRIVATE, None):
            raise OSError(ctypes.get_errno(), "mount namespace")
        for name in (*_DEVICES, "shm"):
            if mount(f"/dev/{name}".encode(),
                     os.path.join(directory, name).encode(), None,
                     _MS_BIND, None):
                raise OSError(ctypes.get_errno(), name)
        if mount(directory.encode(), b"/dev", None, _MS_BIND, None):
            raise OSError(ctypes.get_errno(), "/dev")
    return enter
