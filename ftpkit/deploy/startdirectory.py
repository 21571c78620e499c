"""
The directory the paths of the options are taken from, and the one place
such a path is made absolute (L{fromStart}): C{--root}, C{--vhost-root},
C{--realm filesystem:DIR}, C{users:PATH} (as C{--realm}, C{--vhost} and
C{--auth}), C{--auth file:PATH}, C{--realm fsspec:} (a local path, its
C{users=} and C{config=}), C{--xferlog}, C{--on-upload}'s program, and
the TLS certificate and key (C{--tls-cert}, C{--tls-key}, an C{ssl:}
C{--listen}'s).

Each is resolved once, when the options are parsed, and read by that
absolute path from then on (a C{SIGHUP} reload among them). One process
takes them from its current directory. A worker of C{--workers} takes
them from its acceptor's (L{workerArgv}, L{takeStart}): it inherits the
acceptor's current directory, which may have been removed since (every
worker started again in place of one that died failed at start, in a
loop: C{os.path.abspath} raised C{FileNotFoundError}) or renamed (a
worker read other files than its acceptor).
"""

import os

START = "--start-directory="
"""How a worker's first argument names its acceptor's directory."""

_given = []
"""In a worker: the directory its acceptor started in."""


def startDirectory():
    """
    @return: the directory relative paths are taken from: this process'
        current directory, or in a worker its acceptor's.
    @raise ValueError: saying why, when it cannot be read (removed).
    """
    if _given:
        return _given[0]
    try:
        return os.getcwd()
    except OSError as e:
        raise ValueError(f"{e.strerror} (removed since the server was "
                         f"started from it?)") from None


def fromStart(path):
    """
    @param path: a path an option gives.
    @return: its absolute path, normalized as C{os.path.abspath} does,
        relative to L{startDirectory}.
    @raise ValueError: for a relative path, when that directory cannot
        be read.
    """
    if os.path.isabs(path):
        return os.path.normpath(path)
    try:
        directory = startDirectory()
    except ValueError as e:
        raise ValueError(
            f"{path!r} is relative to the current directory, which cannot "
            f"be read: {e}; give an absolute path") from None
    return os.path.normpath(os.path.join(directory, path))


def workerArgv(argv):
    """
    @param argv: the server's options.
    @return: a worker's arguments: C{argv} after L{START} naming this
        process' directory (C{argv} alone when it cannot be read: then
        no option holds a relative path, or the server did not start).
    """
    try:
        return [START + startDirectory(), *argv]
    except ValueError:
        return list(argv)


def takeStart(argv):
    """
    In a worker: take relative paths from the directory L{workerArgv}
    names from now on.

    @param argv: a worker's arguments.
    @return: its options, the server's.
    """
    if argv and argv[0].startswith(START):
        _given[:] = [argv[0][len(START):]]
        return argv[1:]
    return list(argv)

