"""
L{LinkAwareSFTPFileSystem}: the calls L{ftpkit.shells.fsspecshell.FsspecShell}
makes on an SFTP server (C{sftp://}) that tell a symbolic link from what
it leads to, as the disk realm tells them (blocking).

fsspec's SFTP filesystem lists a directory as the server's C{READDIR}
gives it, each link as itself (C{lstat}: type C{"link"}, even one leading
to a file beside it), and describes a path with C{STAT}, which follows a
link: C{MLSD} gave every link C{perm=df} and no C{r}, while C{MLST}, C{RETR}
and C{CWD} of a link followed it wherever it led, out of the root too.
Here, as L{ftpkit.shells.fsspeclocal.LinkFreeLocalFileSystem} does on the
local disk, a path is resolved with the server's C{REALPATH} (L{realpath})
and checked to stay in the root (L{ftpkit.shells.fsspecposix.SFTPBackend.confine}),
a listing describes a link by what it leads to where that is in the root
and exists, by itself otherwise (L{entries}), and a path is described by
its own entry (L{info}: C{LSTAT}), so that C{DELE}, C{RNFR} and C{RMD} of
a link act on the link.

SFTP has no call that refuses a link on the way, as C{openat2} does on the
local disk: a user of the SFTP server who swaps a directory for a link
out of the root between the check and the call leads that one call
outside (C{docs/object-storage.rst} says so).

No resolution is kept from one command to the next (C{CWD}, then C{LIST},
then C{RETR} in that directory each ask C{REALPATH} again): SFTP tells a
client of no change another makes, so a path resolved before may since
have become a link out of the root (another user of the SFTP server
swapping a directory for one), which the next call would follow
unchecked, turning the one call's window above into the session's; and
what would tell that it has not (C{REALPATH} again, or an C{LSTAT} of
each segment) is a request at least, what keeping the resolution saves
(C{docs/benchmark-investigations.rst}, C{bench-listcache-37}).
"""

import posixpath
import stat as statModule

from ftpkit.compat.fsspecnames import decodeStat, stripProtocol
from ftpkit.compat.sftpnames import readDirectory, readLink, realPath, wireName

_MAX_LINKS = 40
"""Links followed in one path before it is taken for a loop (Linux's
C{MAXSYMLINKS})."""


class ServerResolved(str):
    """
    A real path as the server's C{REALPATH} gave it: every link in it
    followed to the end, so that it names no link (the server refuses a
    path in a loop of links), and L{LinkAwareSFTPFileSystem.leadsNowhere}
    need not ask.
    """


class LinkAwareSFTPFileSystem:
    """
    fsspec's SFTP filesystem as the fsspec shell uses it: see the module's
    description. What is not defined here is fsspec's (C{open}, C{mv},
    C{find}, C{ftp}...).

    @ivar fs: fsspec's SFTP filesystem.
    """

    def __init__(self, fs, root):
        """
        @param fs: fsspec's SFTP filesystem.
        @param root: the shell's root: a link met in a listing is described
            by what it leads to only when that is in the root.
        """
        self.fs = fs
        self._root = root or "/"
        self._realRoot = None
        self._rootJustAsked = False

    def __getattr__(self, name):
        return getattr(self.fs, name)

    def _strip_protocol(self, path):
        """
        See fsspec's C{AbstractFileSystem._strip_protocol}.
        """
        return stripProtocol(self.fs, path)

    def realRoot(self):
        """
        @return: the root's real path (links resolved), asked of the
            server once: the first time, the one L{realpath} of the root
            that follows at once (a check of a path against the root,
            L{ftpkit.shells.fsspecposix.confined}, of the root itself)
            is given it without asking again.
        """
        if self._realRoot is None:
            self._realRoot = self.realpath(self._root)
            self._rootJustAsked = True
        return self._realRoot

    def inside(self, real):
        """
        @param real: a path with no link left in it.
        @return: whether it is the root or below it.
        """
        top = self.realRoot()
        return real == top or real.startswith(top.rstrip("/") + "/")

    def realpath(self, path, seen=()):
        """
        The path with every link resolved, as C{os.path.realpath} gives it
        on the local disk: the server's C{REALPATH}, which resolves links
        but refuses a path that leads to nothing past its last segment
        or in a loop; then the parent resolved and the last segment's
        link followed here.

        @param path: an absolute path on the server.
        @param seen: the links followed so far.
        @return: the real path; for a link in a loop, a link of the loop,
            as C{os.path.realpath} returns it.
        @raise OSError: when the server does not resolve C{/} (its
            connection is gone).
        """
        justAsked, self._rootJustAsked = self._rootJustAsked, False
        if justAsked and path == self._root:
            return self._realRoot
        try:
            return ServerResolved(realPath(self.fs.ftp, path))
        except OSError:
            directory, _, name = path.rstrip("/").rpartition("/")
            if not name:
                # C{/} itself, which has no link to follow: the server
                # (or the connection, gone) failed; asking again for its
                # parent, C{/}, recursed without end.
                raise
        real = self.realpath(directory or "/", seen).rstrip("/") + "/" + name
        if real in seen or len(seen) >= _MAX_LINKS:
            return real
        try:
            text = readLink(self.fs.ftp, real)
        except OSError:
            text = None
        if text is None:
            return real
        return self.realpath(
            posixpath.normpath(posixpath.join(posixpath.dirname(real), text)),
            (*seen, real))

    def leadsNowhere(self, real):
        """
        @param real: what L{realpath} gave.
        @return: whether it is a link still (one of a loop): asked of the
            server (C{LSTAT}) for a path resolved here, link by link, not
            for one its C{REALPATH} gave (L{ServerResolved}).
        """
        if isinstance(real, ServerResolved):
            return False
        try:
            return statModule.S_ISLNK(
                self.fs.ftp.lstat(wireName(real)).st_mode)
        except OSError:
            return False

    def info(self, path):
        """
        @param path: a path whose directory is resolved.
        @return: the entry of C{path} itself, a link not followed (type
            C{"link"}), as fsspec's C{info} gives it.
        @raise FileNotFoundError: when nothing is there.
        """
        detail = decodeStat(self.fs, self.fs.ftp.lstat(wireName(path)))
        detail["name"] = path
        return detail

    def rm_file(self, path):
        """
        Remove the file, or the link itself, that a path names: fsspec's
        C{rm_file} asks C{STAT} whether it is a directory, following a
        link to one, and then tried C{RMDIR} on the link.

        @param path: a path whose directory is resolved.
        """
        self.fs.ftp.remove(wireName(path))

    def ls(self, path, detail=True):
        """
        @param path: a resolved path of a directory.
        @param detail: ignored: the entries are always given.
        @return: its entries as fsspec's C{ls} gives them, each link by
            what it leads to where that is in the root and exists, by
            itself (type C{"link"}) otherwise.
        """
        return [self._followed(entry) for entry in self._listed(path)]

    def _listed(self, path):
        """
        @param path: a resolved path of a directory.
        @return: its entries, each as the server describes it (C{LSTAT}),
            as fsspec's C{ls} gives them, but a name that is not UTF-8
            decoded as the disk realm decodes it
            (L{ftpkit.compat.sftpnames.readDirectory}): fsspec's failed
            the whole listing.
        """
        here = path.rstrip("/")
        read = readDirectory(self.fs.ftp, here or "/")
        if read is None:
            return self.fs.ls(path, detail=True)
        return [dict(decodeStat(self.fs, attributes),
                     name=here + "/" + attributes.filename)
                for attributes in read]

    def entry(self, path):
        """
        One entry of a directory, as L{ls} gives it, found by its name
        alone (one C{LSTAT}, and what a link leads to).

        @param path: a path whose directory is resolved.
        @return: its entry; C{None} when nothing is there.
        """
        try:
            return self._followed(self.info(path))
        except FileNotFoundError:
            return None

    def links(self, path):
        """
        @param path: a resolved path of a directory.
        @return: a C{dict} from the name of each symbolic link in it to the
            real path it leads to (wherever that is), or C{None} where
            that cannot be asked (L{_realOrNone}).
        """
        return {entry["name"].rstrip("/").rpartition("/")[2]:
                self._realOrNone(entry["name"])
                for entry in self._listed(path)
                if entry["type"] == "link"}

    def _realOrNone(self, path):
        """
        @param path: a path whose directory is resolved.
        @return: L{realpath} of it; C{None} where paramiko cannot ask
            (a name, or a link's text, that is not UTF-8).
        """
        try:
            return self.realpath(path)
        except UnicodeError:
            return None

    def _followed(self, entry):
        """
        @param entry: an entry as the server describes it (C{LSTAT}).
        @return: C{entry} but for a link: the entry of what it leads to
            (under the link's name) where that is in the root and exists;
            else the link, with its text as C{"destination"} where it
            leads inside the root (to nothing, or in a loop), as
            L{ftpkit.shells.diskpaths.Jail.follow} describes it on disk.
        """
        if entry["type"] != "link":
            return entry
        name = entry["name"]
        real = self._realOrNone(name)
        if real is None or not self.inside(real):
            return entry
        try:
            target = self.fs.ftp.lstat(wireName(real))
        except OSError:
            target = None
        if target is None or statModule.S_ISLNK(target.st_mode):
            try:
                text = readLink(self.fs.ftp, name)
            except OSError:
                text = None
            return entry if text is None else dict(entry, destination=text)
        return dict(decodeStat(self.fs, target), name=name)

    def progress(self):
        """
        What tells that the server answered (read from another thread
        while a call runs: L{ftpkit.shells.calldeadline}).

        @return: the SFTP client and the number of its requests, each
            sent once the one before was answered (paramiko's
            C{request_number}).
        """
        client = self.fs.ftp
        return id(client), getattr(client, "request_number", None)

    def abandon(self):
        """
        Close the SSH connection from another thread than the call waiting
        on it (and than the reactor's: paramiko's C{Transport.close} stops
        the transport's thread and may join it), without waiting for any
        answer of the server: the call waiting on its channel raises, and
        the next call opens a new connection
        (L{ftpkit.shells.fsspecposix.SFTPBackend.recover}).
        """
        transport = self.fs.client.get_transport()
        if transport is not None:
            transport.close()
