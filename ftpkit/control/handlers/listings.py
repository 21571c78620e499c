"""
Commands that send directory listings over a data connection: C{LIST},
C{NLST} and C{MLSD}, batch by batch as the data connection takes them.
They are transfers: L{ftpkit.control.handlers.transferring.Transferring}
opens their data connection and sends them.
"""

import dataclasses
import time
from functools import partial

from ftpkit.control.handlers.listed import findListed
from ftpkit.data.movers.listings import ListingReadFile
from ftpkit.interfaces import IDirectoryListing, INameListing, IStatListing
from ftpkit.protocol import (
    listing,
    listingfacts,
    listingorder,
    listingtree,
    orderedlines,
    paths,
)
from ftpkit.protocol.commands import splitListArgument
from ftpkit.protocol.replies import encodeText, shownName
from ftpkit.shells.listings import (
    BATCH_SIZE,
    WholeListing,
    openListing,
    readFormatted,
    readListing,
)
from ftpkit.shells.treelisting import readTree, walkShell


class ListingCommands:
    """
    Directory listings sent over a data connection.
    """

    sessionFields = frozenset(["shell", "cwd", "access", "mlstFacts"])

    async def _sendListing(self, entries, format, description,
                           opening="Here comes the directory listing",
                           head=b"", names=False):
        """
        Send a listing: 150, its batches as the data connection takes
        them (L{ListingReadFile}), 226.

        @param entries: an L{IDirectoryListing}, or the C{(name, info)}
            pairs to send.
        @param format: how to format the batches (a
            L{listing.ListFormat}, L{listingfacts.FactsFormat} or
            L{listing.NamesFormat}).
        @param description: the command and path, for STAT and logs.
        @param opening: the text of the 150 reply.
        @param head: bytes sent before the entries.
        @param names: send the listing's names alone (an
            L{ftpkit.interfaces.INameListing}; see L{ListingReadFile}).
        @return: the final reply.
        """
        if not IDirectoryListing.providedBy(entries):
            entries = WholeListing(entries)
        return await self.sendFile(
            ListingReadFile(entries, format, head, names), True, description,
            opening, listing=True)

    def _walked(self, listed):
        """
        @param listed: what a listing command's argument names
            (L{findListed}).
        @return: whether to send it recursively: its options ask for it
            (none are taken from a name starting with C{"-"} taken as
            written), and it is a directory, named by a path (a pattern's
            matches are listed as they are).
        """
        return (listingtree.isRecursive(
            listed.options, self.factory.config.listingTreeLimits)
            and listed.isDirectory and listed.prefix is None)

    def _walk(self, listed, limits):
        """
        @param listed: the L{ftpkit.control.handlers.listed.Listed}
            directory, its entries an L{IDirectoryListing} of
            C{(name, info)} pairs.
        @param limits: the L{listingtree.TreeLimits}.
        @return: its walk (L{walkShell}), each directory read in the
            session's listing turn.
        """
        return walkShell(self.session.shell, self.listingTurn,
                         listed.entries, listed.path,
                         listingtree.topText(listed.text), limits)

    async def statusTree(self, listed, most):
        """
        The reply of C{STAT -R} of a directory: the lines C{LIST -R}
        would send, on the control connection, within its bounds and
        C{STAT}'s (L{listingtree.statusLimits}).

        @param listed: what C{STAT}'s argument names (L{findListed},
            streamed).
        @param most: the most entries C{STAT} lists.
        @return: the reply; C{None} when the argument asks for no
            recursive listing (L{_walked}).
        """
        if not self._walked(listed):
            return None
        limits = listingtree.statusLimits(
            self.factory.config.listingTreeLimits, most)
        tree = self._walk(listed, limits)
        data = await readTree(tree, listing.ListFormat(time.time()))
        end = "End of status"
        if tree.truncated:
            end += "; " + listingtree.truncatedText(limits)
        # As STAT's listing: lines end in CRLF and hold no CR or LF.
        heading = "Status of " + shownName(paths.toText(listed.path)) + ":"
        return (212, [heading]
                + data.decode("utf-8", "surrogateescape").split("\r\n")[:-1]
                + [end])

    async def _sendTree(self, listed, format, description, opening):
        """
        Send a directory and those below it, as C{ls -R} prints them
        (L{TreeListing}), each directory read in the session's listing
        turn.

        @param listed: the L{ftpkit.control.handlers.listed.Listed}
            directory, its entries an L{IDirectoryListing} of
            C{(name, info)} pairs.
        @param format: formats a batch of them (C{entries}).
        @param description: as for L{_sendListing}.
        @param opening: as for L{_sendListing}.
        @return: the final reply: saying so when the limits cut the
            listing.
        """
        limits = self.factory.config.listingTreeLimits
        tree = self._walk(listed, limits)
        reply = await self.sendFile(
            ListingReadFile(tree, format, tree.first(), formatted=True),
            True, description, opening, listing=True)
        if tree.truncated and reply[0] == 226:
            return listingtree.truncatedReply(limits)
        return reply

    async def ftp_LIST(self, argument):
        """
        Send a directory listing in ls -l format, a directory batch by
        batch (L{ftpkit.interfaces.IFTPShellStreamedListing}); with
        C{-R}, the directories below it too (L{_sendTree}); with C{-d},
        a directory's own line (L{findListed}); with C{-t} or C{-r}, in
        that order (L{listingorder}), read whole first (L{_sendOrdered}).
        A pattern's matches are read in the format they are sent in (or
        sorted in), from the listings' cache where the directory's are
        (L{findListed}'s C{formatFor}).
        """
        self._takeOffset()
        now = time.time()
        format = listing.ListFormat(now)

        def formatFor(letters):
            # The options findListed took (none from a name taken as
            # written): the order sent below is chosen from them too.
            if listingorder.isOrdered(letters):
                return orderedlines.SortingFormat(now)
            return format

        find = partial(findListed, self.session.shell, self.session.cwd,
                       argument, self.listingTurn, self.inThread,
                       streamed=True, directoryOption=True,
                       split=splitListArgument(argument))
        listed = await self.whileOpening(find(formatFor=formatFor))
        description = "LIST " + paths.toText(listed.path)
        if self._walked(listed):
            return await self._sendTree(
                listed, format, description,
                "Here comes the directory listing")
        letters = listed.options
        if listed.isDirectory and listingorder.isOrdered(letters):
            reply = await self._sendOrdered(listed.entries, letters,
                                            description)
            if reply is not None:
                return reply
            # Too many to sort, or too many held sorted: listed again, in
            # name order.
            listed = await self.whileOpening(find(
                formatFor=lambda letters: format))
        return await self._sendListing(listed.entries, format, description)

    async def _sendOrdered(self, entries, letters, description):
        """
        Read a directory's listing whole and send it in the order its
        options ask for (L{listingorder.ordered}), batch by batch as the
        data connection takes it; the entries a streamed listing holds
        meanwhile are taken from the process's L{listingorder.SortBudget}
        (C{factory.sortBudget}). A listing that formats its own batches
        (a local directory's, L{IStatListing}) is read as C{LIST} reads
        it, its lines sorted as records (L{orderedlines}), cached as
        C{LIST}'s are; any other, as L{ftpkit.fileinfo.FileInfo} values.

        @param entries: the directory's L{IDirectoryListing}, or its
            C{(name, info)} pairs, already read.
        @param letters: the command's option letters.
        @param description: the command and path, for logs.
        @return: the final reply; C{None}, having sent nothing, when the
            directory has more entries than the budget had left (or than
            L{listingorder.SORT_LIMIT}).
        """
        now = time.time()
        format = listingorder.OrderedFormat(now)
        if not IDirectoryListing.providedBy(entries):
            return await self._sendListing(
                listingorder.ordered(entries, letters), format, description)
        budget = self.factory.sortBudget
        held = budget.take(listingorder.SORT_LIMIT)
        records = IStatListing.providedBy(entries)
        try:
            if records:
                read = await self.whileOpening(readFormatted(
                    entries, orderedlines.SortingFormat(now), held))
                if read is not None:
                    read = orderedlines.sortedRecords(read, letters)
            else:
                read = await self.whileOpening(readListing(entries, held))
            if read is None:
                return None
            budget.give(held - len(read))
            held = len(read)
            if records:
                return await self.sendFile(
                    ListingReadFile(orderedlines.SortedLines(read, BATCH_SIZE),
                                    None, formatted=True),
                    True, description, "Here comes the directory listing",
                    listing=True)
            return await self._sendListing(
                listingorder.ordered(read, letters), format, description)
        finally:
            budget.give(held)

    async def _orderedNames(self, entries, letters):
        """
        Read a directory's entries whole, as L{_sendOrdered} does (within
        the process's L{listingorder.SortBudget}; a listing that formats
        its own batches as sorted records, L{orderedlines}), and give
        their names in the order its options ask for.

        @param entries: as for L{_sendOrdered}.
        @param letters: the command's option letters.
        @return: the names, in that order, and how many entries of the
            budget they hold (to be given back once sent, as
            L{_sendOrdered} holds its records until sent); C{(None, 0)}
            when the directory has more entries than the budget had left.
        """
        if not IDirectoryListing.providedBy(entries):
            return [name for name, _ in listingorder.ordered(
                entries, letters)], 0
        budget = self.factory.sortBudget
        held = budget.take(listingorder.SORT_LIMIT)
        kept = 0
        try:
            if IStatListing.providedBy(entries):
                read = await self.whileOpening(readFormatted(
                    entries, orderedlines.SortingFormat(time.time()), held))
                names = None if read is None else orderedlines.recordNames(
                    orderedlines.sortedRecords(read, letters))
            else:
                read = await self.whileOpening(readListing(entries, held))
                names = None if read is None else [
                    name for name, _ in listingorder.ordered(read, letters)]
            kept = 0 if names is None else len(names)
            return names, kept
        finally:
            budget.give(held - kept)

    async def ftp_NLST(self, argument):
        """
        Send the names in a directory, or those a pattern matches, each
        after the directory as the client named it (C{NLST sub} sends
        C{sub/a.txt}, L{listing.nameListPrefix}); a file's path as the
        client named it. With C{-t} or C{-r}, in that order
        (L{listingorder}: L{_orderedNames}), as C{LIST} sends them, the
        names held within the process's L{listingorder.SortBudget} until
        sent.
        """
        self._takeOffset()
        # Split once: whether the options ask for a recursive or an
        # ordered listing decides whether names alone are read. The
        # options findListed takes are those or none (a name starting
        # with "-" taken as written): what is sent is chosen from them.
        split = splitListArgument(argument)
        limits = self.factory.config.listingTreeLimits

        def ordered(letters):
            return (not listingtree.isRecursive(letters, limits)
                    and listingorder.isOrdered(letters))

        namesOnly = not listingtree.isRecursive(
            split[0], limits) and not ordered(split[0])
        now = time.time()
        find = partial(findListed, self.session.shell, self.session.cwd,
                       argument, self.listingTurn, self.inThread,
                       streamed=True, split=split)
        listed = await self.whileOpening(find(
            namesOnly=namesOnly,
            formatFor=lambda letters: orderedlines.SortingFormat(now)
            if ordered(letters) else None))
        letters = listed.options
        if not (listed.isDirectory and ordered(letters)):
            return await self._sendNames(listed, not namesOnly, False)
        names, held = await self._orderedNames(listed.entries, letters)
        if names is None:
            # Too many to sort: listed again, in name order.
            listed = await self.whileOpening(find(namesOnly=True))
            return await self._sendNames(listed, False, False)
        try:
            return await self._sendNames(
                dataclasses.replace(listed, entries=names), False, True)
        finally:
            self.factory.sortBudget.give(held)

    async def _sendNames(self, listed, described, inOrder):
        """
        Send what L{ftp_NLST} found.

        @param listed: the L{ftpkit.control.handlers.listed.Listed} path.
        @param described: whether its entries were found as C{(name,
            info)} pairs rather than names (the argument's options ask
            for C{-R}, C{-t} or C{-r}).
        @param inOrder: whether C{listed.entries} are names already in
            the order to send them in (L{_orderedNames}).
        @return: the final reply.
        """
        description = "NLST " + paths.toText(listed.path)
        entries = listed.entries
        if self._walked(listed):
            return await self._sendTree(listed, listing.NamesFormat(),
                                        description,
                                        "Here comes the name list")
        if described and not IDirectoryListing.providedBy(entries):
            # A pattern's matches, described: their names.
            entries = [name for name, _ in entries]
        if not listed.isDirectory:
            # A file: named as the client wrote it, as other servers do.
            entries = [listing.nameListPath(listed.text)]
        prefix = ("" if not listed.isDirectory else listing.nameListPrefix(
            listed.text if listed.prefix is None else listed.prefix))
        format = listing.NamesFormat(prefix)
        head = b""
        if inOrder:
            entries, head = [], format.namesInOrder(entries)
        elif not IDirectoryListing.providedBy(entries):
            # Names only: formatted in one piece, no batches to go through.
            entries, head = [], format.names(entries)
        return await self._sendListing(
            entries, format, description, "Here comes the name list", head,
            INameListing.providedBy(entries))

    async def ftp_MLSD(self, argument):
        """
        Send a directory listing as MLSD facts (RFC 3659), batch by batch.
        """
        self._takeOffset()
        path = self.resolve(argument)
        shell = self.session.shell
        info = await self.whileOpening(shell.stat(path))
        if not info.isDirectory:
            return (501, "Not a directory")
        held = self.session.access.holdUploads
        facts = self.session.mlstFacts

        async def permFor(entryInfo, where):
            return listingfacts.permissions(
                entryInfo, await self.permMask(where), held)

        lines = [listingfacts.formatFacts(".", info, facts,
                                          await permFor(info, path),
                                          typeName="cdir")]
        if path:
            above = paths.parent(path)
            parent = await self.whileOpening(shell.stat(above))
            lines.append(listingfacts.formatFacts(
                "..", parent, facts, await permFor(parent, above),
                typeName="pdir"))
        mask, exceptions = await self.permMasksIn(path)
        head = b"".join(encodeText(line) + b"\r\n" for line in lines)
        turn = self.listingTurn
        entries = turn.listing(await self.whileOpening(
            turn.call(openListing, shell, path)))
        return await self._sendListing(
            entries, listingfacts.FactsFormat(facts, mask, held, exceptions),
            "MLSD " + paths.toText(path), head=head)

