"""
The plugin surface of ftpkit: storage (shells), open files and realms.

Paths given to a shell are tuples of already-validated segments produced
by L{ftpkit.protocol.paths}: C{()} is the root, C{("a", "b.txt")} is C{/a/b.txt}.
A segment is never C{""}, C{"."} or C{".."} and never contains C{"/"} or
NUL. Every shell method returns a L{twisted.internet.defer.Deferred} that
fails with an L{ftpkit.errors.FTPError} subclass on a user-visible error
(a missing path, or a missing directory on the way to it, is
L{ftpkit.errors.NoSuchFile} unless a method says otherwise); a shell whose
work blocks runs it in threads of its own (L{ftpkit.blocking}). The
conformance kit (L{ftpkit.testing.IFTPShellConformanceMixin}) checks every
rule given here.
"""

from twisted.internet.interfaces import IConsumer
from zope.interface import Attribute, Interface


class IFTPShell(Interface):
    """
    What a logged-in user can see and do.

    The root, C{()}, always exists and is a directory; it cannot be
    removed, renamed or replaced.
    """

    def stat(path):
        """
        Describe one path (C{()}: the root, a directory).

        @param path: a tuple of segments.
        @return: a Deferred firing with a L{ftpkit.fileinfo.FileInfo};
            fails with L{ftpkit.errors.NoSuchFile} if it does not exist.
        """

    def list(path):
        """
        List a directory.

        @param path: a tuple of segments naming a directory.
        @return: a Deferred firing with a list of C{(name, FileInfo)} pairs,
            sorted by name (C{.} and C{..} are not entries); fails with
            L{ftpkit.errors.NotDirectory} when C{path} is a file.
        """

    def makeDirectory(path):
        """
        Create a directory (its parent must exist).

        @return: a Deferred firing with C{None}; fails with
            L{ftpkit.errors.AlreadyExists} when the path exists (a file, a
            directory, or C{()}), L{ftpkit.errors.NoSuchFile} when the
            parent does not.
        """

    def removeDirectory(path):
        """
        Remove an empty directory.

        @return: a Deferred firing with C{None}; fails with
            L{ftpkit.errors.DirectoryNotEmpty}, L{ftpkit.errors.NotDirectory}
            or L{ftpkit.errors.PermissionDenied} (for the root).
        """

    def removeFile(path):
        """
        Remove a file.

        @return: a Deferred firing with C{None}; fails with
            L{ftpkit.errors.IsDirectory} for a directory (C{()} included).
        """

    def rename(fromPath, toPath):
        """
        Rename (move) a file or directory, as POSIX C{rename} does, minus
        replacing a directory:

          - an existing target file is replaced, in one step;
          - renaming a path onto itself succeeds and changes nothing;
          - nothing replaces a directory: L{ftpkit.errors.AlreadyExists};
          - a directory does not replace a file:
            L{ftpkit.errors.NotDirectory};
          - a directory cannot move into itself or below itself:
            L{ftpkit.errors.InvalidPath};
          - the root, as either path: L{ftpkit.errors.PermissionDenied};
          - a missing C{fromPath}, or a missing directory holding
            C{toPath}: L{ftpkit.errors.NoSuchFile}.

        A failed rename changes nothing.

        @return: a Deferred firing with C{None}.
        """

    def openForReading(path, offset=0):
        """
        Open a file to download it.

        @param offset: the byte to start from (REST).
        @return: a Deferred firing with an L{IRandomReadFile} (the simple
            way) or an L{IReadFile} (producer/consumer); fails with
            L{ftpkit.errors.IsDirectory} for a directory.
        """

    def openForWriting(path, offset=0, append=False):
        """
        Open a file to upload into it.

        With C{offset=0, append=False} the file is replaced only when the
        upload completes (L{IWriteFile.close}); L{IWriteFile.abort} leaves
        any old file untouched. C{offset > 0} resumes (writes from that
        byte, truncating after it); C{append=True} appends.

        @return: a Deferred firing with an L{IRandomWriteFile} (the simple
            way) or an L{IWriteFile} (producer/consumer); fails with
            L{ftpkit.errors.IsDirectory} when C{path} is a directory (or
            C{()}), L{ftpkit.errors.NoSuchFile} when its directory is
            missing.
        """

    def setModificationTime(path, when):
        """
        Set a file's (or directory's) modification time.

        @param when: seconds since the epoch, UTC.
        @return: a Deferred firing with C{None}.
        """


class IFTPShellHash(Interface):
    """
    An optional extra a shell may provide: checksums for the HASH command.
    """

    def hash(path, algorithm, start=0, end=None):
        """
        Checksum a file (or the byte range C{[start, end)}).

        @param algorithm: a C{hashlib} name: C{"sha256"}, C{"sha1"}, C{"md5"}.
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


class IFTPShellChmod(Interface):
    """
    An optional extra a shell may provide: changing permission bits, for
    C{SITE CHMOD}.
    """

    def setPermissions(path, mode):
        """
        Set a file's or directory's permission bits.

        @param mode: the bits, from C{0} to C{0o777} (no set-id or sticky
            bits).
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
    what was kept.
    """

    def resumableSize(path):
        """
        @param path: a tuple of segments naming an upload's target.
        @return: a Deferred firing with the bytes a cut upload of C{path}
            kept for a resume, or C{None} when there is none;
            C{openForWriting(path, size)} (or with C{append=True}) then
            continues it.
        """


class IFTPShellCreate(Interface):
    """
    An optional extra a shell may provide: an upload that only creates a
    file, never replacing one, even one that another upload of the same
    name completed while it ran. C{STOU} (a name nobody has) and
    anonymous uploads (which may only create) use it; without it they
    check the name when they start, and the later of two uploads racing
    for one name replaces the earlier.
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
            and stores nothing.
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


IFTPShellStreamedListing.setTaggedValue("variantOf", "list")
IFTPShellNames.setTaggedValue("variantOf", "list")
IFTPShellCreate.setTaggedValue("variantOf", "openForWriting")


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
            L{ftpkit.protocol.listing.FactsFormat} or
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


OPTIONAL_SHELL_INTERFACES = (IFTPShellHash, IFTPShellNames, IFTPShellChmod,
                             IFTPShellFeatures, IFTPShellResume,
                             IFTPShellStreamedListing, IFTPShellCreate)
"""
Every optional extra a shell may provide besides L{IFTPShell}: the shell
wrappers (L{ftpkit.shells.wrappers.ShellWrapper}) forward each one the
wrapped shell provides, and the conformance kit
(L{ftpkit.testing.IFTPShellConformanceMixin}) checks each one a shell
provides. A new optional interface is added here; the wrappers' forwarding
methods are made from it.

An extra that is another way to do what an L{IFTPShell} method does (a
listing without descriptions, a listing in batches) says which with its
tagged value C{"variantOf"} (the method's name): a wrapper that overrides
that method (to hide entries, to check a permission) provides the extra
only if it overrides the extra's methods too, so that a wrapper written
before the extra existed never has its restriction bypassed through it.
"""


class IFTPShellRates(Interface):
    """
    An optional extra of the shell a realm gives at login (read once, then,
    not forwarded by wrappers): the user's own bandwidth limits, which
    replace C{--max-download-rate} and C{--max-upload-rate} for their
    sessions (the users file's C{max-download-rate}, say).
    """

    downloadRate = Attribute(
        "Bytes a second the user's sessions may download at, or None for "
        "the server's rate.")
    uploadRate = Attribute(
        "Bytes a second the user's sessions may upload at, or None for the "
        "server's rate.")


class IReadFile(Interface):
    """
    A file opened for a download, sending itself through a producer: the
    advanced way, for a shell that does its own flow control (or moves
    bytes without Python, with L{IDescriptorFile}). Most shells open an
    L{IRandomReadFile} instead, which the server adapts to this.
    """

    size = Attribute(
        "The number of bytes send() will write (from the open offset), or "
        "None when not known in advance.")

    def send(consumer):
        """
        Write the whole file (from the open offset) to C{consumer}.

        The file registers a producer on the consumer so that a slow
        consumer slows the reads down. (A file backed by a descriptor may
        also provide L{IDescriptorFile}; the server then may not call
        C{send} at all.)

        @param consumer: an L{twisted.internet.interfaces.IConsumer}.
        @return: a Deferred firing with the number of bytes sent once all
            of them were written to the consumer, after the producer was
            unregistered.
        """

    def close():
        """
        Release the file (idempotent; called after C{send} or on abort).
        """


class IWriteFile(Interface):
    """
    A file opened for an upload, receiving it through a consumer: the
    advanced way, for a shell that does its own flow control (or moves
    bytes without Python, with L{IDescriptorFile}). Most shells open an
    L{IRandomWriteFile} instead, which the server adapts to this.
    """

    def receive():
        """
        @return: a Deferred firing with an L{IConsumer} the data connection
            writes the uploaded bytes to. The consumer honours
            C{registerProducer} by pausing the producer when it is behind.
        """

    def close():
        """
        Commit the upload: every byte is on disk and the file is in place
        (an atomic rename when it replaces a file).

        @return: a Deferred firing with C{None} once committed.
        """

    def abort():
        """
        Discard the upload; an old file, if any, stays as it was.

        @return: a Deferred firing with C{None}.
        """


class IPartialWriteFile(IWriteFile):
    """
    An L{IWriteFile} whose L{IWriteFile.abort} may keep what the upload
    received, hidden, for a client to resume (see L{IFTPShellResume}), and
    which can also be dropped whole.
    """

    def discard():
        """
        Drop the upload and everything it wrote (the server calls it for an
        upload refused for its size): an old file stays as it was, and a
        file written in place goes back to its length before the upload.

        @return: a Deferred firing with C{None}.
        """


class IRefusingWriteFile(IWriteFile):
    """
    An L{IWriteFile} whose consumer may refuse the rest of an upload (over
    a quota, the disk full): it then stops its producer, which cuts the
    data connection instead of reading the client to its end, and says
    why here, so that the client gets that reply rather than C{426}.
    """

    def refusal():
        """
        @return: the L{ftpkit.errors.FTPError} for which the upload's bytes
            were refused, or C{None} while they are taken.
        """


class IRandomReadFile(Interface):
    """
    A file opened for a download, read at offsets: the simple alternative
    to L{IReadFile} that L{IFTPShell.openForReading} may fire with.

    The server turns it into a producer (L{ftpkit.shells.adapters}): it
    asks for the next chunks while the data connection keeps up, one or
    two reads ahead, never more, and calls L{close} once the transfer is
    over. A storage whose reads block runs them in threads of its own
    (L{ftpkit.blocking}).
    """

    size = Attribute(
        "The number of bytes from the open offset to the end of the file, "
        "or None when not known in advance.")

    def readAt(offset, length):
        """
        Read up to C{length} bytes.

        @param offset: where to read from, counted from the byte the file
            was opened at: C{readAt(0, n)} reads the first byte of the
            download (byte C{N} of the file after C{REST N}).
        @param length: the most bytes wanted (more than 0).
        @return: a Deferred firing with C{bytes}: C{length} of them, or
            fewer (C{b""} included) only at the end of the file; failing
            with an L{ftpkit.errors.FTPError} when the read fails.
        """

    def close():
        """
        Release the file. Called once, after the last read finished.

        @return: C{None}, or a Deferred firing when released.
        """


class IRandomWriteFile(Interface):
    """
    A file opened for an upload, written at offsets: the simple
    alternative to L{IWriteFile} that L{IFTPShell.openForWriting} may fire
    with.

    The server turns it into a consumer with backpressure
    (L{ftpkit.shells.adapters}): it calls L{writeAt} one call at a time, in
    order, and pauses the upload while a write is outstanding. Then it
    calls L{close} or L{abort}, once.
    """

    def writeAt(offset, data):
        """
        Write bytes.

        @param offset: where to write, counted from the byte the upload
            starts at: C{writeAt(0, data)} writes the upload's first bytes
            (at byte C{N} of the file after C{REST N}, at the old end of
            the file for an append). Writes come in order, each where the
            previous one ended.
        @param data: the C{bytes} to write (never empty).
        @return: a Deferred firing once written (it may stay in a
            temporary place until L{close}); failing with an
            L{ftpkit.errors.FTPError} (L{ftpkit.errors.InsufficientStorage}
            when the disk is full, say) when it cannot be.
        """

    def close():
        """
        Commit the upload: every byte written is stored and the file is in
        place (replacing an old one in one step, for a new upload). The
        server replies C{226} only after this fires.

        @return: a Deferred firing with C{None} once committed; failing
            with an L{ftpkit.errors.FTPError} when the upload cannot be
            committed (nothing is then in place).
        """

    def abort():
        """
        Discard the upload: an old file, if any, stays as it was, and a
        new file is not created.

        @return: a Deferred firing with C{None}.
        """


class IDescriptorFile(Interface):
    """
    An optional capability of an L{IReadFile} or L{IWriteFile} backed by an
    operating-system file descriptor: the server may then move the
    transfer's bytes between it and a plain data socket inside the kernel
    (C{sendfile}, C{splice}), instead of calling L{IReadFile.send} or
    L{IWriteFile.receive}. Which way the bytes go is the server's choice
    (L{ftpkit.data.movers}); a file providing this must still work through
    C{send} or C{receive}.
    """

    def descriptor():
        """
        @return: the L{ftpkit.fileinfo.FileDescriptor} to move this
            transfer's bytes through, or C{None} when this open file cannot
            be used that way (an upload opened to append, say). Called at
            most once, before any byte moves.
        """


class IRealmPlugin(Interface):
    """
    A plugin, found with L{twisted.plugin.getPlugins}, that builds a
    L{twisted.cred.portal.IRealm} whose avatars are L{IFTPShell}s.
    C{--realm NAME[:ARGS]} picks one.
    """

    name = Attribute("The name given to --realm, e.g. 'filesystem'.")
    description = Attribute("A one-line description.")
    argumentHelp = Attribute("Help text for the ARGS part of --realm.")

    def makeRealm(argument, options):
        """
        Build the realm.

        This runs while the options are parsed: as the user who started
        the server (often root), before C{twistd} forks into the
        background and switches to C{--uid}/C{--gid}. Check the argument
        here, but open nothing the server needs later (files, connections,
        threads): open them at first use.

        @param argument: the text after C{NAME:} in C{--realm}, or C{""}.
        @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping).
        @return: an L{twisted.cred.portal.IRealm} that answers
            C{requestAvatar(avatarId, mind, IFTPShell)} with
            C{(IFTPShell, shell, logout)}.
        @raise ValueError: when C{argument} is not valid; the message is
            shown to the user as a usage error.
        """


class IFTPEventObserver(Interface):
    """
    Told what users do, after they did it: for plugin authors (indexing
    uploads, scanning them, notifying someone).

    Each method gets an L{ftpkit.ops.events.Event}: C{event.user},
    C{event.peer} (the client's address), C{event.anonymous},
    C{event.path} (the absolute path as the user sees it), C{event.bytes},
    C{event.seconds}, C{event.time}; see its docstring for the rest.

    A method may return a L{twisted.internet.defer.Deferred}: the session
    never waits for it. While an observer has many calls unfinished, the
    newest events are not given to it (and that is logged), so a slow
    observer costs memory up to a bound, and never delays a session. A
    failure is logged. A method must not block: do slow work in a thread
    or another process (L{ftpkit.control.uploadhook} runs a command).

    Register one by having the realm a realm plugin builds provide this
    interface too, or through a plugin of its own
    (L{IFTPEventObserverPlugin}).
    """

    def loggedIn(event):
        """
        A user logged in.
        """

    def loggedOut(event):
        """
        A logged-in user left (C{event.seconds} since login,
        C{event.bytesIn} and C{event.bytesOut} moved meanwhile).
        """

    def uploadFinished(event):
        """
        A file was received completely (C{226}) and is in place:
        C{event.command} is C{STOR}, C{APPE} or C{STOU}.
        """

    def downloadFinished(event):
        """
        A file was sent completely (C{RETR}, C{226}).
        """

    def deleted(event):
        """
        A file was deleted (C{DELE}).
        """

    def renamed(event):
        """
        A file or directory was renamed from C{event.path} to
        C{event.target}.
        """

    def madeDirectory(event):
        """
        A directory was made (C{MKD}).
        """

    def removedDirectory(event):
        """
        A directory was removed (C{RMD}).
        """


class IFTPEventObserverPlugin(Interface):
    """
    A plugin, found with L{twisted.plugin.getPlugins} in
    C{twisted/plugins}, that may give the server an L{IFTPEventObserver}.
    Every installed one is asked at start.
    """

    name = Attribute("A name for logs.")

    def makeObserver(options):
        """
        @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping).
        @return: an L{IFTPEventObserver}, or C{None} to stay out.
        """


# Deprecated: how a descriptor-backed file once met a data socket. ftpkit
# no longer calls or provides them (see IDescriptorFile); they stay
# importable for code written against 0.1.


class IZeroCopyReadFile(IReadFile):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    An L{IReadFile} backed by a file descriptor, which can also be copied
    to a bare L{ISendfileTarget} (a data socket with no Twisted transport
    around it, cheaper to set up for small files).
    """

    def sendfileTo(target):
        """
        Copy the whole file (from the open offset) with C{target.sendfile}.

        @param target: an L{ISendfileTarget}.
        @return: a Deferred firing with the number of bytes sent.
        """


class IZeroCopyWriteFile(IWriteFile):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    An L{IWriteFile} backed by a file descriptor, which can also be filled
    straight from a bare L{ISpliceSource} (a data socket with no Twisted
    transport around it), without the bytes passing through Python.
    """

    def receiveFrom(source):
        """
        Receive the whole upload with C{source.spliceInto}; then
        L{IWriteFile.close} or L{IWriteFile.abort} it as usual.

        @param source: an L{ISpliceSource}.
        @return: a Deferred firing with the number of bytes received.
        """


class ISpliceSource(Interface):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    Where an upload's bytes can be moved from into a file descriptor without
    passing through Python (a data socket, with C{splice}).
    """

    def spliceInto(fd, position, run):
        """
        Move everything the peer sends, until it closes its side, into
        descriptor C{fd} from offset C{position}.

        @param run: runs a blocking call off the reactor thread (the disk
            writes): C{run(function, *args)} returns a Deferred with its
            result, failing with an L{ftpkit.errors.FTPError}.
        @return: a Deferred firing with the number of bytes moved; failing
            with L{ftpkit.errors.TransferAborted} when the connection broke
            or was aborted, or with the L{ftpkit.errors.FTPError} of a
            failed write.
        """


class ISendfileTarget(Interface):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    Somewhere a file descriptor's bytes can be copied to without passing
    through Python (a data socket, with C{sendfile}).
    """

    def sendfile(fd, offset, count, warm=None):
        """
        Copy C{count} bytes from descriptor C{fd}, starting at C{offset},
        to the peer, without passing them through Python.

        @param warm: for a file on disk, C{warm(offset, count)} reads that
            range into memory off the reactor thread and returns a Deferred
            firing when done; it is called before copying a range that is
            not in memory, so that C{sendfile} does not wait for the disk.
        @return: a Deferred firing with the number of bytes sent (fewer than
            C{count} only if the file was shorter).
        """


class IZeroCopyConsumer(IConsumer, ISendfileTarget):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    A consumer (the data channel, on a plain socket in binary mode) that
    can also copy straight from a file descriptor to the network.
    """
