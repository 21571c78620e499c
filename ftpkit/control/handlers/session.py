"""
Commands about the session itself: NOOP HELP FEAT OPTS STAT TYPE MODE
STRU (SYST CLNT CSID LANG are L{ftpkit.control.handlers.identity}'s,
SITE L{ftpkit.control.handlers.site}'s, ALLO
L{ftpkit.control.handlers.files}', beside AVBL).
"""

import time

from ftpkit.control.handlers.listed import findListed
from ftpkit.interfaces import IDirectoryListing, IStatListing
from ftpkit.protocol import (
    commandtable,
    listing,
    listingfacts,
    listingorder,
    orderedlines,
    paths,
)
from ftpkit.protocol.access import CHANGE
from ftpkit.protocol.commands import (
    parseHASHAlgorithm,
    parseMODE,
    parseOptsMLST,
    parseOptsModeZ,
    parseSTRU,
    parseTYPE,
)
from ftpkit.protocol.replies import shownName
from ftpkit.shells.listings import readFormatted, readListing

STAT_LIST_LIMIT = 2000
"""The most entries C{STAT} lists on the control connection; a directory
with more gets C{550} (C{LIST} and C{MLSD} send it in batches; C{STAT -R}
is cut there, as C{LIST -R} is at its bounds): the reply
is formatted in one piece, which held up every session of the server for
a time growing with the directory. A directory is read batch by batch,
and no further than this limit, so a C{STAT} of a huge one costs a few
batches, not the whole directory."""

HASH_NAMES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5",
              "sha512": "SHA-512"}
"""The name C{HASH}, C{OPTS HASH} and C{FEAT} give each C{hashlib}
algorithm (C{draft-bryan-ftpext-hash}), by its C{hashlib} name."""


class SessionCommands:
    """
    Session settings: transfer type, the facts MLST/MLSD show, the HASH
    algorithm; and the status and help commands, which say what
    L{SessionOffers<ftpkit.control.handlers.offers.SessionOffers>}
    decides the session offers.
    """

    sessionFields = frozenset(
        ["binary", "mlstFacts", "chosenHash", "shell", "username", "cwd",
         "deflate", "deflateLevel"])

    @property
    def hashAlgorithm(self):
        """
        @return: the C{hashlib} name selected with C{OPTS HASH}, or the
            server's first algorithm.
        """
        return self.session.chosenHash or parseHASHAlgorithm(
            self.config.hashAlgorithms[0])

    def ftp_NOOP(self, argument):
        """
        Do nothing, successfully.
        """
        return (200, "NOOP ok")

    def ftp_HELP(self, argument):
        """
        List the commands, or give one command's syntax; of a verb ftpkit
        knows but does not implement (which gets C{502}), say so; of any
        other, C{501}. The first word names the command: what follows it
        (C{HELP MODE Z}) is not part of its name, as in ProFTPD (it got
        C{501 Unknown command}). C{HELP SITE [command]} is C{SITE HELP
        [command]} (L{SiteCommands.siteHelp
        <ftpkit.control.handlers.site.SiteCommands.siteHelp>}), as in
        ProFTPD. Before login, once known (L{offering}).
        """
        return self.offering(self._help, argument)

    def _help(self, argument):
        """
        @param argument: C{HELP}'s argument.
        @return: its reply, from what is known now.
        """
        if argument.strip():
            verb, *rest = argument.upper().split(None, 1)
            if verb == "SITE":
                return self.siteHelp("".join(rest))
            if verb in commandtable.KNOWN_UNIMPLEMENTED:
                return (214, verb + " is not implemented")
            command = commandtable.lookup(verb)
            if command is None:
                # HELP is implemented (502 would say otherwise): its
                # argument is what is wrong.
                return (501, "Unknown command")
            reason = self.unavailableReason(command)
            if reason is not None:
                return (214, verb + " is not available here: " + reason)
            return (214, "Syntax: " + commandtable.syntaxOf(
                command, self.config.modeZ))
        return (214, ["The following commands are recognized:"]
                + commandtable.helpText(self.offeredVerbs()) + ["Help OK"])

    def ftp_FEAT(self, argument):
        """
        List the extensions this session offers (RFC 2389), once known
        (L{offering}).
        """
        return self.offering(self._features)

    def _features(self):
        """
        @return: C{FEAT}'s reply, from what is known now: made once for
            each state of the sessions of this server (L{featuresKey}),
            and sent as it was made.
        """
        return (211, self.factory.featureReplies.reply(
            self.featuresKey(), 211, self._featuresText))

    def _featuresText(self):
        """
        @return: C{FEAT}'s reply's lines, from what is known now.
        """
        return (["Features:"]
                + [" " + line for line in self.featureLines()] + ["End"])

    def ftp_OPTS(self, argument):
        """
        Set options: UTF8 (or C{UTF-8}), MLST facts, the HASH algorithm,
        C{MODE Z}'s level (L{parseOptsModeZ});
        C{REST STOR} (whether uploads resume, as WinSCP asks: they do, for
        a user who may change files and is granted appending somewhere,
        L{ftpkit.protocol.access.grantedBy}, on storage that writes at
        offsets: L{uploadsWriteAtOffsets}). A refusal is
        C{501}, RFC 2389's reply for any permanent error of C{OPTS}.
        """
        name, _, value = argument.strip().partition(" ")
        name = name.upper()
        value = value.strip()
        if name in ("UTF8", "UTF-8"):
            # Some clients spell it as the charset is spelt.
            if value.upper() in ("ON", ""):
                return (200, "UTF8 mode enabled")
            return (501, "UTF8 is always on")
        if name == "MLST":
            # RFC 3659 (7.9): "MLST OPTS", then a space and the facts
            # chosen only when there are any.
            self.session.mlstFacts = parseOptsMLST(value)
            facts = "".join(fact + ";" for fact in self._factNames())
            return (200, "MLST OPTS " + facts if facts else "MLST OPTS")
        if name == "REST":
            # WinSCP asks before resuming an upload with REST and STOR.
            if value.upper() != "STOR":
                return (501, "Only REST STOR is an option of REST")
            return self.offering(self._resumesOffered)
        if name == "MODE":
            if not self.config.modeZ:
                return (501, "MODE Z is not offered on this server")
            level = parseOptsModeZ(value)
            session = self.session
            session.deflateLevel = level
            if session.deflate is not None:
                session.deflate = level
            return (200, "OPTS MODE Z OK: level %d" % (level,))
        if name == "HASH":
            if not self.hashOffered():
                return (501, "HASH is not available here")
            if not value:
                return (200, HASH_NAMES[self.hashAlgorithm])
            algorithm = parseHASHAlgorithm(value)
            if HASH_NAMES.get(algorithm) not in self.config.hashAlgorithms:
                return (501, "Unknown algorithm")
            self.session.chosenHash = algorithm
            return (200, HASH_NAMES[algorithm])
        return (501, "Unknown option")

    def _resumesOffered(self):
        """
        @return: C{OPTS REST STOR}'s reply, from what is known now.
        """
        access = self.knownAccess()
        if not (access.allows(CHANGE) and access.resumesGranted):
            # A resumed upload changes a file (refused to read-only and
            # anonymous users, and where a users file's permissions grant
            # append nowhere).
            return (501, "REST STOR: uploads do not resume for this user")
        if not self.uploadsWriteAtOffsets():
            # The store writes whole files (an object store): STOR after
            # REST gets 502.
            return (501, "REST STOR: uploads do not resume on this storage")
        return (200, "REST STOR: uploads resume from a REST offset")

    def _factNames(self):
        """
        @return: the facts C{OPTS MLST} chose, spelt as its reply gives
            them (C{UNIX.mode}, C{UNIX.owner}...).
        """
        return [listingfacts.factName(fact)
                for fact in self.session.mlstFacts]

    async def ftp_STAT(self, argument):
        """
        Report transfer progress, the session's status, or a listing (of
        at most L{STAT_LIST_LIMIT} entries): C{212} for a directory's,
        C{213} for a file's (and a directory's own line, with C{-d}:
        L{findListed}); with C{-R}, a directory's tree, cut at that
        many entries (L{ftpkit.control.handlers.listings.ListingCommands.statusTree}).
        """
        if self.transfer is not None:
            return (213, self.transfer.status())
        if not argument:
            return (211, self._statusLines())
        session = self.session
        if session.shell is None:
            return self.loginFirst()
        now = time.time()
        # Whatever the options: its lines are read as records in any order.
        sorting = orderedlines.SortingFormat(now)
        listed = await findListed(session.shell, session.cwd, argument,
                                  self.listingTurn, self.inThread,
                                  streamed=True, directoryOption=True,
                                  formatFor=lambda letters: sorting)
        tree = await self.statusTree(listed, STAT_LIST_LIMIT)
        if tree is not None:
            return tree
        lines = await self._statusListing(listed, now)
        if lines is None:
            return (550, "Over %d entries; use LIST or MLSD"
                    % STAT_LIST_LIMIT)
        # RFC 959: 212 is a directory's status, 213 a file's.
        return (212 if listed.isDirectory else 213,
                ["Status of " + shownName(paths.toText(listed.path)) + ":"]
                + lines + ["End of status"])

    async def _statusListing(self, listed, now):
        """
        The lines of C{STAT}'s listing: a listing that formats its own
        batches (a local directory's, or a pattern's matches in it) read
        as sorted records (L{orderedlines}), from the listings' cache as
        C{LIST -t}'s are; any other read as L{ftpkit.fileinfo.FileInfo}
        values. In name order, or the order the options ask for.

        @param listed: what C{STAT}'s argument names (L{findListed}).
        @param now: the time the lines are formatted at.
        @return: the lines, text without their ends (each holds no CR or
            LF: a name holding one is left out); C{None} when there are
            over L{STAT_LIST_LIMIT} entries.
        """
        entries = listed.entries
        letters = listed.options if listed.isDirectory else ""
        if IStatListing.providedBy(entries):
            read = await readFormatted(
                entries, orderedlines.SortingFormat(now), STAT_LIST_LIMIT)
            return None if read is None else [
                record.partition(b"\0")[2].decode("utf-8", "surrogateescape")
                for record in orderedlines.sortedRecords(read, letters)]
        if IDirectoryListing.providedBy(entries):
            entries = await readListing(entries, STAT_LIST_LIMIT)
        if entries is None or len(entries) > STAT_LIST_LIMIT:
            return None
        if listingorder.isOrdered(letters):
            entries = listingorder.ordered(entries, letters)
        # The body's lines end in CRLF and hold no CR or LF: splitlines
        # would also break a name at VT, FF, NEL or U+2028, forging a line.
        return listing.formatListing(entries, now).decode(
            "utf-8", "surrogateescape").split("\r\n")[:-1]

    def _statusLines(self):
        session = self.session
        return [
            "ftpkit status:",
            "Connected to " + str(self.peer),
            ("Logged in as " + str(session.username)
             if session.shell is not None else "Not logged in"),
            "TYPE: " + ("BINARY" if session.binary else "ASCII")
            + ", STRUcture: File, MODE: "
            + ("Stream" if session.deflate is None
               else "Deflate (level %d)" % (session.deflate,)),
            "Control connection: " + ("TLS" if self.tls.controlSecure
                                      else "plain"),
            "Data protection: " + ("Private" if self.tls.protectData
                                   else "Clear"),
            "End of status",
        ]

    def ftp_TYPE(self, argument):
        """
        Choose ASCII (A) or binary (I, L 8) transfers.
        """
        kind = parseTYPE(argument)
        self.session.binary = kind == "I"
        return (200, "Type set to " + ("I" if self.session.binary else "A"))

    def ftp_MODE(self, argument):
        """
        Stream mode (S), or deflate (Z, draft-preston-ftpext-deflate) where
        the server offers it (C{--mode-z}; elsewhere C{504}): the data
        connections carry a zlib stream, at the level C{OPTS MODE Z}
        chose (L{ftpkit.data.movers}).
        """
        session = self.session
        if parseMODE(argument) == "Z":
            if not self.config.modeZ:
                return (504, "MODE Z is not offered on this server")
            session.deflate = session.deflateLevel
            return (200, "Mode set to Z")
        session.deflate = None
        return (200, "Mode set to S")

    def ftp_STRU(self, argument):
        """
        Only file structure (F) is supported.
        """
        parseSTRU(argument)
        return (200, "Structure set to F")
