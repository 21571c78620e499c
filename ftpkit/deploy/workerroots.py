"""
The directories a server serves (C{--root}, C{--vhost-root},
C{--realm filesystem:DIR}, C{--realm fsspec:file://DIR} and a
C{--vhost}'s), checked at start (L{servedDirectoryAtStart},
L{servedURLAtStart}), and the one served without C{--root}
(L{rootByDefault}).

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

from twisted.logger import Logger
from twisted.python import usage

from ftpkit.deploy.keptfiles import checkedByAcceptor
from ftpkit.deploy.optionvalues import servedDirectory
from ftpkit.deploy.startdirectory import fromStart, startDirectory

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
        root = fromStart(text)
        if root not in _told:
            _told.add(root)
            _log.error(GONE_SINCE_START, root=root, why=str(e))
        return root


def servedURLAtStart(url, root):
    """
    A C{file://} URL of C{--realm fsspec:} must name a directory the
    server can serve, as C{--root} and C{--realm filesystem:DIR} must
    (L{servedDirectoryAtStart}): one missing, or a file, started a server
    whose every user saw an empty tree, and whose every upload got
    C{550}. Object stores are not checked (a prefix need not exist
    before its first object), nor C{sftp://}, which would need a
    connection and a login to its server at start (docs/object-storage.rst).

    @param url: the realm's URL, for the message.
    @param root: the local directory it names (fsspec's reading of it:
        C{file://relative} is relative to the working directory).
    @raise ValueError: when C{root} is not a directory the server can
        serve, in a process where L{servedDirectoryAtStart} raises.
    """
    try:
        servedDirectoryAtStart(root)
    except ValueError as e:
        raise ValueError(f"{url!r} cannot be served: {e}") from None


def rootByDefault():
    """
    @return: the root when no C{--root} is given: the directory the
        server was started in (L{startDirectory}: in a worker, its
        acceptor's, checked as L{servedDirectoryAtStart} checks it).
    @raise usage.UsageError: when it was removed (C{os.getcwd} fails);
        the server ended in a C{FileNotFoundError} traceback.
    """
    try:
        directory = startDirectory()
    except ValueError as e:
        raise usage.UsageError(
            f"--root: not given, and the current directory, its default, "
            f"cannot be served: {e}; give --root DIR") from None
    if checkedByAcceptor():
        return servedDirectoryAtStart(directory)
    return directory
