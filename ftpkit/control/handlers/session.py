"""
Commands about the session itself: NOOP HELP FEAT OPTS STAT TYPE MODE
STRU ALLO (SYST CLNT CSID LANG are L{ftpkit.control.handlers.identity}'s,
SITE L{ftpkit.control.handlers.site}'s).
"""

import time

from ftpkit.auth.checkers import portalAcceptsOnlyAnonymous
from ftpkit.control.grantswait import grantsPending, onceKnown
from ftpkit.control.handlers.listed import findListed
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellFeatures,
    IFTPShellHash,
    IFTPShellUploadOffsets,
    IStatListing,
)
from ftpkit.protocol import (
    commandtable,
    factchanges,
    listing,
    listingfacts,
    listingorder,
    orderedlines,
    paths,
)
from ftpkit.protocol.access import CHANGE, AccessPolicy, grantedBy
from ftpkit.protocol.commands import (
    parseALLO,
    parseHASHAlgorithm,
    parseMODE,
    parseOptsMLST,
    parseOptsModeZ,
    parseSTRU,
    parseTYPE,
)
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


class SessionCommands:
    """
    Session settings: transfer type, the facts MLST/MLSD show, the HASH
    algorithm; and the status and help commands.
    """

    sessionFields = frozenset(
        ["binary", "mlstFacts", "chosenHash", "shell", "username", "cwd",
         "access", "epsvAll", "portal", "deflate", "deflateLevel"])

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
        other, C{501}. C{HELP SITE [command]} is C{SITE HELP [command]}
        (L{SiteCommands.siteHelp
        <ftpkit.control.handlers.site.SiteCommands.siteHelp>}), as in
        ProFTPD.
        """
        if argument:
            verb = argument.strip().upper()
            if verb.split(" ", 1)[0] == "SITE":
                return self.siteHelp(argument.strip()[4:])
            if verb in commandtable.KNOWN_UNIMPLEMENTED:
                return (214, verb + " is not implemented")
            command = commandtable.lookup(verb)
            if command is None:
                # HELP is implemented (502 would say otherwise): its
                # argument is what is wrong.
                return (501, "Unknown command")
            reason = self._unavailable(command)
            if reason is not None:
                return (214, verb + " is not available here: " + reason)
            return (214, "Syntax: " + commandtable.syntaxOf(
                command, self.config.modeZ))
        return (214, ["The following commands are recognized:"]
                + commandtable.helpText(self._offeredVerbs()) + ["Help OK"])

    def _offeredVerbs(self):
        """
        The verbs this session offers, as C{FEAT} lists their features: a
        verb that would be refused whatever its argument here (C{AUTH}
        without TLS, C{HASH} on a shell without checksums, C{PASV} on an
        IPv6 connection) is not recognized here.

        @return: a list of verbs, in the command table's order.
        """
        refused = commandtable.unavailableVerbs(**self._offerSettings())
        unsupported = self._unsupported() | self._unsettable()
        return [verb for verb, command in commandtable.COMMANDS.items()
                if verb not in refused
                and (command.feature or verb).split()[0] not in unsupported]

    def _unavailable(self, command):
        """
        @param command: a L{commandtable.Command}.
        @return: why this session does not offer it (L{_offeredVerbs}), as
            text, or C{None} when it does.
        """
        keyword = (command.feature or command.verb).split()[0]
        if keyword in self._unsettable():
            refusals = self._factRefusals()
            if refusals is None:
                return "you may not change what it sets"
            if keyword == "MFMT":
                refusals = {factchanges.MODIFY: refusals[factchanges.MODIFY]}
            return factchanges.refusalText(refusals)
        if keyword in self._unsupported():
            return "this storage cannot do it"
        return commandtable.unavailable(command, **self._offerSettings())

    def _unsettable(self, settable=None):
        """
        @param settable: L{settableFacts}, when already asked.
        @return: the C{FEAT} keywords of the commands that set facts
            (C{MFMT}, C{MFF}) whose facts this session cannot set
            (L{settableFacts}), which neither C{FEAT} nor C{HELP} offers:
            rclone and WinSCP set each upload's time where C{FEAT} lists
            C{MFMT}, and an anonymous user's every upload then failed on
            its C{550}.
        """
        if settable is None:
            settable = self.settableFacts()
        left = set()
        if factchanges.MODIFY not in settable:
            left.add("MFMT")
        if not settable:
            left.add("MFF")
        return frozenset(left)

    def _offerSettings(self):
        """
        @return: the keyword arguments of L{commandtable.unavailable} for
            this session.
        """
        capabilities = set()
        if self.availableOffered():
            capabilities.add(commandtable.MEASURING)
        if self.hashOffered():
            capabilities.add(commandtable.HASHING)
        if self.uploadsWriteAtOffsets():
            capabilities.add(commandtable.WRITING_AT_OFFSETS)
        underTLS = self.alreadyTLS()
        return dict(tlsEnabled=self.config.tlsContextFactory is not None,
                    allowCCC=self.config.tlsAllowCCC,
                    capabilities=capabilities,
                    passiveIPv4=self.passiveIPv4(),
                    activeIPv4=self.activeIPv4(),
                    hasAddress=self.clientHasAddress(),
                    epsvAll=self.session.epsvAll,
                    underTLS=underTLS,
                    tlsClearable=not underTLS or self.tlsClearable(),
                    reinitializable=self.refuseReinitialize() is None,
                    tlsClientRole=not self.config.tlsRequireSessionReuse)

    def uploadsWriteAtOffsets(self):
        """
        @return: whether this session's uploads may write into a file, at
            a C{REST} offset (C{STOR}) or at its end (C{APPE}): before
            login, and after it unless the shell says its storage cannot
            (L{IFTPShellUploadOffsets}), whatever the user may do.
        """
        shell = self.session.shell
        return not (IFTPShellUploadOffsets.providedBy(shell)
                    and not shell.writesAtOffsets())

    def featureLines(self):
        """
        @return: this session's FEAT lines.
        """
        hashFeature = None
        if self.hashOffered():
            offered = [name + ("*" if parseHASHAlgorithm(name)
                               == self.hashAlgorithm else "")
                       for name in self.config.hashAlgorithms]
            hashFeature = "HASH " + ";".join(offered)
        settable = self.settableFacts()
        unsupported = self._unsupported() | self._unsettable(settable)
        lines = commandtable.featureLines(
            mlstFeature=listingfacts.mlstFeature(self.session.mlstFacts),
            hashFeature=hashFeature, unsupported=unsupported,
            modeZ=self.config.modeZ, **self._offerSettings())
        lines = sorted(lines + self.siteFeatures())
        if len(settable) == 2:
            return lines
        mff = factchanges.featureLine(settable)
        return [mff if line == factchanges.FEATURE else line
                for line in lines if line != factchanges.FEATURE or mff]

    def settableFacts(self):
        """
        @return: the facts C{MFF} can set in this session: none for a
            user who may change nothing (anonymous, C{--read-only}, a
            realm's read-only or upload-only user), whose C{FEAT} then
            lists neither C{MFF} nor C{MFMT}, and whose C{SITE HELP}
            names neither C{CHMOD} nor C{UTIME}; otherwise C{modify}
            unless the shell says its storage cannot set times (its
            C{MFMT} is left out of C{FEAT}) or the user's permissions
            grant it nowhere (a users file's C{set-time}:
            L{ftpkit.protocol.access.grantedBy}), C{UNIX.mode} where
            L{modeSettable}.
        """
        refusals = self._factRefusals()
        if refusals is None:
            return set()
        return {fact for fact in (factchanges.MODIFY, factchanges.UNIX_MODE)
                if fact not in refusals}

    def _factRefusals(self):
        """
        The one decision of which facts this session can set
        (L{settableFacts}, L{modeSettable}), and why not (what C{HELP}
        says).

        @return: C{None} for a user who may change nothing; otherwise
            C{{fact: reason}} for each fact it cannot set, the reason
            L{factchanges.STORAGE}, L{factchanges.UNGRANTED} or
            L{factchanges.SWITCHED_OFF}.
        """
        access = self.knownAccess()
        if not access.allows(CHANGE):
            return None
        refusals = {}
        if "MFMT" in self._unsupported():
            refusals[factchanges.MODIFY] = factchanges.STORAGE
        elif not access.timesGranted:
            refusals[factchanges.MODIFY] = factchanges.UNGRANTED
        mode = self._modeRefusal(access)
        if mode is not None:
            refusals[factchanges.UNIX_MODE] = mode
        return refusals

    def modeSettable(self):
        """
        @return: whether C{SITE CHMOD} and C{MFF}'s C{UNIX.mode} may change
            permissions: not under C{--no-site-chmod}, nor for a user
            whose permissions grant it nowhere (a users file's
            C{chmod}), nor after login with a shell that cannot
            (L{IFTPShellChmod}).
        """
        return self._modeRefusal(self.knownAccess()) is None

    def _modeRefusal(self, access):
        """
        @param access: the L{AccessPolicy} known (L{knownAccess}).
        @return: why modes cannot be changed here (L{modeSettable}), a
            reason of L{factchanges}, or C{None} when they can.
        """
        if not access.siteChmod:
            return factchanges.SWITCHED_OFF
        if not access.modesGranted:
            return factchanges.UNGRANTED
        shell = self.session.shell
        if shell is not None and not IFTPShellChmod.providedBy(shell):
            return factchanges.STORAGE
        return None

    def knownAccess(self):
        """
        The access rules known so far, for what C{FEAT}, C{SITE HELP} and
        C{OPTS REST} offer: the user's from C{USER} on; before it (the
        user is known only then), those every user of the server gets
        (C{--read-only}, C{--no-site-chmod}), and an anonymous user's
        where the portal (the virtual host's, after C{HOST}) logs in
        anonymous users only, and narrowed to the permissions its realm
        grants some named user somewhere (L{grantedBy} of the realm: a
        users file's). A client that asks C{FEAT} before logging in and
        keeps its answer (lftp) was offered C{MFMT}, C{MFF}, C{SITE
        CHMOD} and C{UTIME} that every login here refuses.

        @return: an L{AccessPolicy}.
        """
        session = self.session
        if session.username is not None:
            return session.access
        portal = self._knownPortal()
        return AccessPolicy.forUser(
            self.config, portalAcceptsOnlyAnonymous(portal)).granting(
                grantedBy(getattr(portal, "realm", None)))

    def _knownPortal(self):
        """
        @return: the portal a login would go to now: the virtual host's
            after C{HOST}, the server's otherwise.
        """
        portal = self.session.portal
        if portal is None:
            portal = self.factory.portal
        return portal

    def _unsupported(self):
        """
        @return: the C{FEAT} keywords the session's shell says its storage
            cannot honour (L{IFTPShellFeatures}); none before login.
        """
        shell = self.session.shell
        if shell is not None and IFTPShellFeatures.providedBy(shell):
            return shell.unsupportedFeatures()
        return frozenset()

    def hashOffered(self):
        """
        @return: whether C{FEAT} lists C{HASH} and the X-verbs
            (C{XMD5}...), and so whether they and C{OPTS HASH} are
            accepted: before login (the shell is not known
            yet), and after it when the shell checksums
            (L{IFTPShellHash}) and does not say its storage cannot.
        """
        shell = self.session.shell
        return shell is None or (IFTPShellHash.providedBy(shell)
                                 and "HASH" not in self._unsupported())

    def availableOffered(self):
        """
        @return: whether C{FEAT} lists C{AVBL}, and so whether C{AVBL}
            answers: before login, and after it when the shell knows the
            room left (L{IFTPShellAvailable}) and does not say its storage
            cannot.
        """
        shell = self.session.shell
        return shell is None or (IFTPShellAvailable.providedBy(shell)
                                 and "AVBL" not in self._unsupported())

    def ftp_FEAT(self, argument):
        """
        List the extensions this session offers (RFC 2389); before login,
        once the realm knows what it grants
        (L{ftpkit.control.grantswait}).
        """
        if self.session.username is None:
            pending = grantsPending(getattr(self._knownPortal(), "realm",
                                            None))
            if pending is not None:
                return onceKnown(pending, self.reactor, self._features)
        return self._features()

    def _features(self):
        """
        @return: C{FEAT}'s reply, from what is known now.
        """
        return (211, ["Features:"]
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
            access = self.knownAccess()
            if not (access.allows(CHANGE) and access.resumesGranted):
                # A resumed upload changes a file (refused to read-only
                # and anonymous users, and where a users file's
                # permissions grant append nowhere).
                return (501, "REST STOR: uploads do not resume for this "
                             "user")
            if not self.uploadsWriteAtOffsets():
                # The store writes whole files (an object store): STOR
                # after REST gets 502.
                return (501, "REST STOR: uploads do not resume on this "
                             "storage")
            return (200, "REST STOR: uploads resume from a REST offset")
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

    def _factNames(self):
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
                ["Status of " + paths.toText(listed.path) + ":"]
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
            "Control connection: " + ("TLS" if self.controlSecure
                                      else "plain"),
            "Data protection: " + ("Private" if self.protectData
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

    def ftp_ALLO(self, argument):
        """
        No space needs reserving: 202, once the argument is valid.
        """
        parseALLO(argument)
        return (202, "No storage allocation necessary")
