"""
The files that uploads written in place (C{APPE}, C{REST} and C{STOR})
write on an SFTP store, and the temporary files that plain C{STOR}
uploads write there (L{ftpkit.shells.fsspecgeneric.Backend.reserveTemporary}),
held where every worker of C{--workers} sees them
(L{SharedInPlaceFiles}), as the disk realm's are by their C{flock}
(L{ftpkit.shells.uploadlocks.holdInPlace},
L{ftpkit.shells.uploadlocks.holdTemporary}).

Each process held them in a set of its own
(L{ftpkit.shells.fsspecinplace.InPlaceFiles}): a second worker's C{APPE}
of a file another worker appended to interleaved its bytes with the
first one's, and a directory renamed by one worker moved the file
another one wrote, whose upload got C{450} once its client had sent
every byte; or the directory of another one's temporary file, whose
upload got C{550} then (the temporary file no longer where it was made,
and left, hidden, in the renamed directory).

A held file is a lock file, in the directory the acceptor makes for its
workers (L{ftpkit.shells.sharedquota.LEDGERS_VARIABLE}), under a tree of
the store (named by a digest of its address) that mirrors the file's
path, each directory's name C{d-} and the name, each file's C{f-} and the
name (a file and a directory of one name never clash there); an upload
holds its lock file with an exclusive C{flock}, which goes with its open
file, whatever ends the process. A rename of a directory holds the
tree's C{.renames} file alone while it looks below the directory's
mirror for a held lock file (L{ftpkit.shells.uploadlocks.heldBelow}) and
renames; a hold takes it shared for its own step: so a rename either
sees the hold, or comes wholly before it, and the upload then opens
what the path names after it.
"""

import fcntl
import hashlib
import ipaddress
import os
from contextlib import contextmanager

from ftpkit.errors import FileBusy
from ftpkit.shells import uploadlocks
from ftpkit.shells.fsspecinplace import inPlaceFilesOf
from ftpkit.shells.fsspectemporaries import DIRECTORY_BUSY
from ftpkit.shells.sharedquota import LEDGERS_VARIABLE

_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)

_TRIES = 8
"""How many times a hold opens its lock file again when the one it held
was removed meanwhile (by the release of another upload of the path)."""


def mirrored(root, path, isDirectory):
    """
    @param root: the store's tree of lock files.
    @param path: an absolute path on the store.
    @param isDirectory: whether it names a directory.
    @return: the path of its lock file (or mirror directory) under
        C{root}.
    """
    segments = [segment for segment in path.split("/") if segment]
    names = ["d-" + segment for segment in segments]
    if names and not isDirectory:
        names[-1] = "f-" + segments[-1]
    return os.path.join(root, *names)


class SharedInPlaceFiles:
    """
    The paths of one store that uploads write in place, held for every
    process sharing the lock directory; the same interface as
    L{ftpkit.shells.fsspecinplace.InPlaceFiles}.
    """

    def __init__(self, directory, store):
        """
        @param directory: the directory the workers share.
        @param store: the store's address (C{sftp://USER@HOST:PORT}).
        """
        digest = hashlib.sha256(store.encode("utf-8", "surrogateescape"))
        self._root = os.path.join(directory, "inplace", digest.hexdigest())

    @contextmanager
    def _renames(self, operation):
        """
        Hold the tree's C{.renames} file (C{LOCK_SH} or C{LOCK_EX}) while
        the C{with} block runs.
        """
        os.makedirs(self._root, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self._root, ".renames"), _FLAGS, 0o600)
        try:
            fcntl.flock(fd, operation)
            yield
        finally:
            os.close(fd)

    def hold(self, path):
        """
        @param path: a file's absolute path on the store.
        @return: a function that lets it go, to call once the upload
            closed its file (or did not open it).
        @raise FileBusy: another upload, in any process, writes it in
            place.
        """
        lockPath = mirrored(self._root, path, False)
        with self._renames(fcntl.LOCK_SH):
            os.makedirs(os.path.dirname(lockPath), mode=0o700, exist_ok=True)
            for _ in range(_TRIES):
                fd = os.open(lockPath, _FLAGS, 0o600)
                held = uploadlocks.holdNamed(fd, lockPath, made=False)
                if held:
                    return lambda: self._release(lockPath, fd)
                os.close(fd)
                if held is False:
                    raise FileBusy()
        raise FileBusy()

    def _release(self, lockPath, fd):
        """
        Remove a held lock file, then close it: a hold that opened it
        before the removal finds it no longer named (L{hold} opens it
        again).
        """
        try:
            os.unlink(lockPath)
        except OSError:
            pass
        os.close(fd)

    @contextmanager
    def renaming(self, directory):
        """
        Rename a directory within this context; holds wait until it ends.

        @param directory: the directory's absolute path on the store.
        @raise FileBusy: when an upload, in any process, writes a file
            below it in place.
        """
        with self._renames(fcntl.LOCK_EX):
            if uploadlocks.heldBelow(mirrored(self._root, directory, True)):
                raise FileBusy(DIRECTORY_BUSY)
            yield

    @contextmanager
    def takingFiles(self, *paths):
        """
        Rename, replace or remove files within this context; holds wait
        until it ends.

        @param paths: the files' absolute paths on the store.
        @raise FileBusy: when an upload, in any process, writes one in
            place.
        """
        with self._renames(fcntl.LOCK_EX):
            if any(uploadlocks.held(mirrored(self._root, path, False))
                   for path in paths):
                raise FileBusy(uploadlocks.FILE_UPLOADING)
            yield


def storeName(user, host, port):
    """
    The name of an SFTP store whose lock tree the workers share (what
    L{SharedInPlaceFiles} digests): C{sftp://USER@HOST:PORT}, with an IP
    address in one spelling (IPv6 compressed, in brackets, as a URL
    writes it; a zone kept), a host name in lower case. The host as the
    URL gave it, an IPv6 one unbracketed, wrote C{sftp://alice@::1:22},
    and each spelling of one address (C{::1}, C{0:0:0:0:0:0:0:1},
    C{::0001}) named a tree of its own: realms naming one store so
    (a C{--vhost}'s and the default one) held its files apart, and their
    uploads in place interleaved.

    @param user: the SSH user.
    @param host: the host, as fsspec holds it (an IPv6 address without
        brackets).
    @param port: the port.
    @return: the name, a C{str}.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        spelled = host.lower()
    else:
        spelled = (address.compressed if address.version == 4
                   else "[%s]" % (address.compressed,))
    return "sftp://%s@%s:%s" % (user, spelled, port)


def sftpInPlaceFiles(fs, environ=os.environ):
    """
    @param fs: fsspec's SFTP filesystem.
    @param environ: the environment.
    @return: its L{SharedInPlaceFiles} in a worker of C{--workers} (its
        environment names the directory the workers share), else the
        process's own L{ftpkit.shells.fsspecinplace.InPlaceFiles} of it.
    """
    directory = environ.get(LEDGERS_VARIABLE)
    if directory is None:
        return inPlaceFilesOf(fs)
    kwargs = getattr(fs, "ssh_kwargs", {})
    store = storeName(kwargs.get("username", ""), getattr(fs, "host", ""),
                      kwargs.get("port", 22))
    return SharedInPlaceFiles(directory, store)
