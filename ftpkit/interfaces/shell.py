"""
L{IFTPShell}: the storage a logged-in user works on, what every shell
provides (the rules common to all shells are in L{ftpkit.interfaces}).
"""

from zope.interface import Interface


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

        @param path: a tuple of segments.
        @return: a Deferred firing with C{None}; fails with
            L{ftpkit.errors.AlreadyExists} when the path exists (a file, a
            directory, or C{()}), L{ftpkit.errors.NoSuchFile} when the
            parent does not.
        """

    def removeDirectory(path):
        """
        Remove an empty directory.

        @param path: a tuple of segments.
        @return: a Deferred firing with C{None}, or with how many hidden
            entries (the disk shell's partial uploads) went with it, which
            a quota must then measure again, unless that count is a
            L{ftpkit.fileinfo.HiddenEntries} telling their bytes; fails with
            L{ftpkit.errors.DirectoryNotEmpty}, L{ftpkit.errors.NotDirectory}
            or L{ftpkit.errors.PermissionDenied} (for the root).
        """

    def removeFile(path):
        """
        Remove a file. A shell that keeps cut uploads for a resume
        (L{IFTPShellResume}) also removes the one of C{path} its user
        sees, and succeeds where that was all there was.

        @param path: a tuple of segments.
        @return: a Deferred firing with C{None}, or with a
            L{ftpkit.fileinfo.HiddenEntries} telling the hidden files
            (cut uploads) that went with it, their bytes, and whether the
            file itself was there (C{fileGone}); fails with
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
            L{ftpkit.errors.InvalidPath} (best its subclass
            L{ftpkit.errors.MovedIntoItself}, whose text says why);
          - the root, as either path: L{ftpkit.errors.PermissionDenied};
          - a missing C{fromPath}, or a missing directory holding
            C{toPath}: L{ftpkit.errors.NoSuchFile}.

        A failed rename changes nothing.

        @param fromPath: a tuple of segments: what to rename.
        @param toPath: a tuple of segments: its new path.
        @return: a Deferred firing with C{None}.
        """

    def openForReading(path, offset=0):
        """
        Open a file to download it.

        @param path: a tuple of segments naming a file.
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

        @param path: a tuple of segments naming a file.
        @param offset: the byte to write from.
        @param append: append to the file.
        @return: a Deferred firing with an L{IRandomWriteFile} (the simple
            way) or an L{IWriteFile} (producer/consumer); fails with
            L{ftpkit.errors.IsDirectory} when C{path} is a directory (or
            C{()}), L{ftpkit.errors.NoSuchFile} when its directory is
            missing.
        """

    def setModificationTime(path, when):
        """
        Set a file's (or directory's) modification time.

        @param path: a tuple of segments.
        @param when: seconds since the epoch, UTC.
        @return: a Deferred firing with C{None}.
        """
