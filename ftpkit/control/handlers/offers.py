"""
What a session offers: the one place that decides which verbs C{HELP}
recognizes and C{FEAT} lists (and why one is not offered), which facts
C{MFF}, C{MFMT} and C{SITE} can set, and the access rules known before
login, from the server's settings, the shell's capabilities and the
user's access.
"""

from zope.interface import providedBy

from ftpkit.auth.checkers import portalAcceptsOnlyAnonymous
from ftpkit.control.grantswait import whenKnown
from ftpkit.interfaces import (
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellFeatures,
    IFTPShellHash,
    IFTPShellUploadOffsets,
)
from ftpkit.protocol import commandtable, factchanges, listingfacts
from ftpkit.protocol.access import CHANGE, AccessPolicy, grantedBy
from ftpkit.protocol.checksums import hashFeature


class SessionOffers:
    """
    The commands, features and settable facts this session offers, for
    C{FEAT}, C{HELP}, C{SITE HELP}, C{OPTS} and the commands that check
    before they act. A mixin of L{ftpkit.control.server.FTPProtocol}: it
    asks the protocol's other mixins what they know (the data channel's
    addresses, the TLS state, the C{HASH} algorithm, the C{SITE}
    commands' C{FEAT} lines).
    """

    sessionFields = frozenset(["shell", "username", "access", "portal",
                               "mlstFacts", "epsvAll", "chosenHash"])

    def offeredVerbs(self):
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

    def unavailableReason(self, command):
        """
        @param command: a L{commandtable.Command}.
        @return: why this session does not offer it (L{offeredVerbs}), as
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

    def featuresKey(self):
        """
        All that this session's C{FEAT} lines (L{featureLines}) follow
        from besides the server's configuration, as one value, by which
        the server keeps the reply made for its first session in that
        state (L{ftpkit.control.server.FTPFactory.featureReplies}): each
        change of a session's state that changes the lines changes it,
        with no reply to forget (C{AUTH TLS}, C{CCC}, C{REIN}, C{USER}
        and C{PASS}, C{HOST}, C{OPTS MLST} and C{OPTS HASH}, C{EPSV
        ALL}; before login, a reload of what the realm grants). The
        shell is named by what it provides (the declarations C{zope}
        keeps, shared by shells of a kind) and what it says it cannot
        do, not by itself: sessions of the same kind share the reply.

        @return: a hashable tuple.
        """
        session = self.session
        shell = session.shell
        if shell is not None:
            shell = (providedBy(shell), self._unsupported(),
                     self.uploadsWriteAtOffsets())
        underTLS = self.alreadyTLS()
        return (self.knownAccess(), shell, session.mlstFacts,
                session.chosenHash, session.epsvAll, underTLS,
                underTLS and self.tlsClearable(),
                self.refuseReinitialize() is None, self.passiveIPv4(),
                self.activeIPv4(), self.clientHasAddress())

    def featureLines(self):
        """
        @return: this session's FEAT lines.
        """
        hashLine = None
        if self.hashOffered():
            hashLine = hashFeature(tuple(self.config.hashAlgorithms),
                                   self.hashAlgorithm)
        settable = self.settableFacts()
        unsupported = self._unsupported() | self._unsettable(settable)
        lines = commandtable.featureLines(
            mlstFeature=listingfacts.mlstFeature(self.session.mlstFacts),
            hashFeature=hashLine, unsupported=unsupported,
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
            modes can be changed (L{_modeRefusal}).
        """
        refusals = self._factRefusals()
        if refusals is None:
            return set()
        return {fact for fact in (factchanges.MODIFY, factchanges.UNIX_MODE)
                if fact not in refusals}

    def _factRefusals(self):
        """
        The one decision of which facts this session can set
        (L{settableFacts}), and why not (what C{HELP} says).

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

    def _modeRefusal(self, access):
        """
        Whether C{SITE CHMOD} and C{MFF}'s C{UNIX.mode} may change
        permissions: not under C{--no-site-chmod}, nor for a user whose
        permissions grant it nowhere (a users file's C{chmod}), nor after
        login with a shell that cannot (L{IFTPShellChmod}).

        @param access: the L{AccessPolicy} known (L{knownAccess}).
        @return: why modes cannot be changed here, a reason of
            L{factchanges}, or C{None} when they can.
        """
        if not access.siteChmod:
            return factchanges.SWITCHED_OFF
        if not access.modesGranted:
            return factchanges.UNGRANTED
        shell = self.session.shell
        if shell is not None and not IFTPShellChmod.providedBy(shell):
            return factchanges.STORAGE
        return None

    def offering(self, reply, *args):
        """
        The one decision of when a reply that offers what the user may do
        (C{FEAT}, C{HELP}, C{OPTS REST STOR}: L{knownAccess}) is made:
        before login, once the realm a login would go to knows what it
        grants (L{ftpkit.control.grantswait}), so that all of them offer
        the same; at once after C{USER}.

        @param reply: makes the reply from what is known then.
        @param args: its arguments.
        @return: the reply, or a coroutine giving it.
        """
        if self.session.username is not None:
            return reply(*args)
        return whenKnown(getattr(self.knownPortal(), "realm", None),
                         self.reactor, reply, *args)

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
        portal = self.knownPortal()
        return AccessPolicy.forUser(
            self.config, portalAcceptsOnlyAnonymous(portal)).granting(
                grantedBy(getattr(portal, "realm", None)))

    def knownPortal(self):
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
