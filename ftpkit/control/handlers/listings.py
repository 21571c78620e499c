"""
Commands that send directory listings over a data connection: C{LIST},
C{NLST} and C{MLSD}, batch by batch as the data connection takes them.
They are transfers: L{ftpkit.control.handlers.transfers.TransferCommands}
opens their data connection and sends them.
"""

import time

from ftpkit.control.handlers.listed import findListed
from ftpkit.data.movers.listings import ListingReadFile
from ftpkit.interfaces import IDirectoryListing, INameListing
from ftpkit.protocol import listing, listingfacts, paths
from ftpkit.protocol.replies import encodeText
from ftpkit.shells.listings import WholeListing, openListing


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
            opening)

    async def ftp_LIST(self, argument):
        """
        Send a directory listing in ls -l format, a directory batch by
        batch (L{ftpkit.interfaces.IFTPShellStreamedListing}).
        """
        self._takeOffset()
        listed = await self.whileOpening(findListed(
            self.session.shell, self.session.cwd, argument,
            self.listingTurn, self.inThread, streamed=True))
        return await self._sendListing(
            listed.entries, listing.ListFormat(time.time()),
            "LIST " + paths.toText(listed.path))

    async def ftp_NLST(self, argument):
        """
        Send the names in a directory, or those a pattern matches, each
        after the directory as the client named it (C{NLST sub} sends
        C{sub/a.txt}, L{listing.nameListPrefix}); a file's path as the
        client named it.
        """
        self._takeOffset()
        listed = await self.whileOpening(findListed(
            self.session.shell, self.session.cwd, argument,
            self.listingTurn, self.inThread, namesOnly=True, streamed=True))
        entries = listed.entries
        if not listed.isDirectory:
            # A file: named as the client wrote it, as other servers do.
            entries = [listing.nameListPath(listed.text)]
        prefix = ("" if not listed.isDirectory else listing.nameListPrefix(
            listed.text if listed.prefix is None else listed.prefix))
        format = listing.NamesFormat(prefix)
        head = b""
        if not IDirectoryListing.providedBy(entries):
            # Names only: formatted in one piece, no batches to go through.
            entries, head = [], format.names(entries)
        return await self._sendListing(
            entries, format, "NLST " + paths.toText(listed.path),
            "Here comes the name list", head,
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
        turn = self.listingTurn
        entries = turn.listing(await self.whileOpening(
            turn.call(openListing, shell, path)))
        held = self.session.access.holdUploads
        facts = self.session.mlstFacts

        def permFor(entryInfo, where):
            return listingfacts.permissions(entryInfo, self.permMask(where),
                                            held)

        lines = [listingfacts.formatFacts(".", info, facts,
                                          permFor(info, path),
                                          typeName="cdir")]
        try:
            if path:
                above = paths.parent(path)
                parent = await self.whileOpening(shell.stat(above))
                lines.append(listingfacts.formatFacts(
                    "..", parent, facts, permFor(parent, above),
                    typeName="pdir"))
        except BaseException:
            entries.close()
            raise
        head = b"".join(encodeText(line) + b"\r\n" for line in lines)
        mask, exceptions = self.permMasksIn(path)
        return await self._sendListing(
            entries, listingfacts.FactsFormat(facts, mask, held, exceptions),
            "MLSD " + paths.toText(path), head=head)

