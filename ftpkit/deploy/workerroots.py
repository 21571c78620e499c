"""
The directories a server serves (C{--root}, C{--vhost-root},
C{--realm filesystem:DIR} and a C{--vhost}'s), checked at start
(L{servedDirectoryAtStart}), and the C{--root} the acceptor of
C{--workers} hands its workers (L{rootedArgv}).

One process checks them as it starts: one it cannot serve is a usage
error. Once started, it serves on when one is removed (an operator's
mistake, a mount gone), each login to it getting C{421} and the log
saying why (L{ftpkit.auth.realms.FilesystemRealm.homeFor}). A worker of
C{--workers} started again (in place of one that died) while a directory
is gone reads the same options; refused there, it failed at start in a
loop, the acceptor starting it again with a growing delay and a worker
short meanwhile. Its acceptor checked them at its own start
(L{ftpkit.deploy.keptfiles.checkedByAcceptor}), so such a worker serves
as one process does, and says so in one line for each directory.
"""

import os

from twisted.logger import Logger
from twisted.python import usage

from ftpkit.deploy.keptfiles import checkedByAcceptor
from ftpkit.deploy.optionvalues import servedDirectory

_log = Logger()

GONE_SINCE_START = ("the served directory {root} can no longer be served "
                    "({why}): this worker serves all the same, as one "
                    "process does, sessions there failing until it is "
                    "back")
"""The line of a worker started again while a directory cannot be served."""

_told = set()
"""The directories this worker said it cannot serve (each once: the
options are read more than once)."""


def servedDirectoryAtStart(text):
    """
    @param text: a directory to serve, an option's value.
    @return: its absolute path, once L{servedDirectory} found it one the
        server can serve; in a worker whose acceptor checked it at start,
        also when it no longer is one (logged once).
    @raise ValueError: when it is not one, in any other process.
    """
    try:
        return servedDirectory(text)
    except ValueError as e:
        if not checkedByAcceptor():
            raise
        root = os.path.abspath(text)
        if root not in _told:
            _told.add(root)
            _log.error(GONE_SINCE_START, root=root, why=str(e))
        return root


def rootByDefault():
    """
    @return: the root when no C{--root} is given: the current directory.
    @raise usage.UsageError: when it was removed (C{os.getcwd} fails);
        the server ended in a C{FileNotFoundError} traceback.
    """
    try:
        return os.getcwd()
    except OSError as e:
        raise usage.UsageError(
            f"--root: not given, and the current directory, its default, "
            f"cannot be served: {e.strerror} (removed since the server "
            f"was started from it?); give --root DIR") from None


def _isRoot(option):
    """
    @param option: a long option as given, e.g. C{--root} or C{--ro}
        (Twisted takes any unambiguous beginning).
    @return: whether it names C{--root}.
    """
    return len(option) > 3 and "--root".startswith(option)


def rootedArgv(argv, root):
    """
    The options a worker of C{--workers} is started with: C{--root}
    naming the absolute path the acceptor resolved at its start, given or
    not. A worker resolved the default (the current directory) and a
    relative C{--root} itself, against the directory the acceptor was
    started in: once that was removed, every worker started again (in
    place of one that died) failed at start with a traceback, and was
    started again and again with a growing delay, a worker short. It now
    serves what the acceptor serves, as one process does (logins
    failing, with a line, while the directory is gone:
    L{servedDirectoryAtStart}).

    @param argv: the server's options.
    @param root: the acceptor's root, an absolute path.
    @return: C{argv} with its C{--root} value replaced by C{root}, or
        C{--root} added; a new list.
    """
    result = []
    given = False
    previous = None
    for argument in argv:
        option, equals, _ = argument.partition("=")
        if previous is not None and _isRoot(previous):
            argument = root
            given = True
        elif equals and _isRoot(option):
            argument = f"{option}={root}"
            given = True
        result.append(argument)
        previous = argument
    if not given:
        result.append(f"--root={root}")
    return result
