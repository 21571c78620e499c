"""
Scratch directories that tests leave behind empty, and the plain reads
and writes of the local files tests put in them.

Trial keeps every test's C{mktemp} directory, which is handy when one
test fails but adds up to gigabytes over the whole suite: many tests
write payloads of several megabytes. A test that takes its directory
from here gets it removed when it ends, pass or fail.
"""

import os
import pwd
import shutil
import socket
import tempfile


def scratchDirectory(testCase):
    """
    Make a new, empty directory for C{testCase}, removed with everything
    in it when the test ends.

    The removal is the first cleanup made, so it runs after the test's
    later cleanups (servers stopped, files closed).

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @return: the directory's absolute path.
    @rtype: L{str}
    """
    path = os.path.abspath(testCase.mktemp())
    os.makedirs(path)
    testCase.addCleanup(shutil.rmtree, path, True)
    return path


def shortDirectory(testCase):
    """
    Make a new, empty directory of a short path under the system's
    temporary directory, for Unix sockets (a socket's path is at most 107
    bytes, and a test's C{mktemp} is longer in a checkout of a long
    path), removed with everything in it when the test ends.

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @return: the directory's absolute path.
    @rtype: L{str}
    """
    directory = tempfile.mkdtemp(prefix="ftpkit-")
    testCase.addCleanup(shutil.rmtree, directory, True)
    return directory


def syslogReceiver(testCase):
    """
    Bind a Unix datagram socket where C{twistd --syslog} could send its
    messages, in a directory of a short path (a socket's is at most 107
    bytes, and a test's C{mktemp} is often longer), both removed when
    the test ends.

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @return: the socket's path.
    @rtype: L{str}
    """
    directory = shortDirectory(testCase)
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    testCase.addCleanup(receiver.close)
    path = os.path.join(directory, "log")
    receiver.bind(path)
    return path


def scratchRoot(testCase):
    """
    Make a new, empty scratch directory for C{testCase}, as
    L{scratchDirectory} does, named the way the root of a
    L{ftpkit.shells.filesystem.FilesystemShell} is.

    @param testCase: the running test.
    @type testCase: L{twisted.trial.unittest.TestCase}
    @return: the directory's absolute path.
    @rtype: L{bytes}
    """
    return os.fsencode(scratchDirectory(testCase))


def readLocal(path):
    """
    @param path: a local file's path.
    @return: the file's content.
    @rtype: L{bytes}
    """
    with open(path, "rb") as f:
        return f.read()


def writeLocal(path, data):
    """
    Write C{data} to the local file C{path}, replacing what it held.

    @param path: a local file's path.
    @param data: what the file is to hold.
    @type data: L{bytes}
    """
    with open(path, "wb") as f:
        f.write(data)


def tooLongPath(top, content=None):
    """
    Make below C{top} a directory whose path is longer than the system can
    name (C{PATH_MAX}): 25 directories of 200 characters each, made one
    inside the other through their descriptors, as a user's renames of
    directories into one another build one.

    @param top: the directory to make it in.
    @param content: C{None}, or the bytes of a file C{f} made at the
        bottom.
    """
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(25):
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        if content is not None:
            written = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(written, content)
            os.close(written)
    finally:
        os.close(fd)


def asNobody(function, *args):
    """
    Call C{function} as the server runs unprivileged: with the effective
    user ID of C{nobody} when the tests run as root (whose permission
    checks pass everywhere), as it is otherwise.

    @return: what C{function} returns.
    """
    if os.geteuid() != 0:
        return function(*args)
    os.seteuid(pwd.getpwnam("nobody").pw_uid)
    try:
        return function(*args)
    finally:
        os.seteuid(0)
