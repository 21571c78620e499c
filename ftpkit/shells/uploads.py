"""
Where the filesystem shell keeps uploads that are not in place yet, and
the rule for those cut short (blocking functions, run in disk threads).

An upload that replaces a file is written to a hidden temporary file in
the target's directory, named after the target (L{temporaryName}), and
renamed over the target once complete, so the old file stays intact until
then. An upload that creates a file is written to a file with no name at
all (L{createAnonymous}: Linux's C{O_TMPFILE}), which gets the target's
name once complete (L{linkAnonymous}): nobody sees it before, and there is
no temporary name to make and remove (C{docs/benchmark-history.rst}, "Small
uploads: a new file gets its name once"); where the file system or the
system has no such files, it takes the temporary file's way.

When an upload is cut (the client went away, C{ABOR}, the server
stopping), what it received is kept, hidden, as the target's I{partial
upload} (L{partialPath}: C{.ftpkit-partial.NAME}) for L{PARTIAL_LIFETIME}
seconds, for whoever the upload was for, its I{resumer}
(L{ftpkit.shells.partialowners}: the session's user): the resumer's
C{SIZE} on the target answers its size, and the resumer's C{REST} +
C{STOR} or C{APPE} on the target continue it (and the completed file then
replaces the target). While a resume continues it, it is under its
L{resumingPath} (a temporary name), and the resumer's C{SIZE} answers
what it holds so far, another resume of it gets C{450}. Everyone else
sees the target alone: its size, and their resumes write into it in
place. A target has one partial upload: a
later cut upload replaces it, whoever it is for. The resumer is recorded
when the upload starts, so a crashed upload's, made one by the sweep, is
its uploader's; one that records none (an older ftpkit's, a file system
without user extended attributes) is anyone's. A partial
upload older than the target file (which a later upload completed; not a
directory made at its name since, which refuses its resume) or than its
lifetime is ignored and removed, and a cut upload whose target changed
since it began (another upload of it, begun later, completed first:
L{targetVersion}) keeps nothing. An upload refused for its size keeps
nothing.

At start (L{sweep}, in a thread while the process serves), the temporary
files a crashed process left become partial uploads of their targets, or
are removed once expired; a resume before the sweep reached its target's
file makes it a partial upload itself (L{beginSweep}). A file
with no name does not outlive its process: the upload of a new file that
a crash cut short is gone, as if it had never started (one cut by the
client, C{ABOR} or C{SIGTERM} is kept as above).

Each part has a module of its own; this one gives their names, as it
did when it held them all:

  - L{ftpkit.shells.uploadnames}: the temporary and partial names, and
    the temporary file of an upload;
  - L{ftpkit.shells.anonymousfiles}: files with no name and their
    linking;
  - L{ftpkit.shells.partials}: partial uploads kept, resumed (claimed),
    given back, stale;
  - L{ftpkit.shells.partialowners}: whom a partial upload is kept for;
  - L{ftpkit.shells.directoryremoval}: C{RMD} of a directory holding
    partial uploads;
  - L{ftpkit.shells.partialsweep}: the sweep at start;
  - L{ftpkit.shells.uploadremoval}: removing those files safely.
"""

from ftpkit.shells.anonymousfiles import (
    createAnonymous,
    linkAnonymous,
    nameAnonymous,
)
from ftpkit.shells.directoryremoval import (
    removeDirectoryAt,
)
from ftpkit.shells.partials import (
    TAKE_GRACE,
    UNKNOWN,
    claimPartial,
    dropPartial,
    giveBack,
    keepPartial,
    resumableSize,
    targetTime,
    targetVersion,
    versionOf,
)
from ftpkit.shells.partialsweep import (
    beginSweep,
    endSweep,
    sweep,
    sweepPending,
)
from ftpkit.shells.uploadnames import (
    PARTIAL_LIFETIME,
    PARTIAL_PREFIX,
    TEMPORARY_PREFIX,
    TEMPORARY_SUFFIX,
    createTemporary,
    isHidden,
    partialPath,
    resumingPath,
    targetLabel,
    targetOfTemporary,
    temporaryName,
    temporaryTag,
)

__all__ = [
    "PARTIAL_LIFETIME",
    "PARTIAL_PREFIX",
    "TAKE_GRACE",
    "TEMPORARY_PREFIX",
    "TEMPORARY_SUFFIX",
    "UNKNOWN",
    "beginSweep",
    "claimPartial",
    "createAnonymous",
    "createTemporary",
    "dropPartial",
    "endSweep",
    "giveBack",
    "isHidden",
    "keepPartial",
    "linkAnonymous",
    "nameAnonymous",
    "partialPath",
    "targetLabel",
    "removeDirectoryAt",
    "resumableSize",
    "resumingPath",
    "sweep",
    "sweepPending",
    "targetOfTemporary",
    "targetTime",
    "targetVersion",
    "temporaryName",
    "temporaryTag",
    "versionOf",
]
