"""
The optional extras a shell may provide besides
L{ftpkit.interfaces.shell.IFTPShell} (L{OPTIONAL_SHELL_INTERFACES}), the
listings in batches one of them opens, and the user's own rates a realm's
shell may carry.
"""

from zope.interface import Attribute, Interface

__all__ = [
    "OPTIONAL_SHELL_INTERFACES",
    "IFTPShellHash", "IFTPShellNames", "IFTPShellListSome", "IFTPShellChmod",
    "IFTPShellTimes", "IFTPShellFeatures", "IFTPShellResume",
    "IFTPShellResumeOwners", "IFTPShellCreate", "IFTPShellStreamedListing",
    "IFTPShellAvailable", "IFTPShellResolve", "IFTPShellPermitted",
    "IFTPShellUploadOffsets", "IFTPShellLocalPath", "IDirectoryListing",
    "IStatListing", "INameListing", "IFTPShellRates",
    "IFTPShellUploadsInPlace",
]
"""Every name here, each re-exported by L{ftpkit.interfaces} (a new
interface is named here and nowhere else)."""


class IFTPShellHash(Interface):
    """
    An optional extra a shell may provide: checksums for the C{HASH}
    command and the X-verbs (C{XMD5}, C{XCRC}...).
    """

    def hash(path, algorithm, start=0, end=None):
        """
        Checksum a file (or the byte range C{[start, end)}).

        @param path: a tuple of segments naming a file.
        @param algorithm: a C{hashlib} name: C{"sha256"}, C{"sha512"},
            C{"sha1"}, C{"md5"}; or C{"crc32"} (for C{XCRC}: zlib's
            CRC-32, eight hex digits, big-endian), which a shell may
            refuse with L{ftpkit.errors.ParameterNotImplemented}
            (L{ftpkit.shells.digests.newDigest} knows them all).
        @param start: the first byte, C{0} for the whole file.
        @param end: the byte after the last, or C{None} for the end of the
            file.
        @return: a Deferred firing with the lowercase hex digest.
        """


class IFTPShellNames(Interface):
    """
    An optional extra a shell may provide: a directory's names without
    describing each entry, for C{NLST} (a filesystem listing otherwise
    costs a C{stat} per entry).
    """

    def listNames(path):
        """
        Name the entries of a directory.

        @param path: a tuple of segments naming a directory.
        @return: a Deferred firing with the names (C{str}) that
            L{IFTPShell.list} would give, sorted; fails with
            L{ftpkit.errors.NotDirectory} when C{path} is a file.
        """


class IFTPShellListSome(Interface):
    """
    An optional extra a shell may provide: some entries of a directory
    described, for a wildcard (C{LIST *.txt}): the server names the
    directory's entries (L{IFTPShellNames}), matches the pattern, and asks
    for the matches alone, rather than describing the whole directory (a
    filesystem listing costs a C{stat} per entry).
    """

    def listSome(path, names):
        """
        Describe some entries of a directory.

        @param path: a tuple of segments naming a directory.
        @param names: names of entries of that directory (C{str}), as
            L{IFTPShellNames.listNames} gives them.
        @return: a Deferred firing with the C{(name, FileInfo)} pairs
            L{IFTPShell.list} would give for those of C{names} it lists,
            in the order of C{names}; a name it would not list (gone
            meanwhile, or never there) is left out. Fails as
            L{IFTPShell.list} does (L{ftpkit.errors.NotDirectory} for a
            file).
        """


class IFTPShellChmod(Interface):
    """
    An optional extra a shell may provide: changing permission bits, for
    C{SITE CHMOD}.
    """

    def setPermissions(path, mode):
        """
        Set a file's or directory's permission bits.

        @param path: a tuple of segments.
        @param mode: the bits, from C{0} to C{0o777} (no set-id or sticky
            bits).
        @return: a Deferred firing with C{None}.
        """


class IFTPShellTimes(Interface):
    """
    An optional extra a shell may provide: setting a file's access time
    with its modification time, for the form of C{SITE UTIME} that gives
    both (ProFTPD's mod_site_misc, FileZilla). A shell without it has the
    modification time alone set (L{IFTPShell.setModificationTime}).
    """

    def setTimes(path, accessed, modified):
        """
        Set a file's access and modification times.

        @param path: a tuple of segments.
        @param accessed: the access time, seconds since the epoch, UTC.
        @param modified: the modification time, likewise.
        @return: a Deferred firing with C{None}.
        """


class IFTPShellFeatures(Interface):
    """
    An optional extra a shell may provide: the C{FEAT} lines its storage
    cannot honour, so that C{FEAT} does not promise them after login (an
    object store keeps its own modification times: no C{MFMT}).
    """

    def unsupportedFeatures():
        """
        @return: a C{frozenset} of C{FEAT} keywords (a line's first word,
            such as C{"MFMT"}) to leave out.
        """


class IFTPShellResume(Interface):
    """
    An optional extra a shell may provide: it keeps an upload that was cut
    short (hidden, for a while) so that a client can resume it with
    C{REST} + C{STOR} or C{APPE} on the same path, while the old file, if
    any, stays in place until the upload completes. C{SIZE} answers with
    what was kept: for whom it was kept only, where the shell provides
    L{IFTPShellResumeOwners} too; without it, for everyone.
    """

    def resumableSize(path):
        """
        @param path: a tuple of segments naming an upload's target.
        @return: a Deferred firing with the bytes a cut upload of C{path}
            kept for a resume, or C{None} when there is none;
            C{openForWriting(path, size)} (or with C{append=True}) then
            continues it.
        """


class IFTPShellResumeOwners(Interface):
    """
    An optional extra a shell providing L{IFTPShellResume} may provide: a
    cut upload is kept for whoever it was cut for, its I{resumer}, alone.
    Only the resumer's C{SIZE} answers its size, and only its resume
    continues it; everyone else sees, downloads and resumes (a download,
    or an upload written in place) the file itself. The server gives
    each session the shell made with L{forResumer} for its user (an
    anonymous user: for its address). A shell without this extra keeps a
    cut upload for everyone.
    """

    def forResumer(resumer):
        """
        @param resumer: who the shell acts for, C{str}, to be compared
            whole: a user name; for a virtual host's own user (one whose
            realm has users of its own), where the users come from and
            the name, a NUL between
            (L{ftpkit.control.handlers.login.resumerOf}); or
            C{"anonymous@ADDRESS"}.
        @return: a shell like this one (providing the same interfaces,
            sharing its storage) whose cut uploads are kept for
            C{resumer}, and whose L{IFTPShellResume.resumableSize} and
            uploads continuing a cut upload see only those kept for
            C{resumer} (and those kept for nobody in particular: by a
            shell not made with this method, or by a crashed process).
        """


class IFTPShellCreate(Interface):
    """
    An optional extra a shell may provide: an upload that only creates a
    file, never replacing one, even one that another upload of the same
    name completed while it ran. C{STOU} (a name nobody has) and
    anonymous uploads (which may only create) use it; without it they
    check the name when they start, and the later of two uploads racing
    for one name replaces the earlier. A shell should also reserve the
    name for the upload while it runs, refusing a second
    C{openForCreating} of it meanwhile (L{ftpkit.errors.AlreadyExists}):
    C{STOU} then tells the second client another name at once, instead
    of a name whose upload fails at its end.
    """

    def openForCreating(path):
        """
        Like C{openForWriting(path)} (from byte 0, not appending), for a
        file that does not exist.

        @param path: a tuple of segments naming the new file.
        @return: a Deferred firing with an L{IWriteFile}, failing with
            L{ftpkit.errors.AlreadyExists} when C{path} exists; and if a
            file of that name appears before the upload is complete, its
            L{IWriteFile.close} fails with L{ftpkit.errors.AlreadyExists}
            and stores nothing. It may fail with
            L{ftpkit.errors.AlreadyExists} too while another upload opened
            here for C{path} runs (the name is reserved for it).
        """


class IFTPShellStreamedListing(Interface):
    """
    An optional extra a shell may provide: a directory's entries in
    batches, so that C{LIST}, C{MLSD} and C{NLST} of a large directory
    start sending at once and hold a batch or two in memory, not the
    whole directory. The server asks for the next batch only once the
    data connection has taken the previous one (a slow client slows the
    listing down).

    The server sorts each batch by name: a directory that fits in one
    batch lists exactly as L{IFTPShell.list} would; a larger one is sent
    batch after batch in the order the shell gives them.
    """

    def openListing(path):
        """
        Start listing a directory.

        @param path: a tuple of segments naming a directory.
        @return: a Deferred firing with an L{IDirectoryListing} of the
            entries L{IFTPShell.list} would give; failing as
            L{IFTPShell.list} does (L{ftpkit.errors.NotDirectory} for a
            file, L{ftpkit.errors.NoSuchFile}) before any entry is given.
        """


class IFTPShellAvailable(Interface):
    """
    An optional extra a shell may provide: how many bytes an upload may
    still bring, for C{AVBL} (draft-peterson-streamlined-ftp-command-
    extensions). It tells about a path as L{IFTPShell.stat} does, so a
    wrapper that restricts C{stat} provides it only if it restricts this
    too.
    """

    def available(path):
        """
        Measure the room left for uploads into a directory.

        @param path: a tuple of segments naming a directory.
        @return: a Deferred firing with the bytes an upload there may
            still bring (an C{int}, C{0} when none), as far as the storage
            knows; failing with L{ftpkit.errors.NotDirectory} for a file
            and L{ftpkit.errors.NoSuchFile} where nothing is.
        """


class IFTPShellUploadsInPlace(Interface):
    """
    An optional extra a shell may provide: whether an upload writes a
    file in place now, for a shell that stores such an upload only once
    it ends (L{IFTPShell.stat} does not find a file an C{APPE} makes
    until then). C{RNFR} of such a file gets C{350}, as on a storage
    where the file is there from the upload's start, and the shell's
    C{rename} refuses it (C{450}) while the upload runs. It tells about
    a path as L{IFTPShell.stat} does, so a wrapper that restricts
    C{stat} provides it only if it restricts this too.
    """

    def writtenInPlace(path):
        """
        @param path: a tuple of segments.
        @return: a Deferred firing with whether an upload writes the
            file at C{path} in place now (C{bool}).
        """


class IFTPShellResolve(Interface):
    """
    An optional extra a shell with symbolic links may provide: where a
    path leads once its links are followed, so that a rule about names
    (C{--hide-dotfiles}, L{ftpkit.shells.wrappers.HideDotfilesShell}) can
    apply to the names a link leads to, not only to the names a client
    gives.
    """

    def resolve(path):
        """
        @param path: a tuple of segments.
        @return: a Deferred firing with the tuple of segments, under the
            root, that C{path} names once every symbolic link on it is
            followed (its last segment's too, even a link to nothing yet;
            segments past a missing one are kept as given), or with
            C{None} where it leads outside the root or cannot be resolved
            (the shell refuses such a path itself).
        """

    def linkTargets(path):
        """
        @param path: a tuple of segments naming a directory.
        @return: a Deferred firing with a C{dict} from the name of each
            symbolic link in that directory to what L{resolve} gives for
            it; failing as L{IFTPShell.list} does.
        """


class IFTPShellPermitted(Interface):
    """
    An optional extra a shell may provide: what its user may do to its
    entries, as the letters of the C{perm} fact of C{MLSD} and C{MLST}
    (RFC 3659, section 7.5.5), so that the fact does not promise what the
    shell would refuse (a read-only user, a directory with permissions of
    its own). Each method answers at once, from rules the shell holds: no
    storage is asked, and nothing is a Deferred.

    A mask is a C{frozenset} of the letters C{"acdeflmprw"} the user may
    be shown (L{ftpkit.protocol.permletters}); an entry shows those of its
    kind's letters the mask holds (a file C{a d f r w}, a directory
    C{c d e f l m p}). A wrapper narrows the mask of the shell it wraps.
    C{RNFR} asks it too (L{ftpkit.protocol.access.mayRename}): a path
    whose mask lacks C{f} gets C{550} before any C{RNTO}.
    """

    def permitted(path):
        """
        @param path: a tuple of segments.
        @return: the mask of the entry at C{path} (whether or not there is
            one).
        """

    def permittedIn(path):
        """
        @param path: a tuple of segments naming a directory.
        @return: C{(mask, exceptions)}: the mask of its entries, and a
            C{dict} from the name of each entry whose mask differs (one
            with rules of its own, or served by another shell: a mount
            point, C{examples/ftpkit_mounts.py}) to its mask.
        """


class IFTPShellUploadOffsets(Interface):
    """
    An optional extra a shell may provide: whether its uploads can write
    into a file that is there, from an offset (C{REST} then C{STOR}) or
    at its end (C{APPE}). A shell without it is taken to (as
    L{IFTPShell.openForWriting} says). One that says it cannot (an
    object store, which writes whole objects) is never asked to: the
    server refuses those commands itself (C{502}, nothing written), and
    says so where a client asks: C{OPTS REST STOR} gets C{501}, C{REST}'s
    C{350} names C{RETR} alone, C{HELP} leaves C{APPE} out. Downloads
    still restart (C{FEAT} lists C{REST STREAM}). It answers at once,
    from what the shell knows of its storage: nothing is a Deferred.
    """

    def writesAtOffsets():
        """
        @return: C{True} when C{openForWriting(path, offset)} with an
            offset above 0, and C{openForWriting(path, append=True)},
            write into the file; C{False} when they could only fail
            (L{ftpkit.errors.CommandNotImplemented}), whatever the path.
        """


class IFTPShellLocalPath(Interface):
    """
    An optional extra a shell whose files are on this machine's disk may
    provide: where a path is there, so that what runs after an upload
    (C{--on-upload}'s C{FTPKIT_FILE}, L{ftpkit.ops.events.Event.localFile})
    can find the file without knowing how the realm chose the user's
    home. It answers at once, from what the shell holds (its root): no
    storage is asked, and nothing is a Deferred. A shell without it
    (memory, an object store, SFTP, a plugin's) has no local file to
    name.
    """

    def localPath(path):
        """
        @param path: a tuple of segments.
        @return: the absolute path on this machine's disk at which the
            shell stores C{path} (C{str}, as C{os.fsdecode} gives it):
            its segments below the shell's root, as an upload of C{path}
            names its file (a symbolic link on the way, which the shell
            follows only inside its root, is kept in it); or C{None}
            where there is none (a name the shell refuses).
        """


IFTPShellStreamedListing.setTaggedValue("variantOf", "list")
IFTPShellAvailable.setTaggedValue("variantOf", "stat")
IFTPShellUploadsInPlace.setTaggedValue("variantOf", "stat")
IFTPShellNames.setTaggedValue("variantOf", "list")
IFTPShellListSome.setTaggedValue("variantOf", "list")
IFTPShellCreate.setTaggedValue("variantOf", "openForWriting")
IFTPShellTimes.setTaggedValue("variantOf", "setModificationTime")


class IDirectoryListing(Interface):
    """
    A directory listing in progress (see L{IFTPShellStreamedListing}).
    """

    def nextBatch():
        """
        @return: a Deferred firing with the next entries, a non-empty list
            of C{(name, FileInfo)} pairs in any order, or with an empty
            list once every entry was given; failing with an
            L{ftpkit.errors.FTPError} when the store fails. Called again
            only once the previous call's Deferred fired.
        """

    def close():
        """
        Release what the listing holds. Called once, after the last batch
        or when the listing is abandoned (the client went away), maybe
        while a L{nextBatch} is still running.

        @return: C{None}.
        """


class IStatListing(Interface):
    """
    An optional extra an L{IDirectoryListing} may provide, when its
    entries are described by C{os.stat} results: it hands each batch of
    results to the server's formatter where it reads them (in its own
    thread), so that no L{ftpkit.fileinfo.FileInfo} is made per entry
    and one C{bytes} value comes back per batch. The entries are those
    L{IDirectoryListing.nextBatch} would give, whose C{FileInfo} values
    the formatter would make from those results; a shell wrapper that
    changes or leaves out entries wraps the listing in one that does not
    provide this.
    """

    def nextFormattedBatch(format):
        """
        Read the next entries and format them.

        @param format: an L{ftpkit.protocol.listing.ListFormat},
            L{ftpkit.protocol.listingfacts.FactsFormat} or
            L{ftpkit.protocol.listing.NamesFormat}: call its
            C{stats(batch, owner, group)} with the batch, a list of
            C{(name, result)} pairs in any order, and two callables
            giving the names of a user id and a group id.
        @return: a Deferred firing with what C{stats} returned (C{b""}
            when every name of the batch was left out), or with C{None}
            once every entry was given; failing with an
            L{ftpkit.errors.FTPError} when the store fails. Called again
            only once the previous call's Deferred fired, and never mixed
            with L{IDirectoryListing.nextBatch} on one listing.
        """


class INameListing(Interface):
    """
    An optional extra an L{IDirectoryListing} may provide: its entries
    named a batch at a time without being described (a filesystem listing
    otherwise costs a C{stat} per entry), so that C{NLST} of a large
    directory, and a wildcard matched over one, hold a batch of names
    rather than the whole directory. The names are those of the entries
    L{IDirectoryListing.nextBatch} would give; a shell wrapper that
    changes or leaves out entries wraps the listing in one that does not
    provide this, or leaves the same names out.
    """

    def nextNames():
        """
        Read the names of the next entries.

        @return: a Deferred firing with a list of names (C{str}) in any
            order, empty once every entry was named (a batch whose
            entries were all left out is skipped); failing with an
            L{ftpkit.errors.FTPError} when the store fails. Called again
            only once the previous call's Deferred fired, and never mixed
            with L{IDirectoryListing.nextBatch} on one listing.
        """


OPTIONAL_SHELL_INTERFACES = (IFTPShellHash, IFTPShellNames, IFTPShellChmod,
                             IFTPShellFeatures, IFTPShellResume,
                             IFTPShellResumeOwners, IFTPShellStreamedListing,
                             IFTPShellCreate, IFTPShellListSome,
                             IFTPShellAvailable, IFTPShellResolve,
                             IFTPShellPermitted, IFTPShellTimes,
                             IFTPShellUploadOffsets, IFTPShellLocalPath,
                             IFTPShellUploadsInPlace)
"""
Every optional extra a shell may provide besides L{IFTPShell}: the shell
wrappers (L{ftpkit.shells.wrappers.ShellWrapper}) forward each one the
wrapped shell provides, and the conformance kit
(L{ftpkit.testing.IFTPShellConformanceMixin}) checks each one a shell
provides. A new optional interface is added here (and to L{__all__},
which L{ftpkit.interfaces} re-exports); the wrappers' forwarding methods
are made from it.

An extra that is another way to do what an L{IFTPShell} method does (a
listing without descriptions, a listing in batches) says which with its
tagged value C{"variantOf"} (the method's name): a wrapper that overrides
that method (to hide entries, to check a permission) provides the extra
only if it overrides the extra's methods too, so that a wrapper written
before the extra existed never has its restriction bypassed through it.
"""


class IFTPShellRates(Interface):
    """
    An optional extra of the shell a realm gives at login (read once,
    then): the user's own bandwidth limits, which replace
    C{--max-download-rate} and C{--max-upload-rate} for their sessions
    (the users file's C{max-download-rate}, say). A
    L{ftpkit.shells.shellwrapper.ShellWrapper} (C{ReadOnlyShell}...)
    around such a shell provides it too, with the wrapped shell's rates
    unless the wrapper is given its own (before session 47 the rates were
    lost in the wrapper).
    """

    downloadRate = Attribute(
        "Bytes a second the user's sessions may download at (a number above "
        "0), or None for the server's rate (which anything else gets, said "
        "in the log at the login).")
    uploadRate = Attribute(
        "Bytes a second the user's sessions may upload at, or None for the "
        "server's rate; as downloadRate.")
