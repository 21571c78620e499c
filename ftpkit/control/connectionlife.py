"""
A control connection's life (L{ConnectionLife}, a mixin of
L{ftpkit.control.connection.FTPProtocol}): its start (the connection
limits, descriptors kept in reserve, the socket's options, the
greeting), its end (what the session held released, the user logged out
once the shell has answered every command still running, meanwhile
counted among the user's sessions left to the shell:
L{ftpkit.control.sessionlimits.LeftSessions}), and its closing: an idle
session's, an over-long line's, and the cut of a connection whose last
replies are not taken in time; the time a client has to log in
(L{ConnectionLife.watchLogin}), and a session started afresh on the same
connection (L{ConnectionLife.startAfresh}).
"""

from twisted.internet import defer
from twisted.internet.interfaces import ISSLTransport
from twisted.logger import LogLevel
from twisted.protocols.basic import LineReceiver

from ftpkit.compat import handshakePending, underTLS
from ftpkit.control.clientname import clientName
from ftpkit.control.sockets import closeNow, tuneControlSocket
from ftpkit.data import descriptors
from ftpkit.deploy.fdlimit import transportRefusal
from ftpkit.deploy.listening import TLS_REFUSAL
from ftpkit.ops import events
from ftpkit.protocol import replies
from ftpkit.protocol.sessionstate import Session


class ConnectionLife:
    """
    How a session starts and ends as a connection. The protocol holds
    the rest: its C{factory}, C{transport} and C{reply}, its idle
    timeout, its turns, its TLS state, its transfer, its login and its
    events.
    """

    sessionFields = frozenset(["shell"])

    _counted = False
    _heldRefusal = False
    _closing = None
    _lost = False
    _lostWaiters = None

    def connectionMade(self):
        """
        Apply connection limits (and keep descriptors in reserve), then
        greet. A connection over a limit waits a moment, unread, for a
        session to end (L{ftpkit.control.overlimitholds}) before it is
        refused: what comes meanwhile (bytes after a PROXY header) waits
        for the greeting.
        """
        self.peer = clientName(self.transport)
        refusal = transportRefusal(self.transport,
                                   releaseIdle=descriptors.releaseIdle)
        if refusal is None:
            refusal = self.factory.sessionStarted(self.peer)
            if refusal is not None and self.factory.overLimit.hold(
                    self, refusal):
                LineReceiver.pauseProducing(self)
                return
        if refusal is not None:
            self.reportRefused(refusal)
            self.refuse(refusal)
            return
        self._begin()

    def admitHeld(self):
        """
        A session ended while this connection waited over a limit: start
        its session if it fits now.

        @return: whether its wait is over: its session started, or its
            connection is gone.
        """
        if self._lost:
            return True
        if self.factory.sessionStarted(self.peer) is not None:
            return False
        self._begin()
        self._updateReading()
        return True

    def refuseHeld(self, refusal):
        """
        No session ended while this connection waited over a limit:
        refuse it now (C{421}).

        @param refusal: why.
        """
        if self._lost:
            return
        # What it sent meanwhile is dropped; reading lets a TLS handshake
        # go on before the refusal (refuse).
        self.clearLineBuffer()
        LineReceiver.resumeProducing(self)
        self.reportRefused(refusal)
        self.refuse(refusal)

    def _begin(self):
        """
        Start the session of a connection admitted (counted): greet it.
        """
        self._counted = True
        self.factory.openSessions.add(self)
        if events.SESSION_STARTED in self.factory.events.wanted:
            self.publish(events.SESSION_STARTED)
        tuneControlSocket(self.transport)
        if ISSLTransport.providedBy(self.transport):
            self.startedImplicitTLS()
        config = self.factory.config
        self.setTimeout(config.idleTimeout)
        self.watchLogin()
        if not self.greeted:
            self.reply(220, config.banner)

    def refuse(self, refusal):
        """
        Tell a connection refused as its session starts why (C{421}) and
        close it. Under an implicit-TLS layer whose handshake has not
        begun, the C{421} waits for it, as few such connections as
        L{ftpkit.control.refusedtls.RefusedHandshakes} holds; past them,
        the client is sent L{TLS_REFUSAL} in clear below the layer and
        the connection ends at once.

        @param refusal: the text of the C{421}.
        """
        if handshakePending(self.transport):
            lower = underTLS(self.transport)
            held = self.factory.refusedHandshakes.hold(self.peer)
            if not held and lower is not None:
                self._closed = True
                lower.write(TLS_REFUSAL)
                lower.loseConnection()
                return
            self._heldRefusal = held
        self.transport.write(replies.formatReply(421, refusal))
        self.close()

    def connectionLost(self, reason):
        """
        Release everything the session held; the user is logged out once
        the running command, if any, has ended.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        if self._heldRefusal:
            self._heldRefusal = False
            self.factory.refusedHandshakes.release(self.peer)
        self.quitUnrun()
        self._closed = self._lost = True
        self.setTimeout(None)
        self._stopHangupWatch()
        self.inputRead()
        self.tlsConnectionLost(reason)
        # Only names that were set are cleared (see _stopHangupWatch).
        waiters = self._lostWaiters
        if waiters is not None:
            self._lostWaiters = None
            for waiter in waiters:
                waiter.callback(None)
        closing = self._closing
        if closing is not None:
            self._closing = None
            if closing.active():
                closing.cancel()
        if self._counted:
            self._counted = False
            if self.session.shell is None:
                self.factory.loginWatch.stop(self)
            # A transfer command ends now (426), whether its transfer
            # runs or it waits for the shell to open its file or for its
            # data connection: what a slow store opens later is released
            # (ftpkit.control.opening); an upload whose every byte came
            # ends as its commit does, and a download handed whole to its
            # connection (Transfer.clientLeft) as its data connection does.
            # A client that sent QUIT behind its transfer and left has it
            # go on, and the commands before its QUIT run after it
            # (ftpkit.control.quitleft decides).
            opening = self.opening
            quitting = self.quitsAfterLeaving()
            if not quitting:
                self.abortTransfer(clientLeft=True)
            if self._loginDelay is not None:
                self.cancelLoginDelay()
            if quitting:
                self.runToQuit(opening)
            elif self.transfer is not None and not self.transfer.aborted:
                # Its transfer goes on: the session counts as before, for
                # every limit and on every page, and keeps its client's
                # turns at listings (a batch of a listing waiting for
                # its turn, forgotten, cut it), and its data channel
                # (the connection a transfer still opening will take),
                # until it ends.
                self.whenIdle().addCallback(lambda _: self._leave(opening))
            else:
                self._leave(opening)

    @property
    def leaving(self):
        """
        @return: whether the client left while the session's transfer
            goes on (the session still counts, L{connectionLost}, until
            that transfer ends): its connection is lost, or, while
            reading is paused, its hang-up was seen and what it sent is
            being read for a C{QUIT}
            (L{ftpkit.control.readingcontrol.ReadingControl._hungUp}), or
            its socket says it hung up (the watch looks once a second).
        """
        watch = self._hangupWatch
        return (self._lost or self._afterHangup is not None
                or (watch is not None and watch.clientGone()))

    def _leave(self, opening):
        """
        The session, its client gone, stops counting: for the connection
        limits (its address's, the server's), for its user's
        (C{--max-sessions-per-user}), on the pages that list the sessions,
        and in its client's turns at listings and checksums (its calls
        still waiting are forgotten, a checksum running stops:
        L{ftpkit.control.turns.TakingTurns.releaseTurns}). A command
        still running (waiting for the shell, say) keeps its shell until
        it ends, an open cut short until the shell
        answered and what it gave is released: the shell never works for
        a user logged out, and the logout is published after what they
        publish (a cut upload's bytes); meanwhile the session counts among
        the user's sessions left to the shell
        (L{ftpkit.control.sessionlimits.LeftSessions}; a shell
        that never answers must not lock the user out).

        @param opening: what the session's command was opening when its
            client left (L{ftpkit.control.opening}), or C{None}.
        """
        if self._dataChannel is not None:
            # The channel holds the session (currentTransfer): let go
            # of it, so that both are freed now, not by the garbage
            # collector.
            self._dataChannel.close()
            self._dataChannel = None
        self.releaseTurns()
        factory = self.factory
        factory.openSessions.discard(self)
        factory.sessionEnded(self.peer)
        if events.SESSION_ENDED in factory.events.wanted:
            self.publish(events.SESSION_ENDED)
        key = self.releaseUserSession()
        waits = []
        if self._busy is not None:
            waits.append(self.whenIdle())
        if opening is not None and not opening.settled.called:
            waits.append(opening.settled)
        if self.unsettled:
            waits.append(self.whenSettled())
        if waits:
            left = factory.leftSessions
            if key is not None:
                key = self.leftKey()
                left.leave(key)
            factory.leftWork.hold(defer.gatherResults(waits).addCallback(
                lambda _: self._answered(left, key)))
        else:
            self.logout()

    def _answered(self, left, key):
        """
        The shell answered every command of a session whose client left:
        it no longer counts among the user's sessions left to the shell,
        and the user is logged out.

        @param left: the factory's L{LeftSessions}.
        @param key: the user's key, or C{None} (nobody logged in).
        """
        if key is not None:
            left.release(key)
        self.logout()

    def timeoutConnection(self):
        """
        Close an idle session with C{421}. A session with a transfer
        running is not idle (its data connection has a watchdog of its
        own), nor one whose failed login the server is still holding back
        (C{_delayLogin}): its idle time starts again instead.
        """
        if self.transfer is not None or self._loginDelay is not None:
            self.setTimeout(self.config.idleTimeout)
            return
        self.log.warn("idle timeout for {peer}", peer=self.peer)
        self.reply(421, "Idle timeout; closing control connection")
        self.close()

    def watchLogin(self):
        """
        Start the time the client has to log in (C{--login-timeout}): at
        the connection, and when a user is logged out of a session that
        goes on (C{REIN}, C{AUTH TLS} after a login in clear); a login
        stops it. At its end L{loginTimedOut} is called, whatever the
        client sent meanwhile: a command that comes later is refused too
        (L{lineReceived} asks the same watch,
        L{ftpkit.control.loginwatch.LoginWatch.overdue}), but a client
        that never completes a line (a command, or a TLS handshake sent a
        byte at a time, or nothing) was held only to the idle timeout. The
        watch is the factory's, not kept on the session: one attribute
        more was one too many for the keys Python shares between the
        sessions' dictionaries, and made reading every attribute of theirs
        dearer.
        """
        self.factory.loginWatch.start(self)

    def startAfresh(self, **kept):
        """
        Log the user out, if any, and start a fresh L{Session} on this
        connection (C{REIN}; C{AUTH TLS} after a login in clear; C{HOST},
        and a login refused for the host it chose): the data channel, if
        made, is closed, and what belongs to the connection, not the
        session, stays. The time to log in starts again (L{watchLogin})
        only for a session that was logged in: one that never was keeps
        its deadline (the factory's watch holds it for the connection),
        else it would stay connected without logging in by sending
        C{REIN} or C{HOST} now and then.

        @param kept: the fields the fresh session has from the start, given
            to L{Session} (C{AUTH TLS} keeps the virtual host C{HOST}
            picked; C{HOST} names the one it picks).
        """
        wasLoggedIn = self.session.shell is not None
        self.logout()
        if self._dataChannel is not None:
            self._dataChannel.close()
        self.session = Session(**kept)
        if wasLoggedIn:
            self.watchLogin()

    def loginTimedOut(self):
        """
        The time to log in is over: the session, not logged in, gets
        C{421} and is closed; a TLS handshake still unfinished is cut at
        once (the reply would wait for it, and the client has not ended
        it in all that time), not C{closeTimeout} later. One whose command
        is running (a C{PASS} being checked, or its failure's delay) gets
        the time again for its answer, as an idle one does, but stays late:
        its next command is refused (L{lineReceived}).
        """
        if self._closed:
            return
        if self._busy is not None or self._loginDelay is not None:
            self.factory.loginWatch.extend(self)
            return
        self.closeForLoginTimeout()
        if self._closing is not None and handshakePending(self.transport):
            self._closing.cancel()
            self._cut()

    def closeForLoginTimeout(self):
        """
        Tell a session whose time to log in is over so (C{421}), in the
        log too, and close it: at the end of that time (L{loginTimedOut}),
        or at a command that comes after it (L{lineReceived}).
        """
        self.log.warn("login timeout for {peer}", peer=self.peer)
        self.reply(421, "Login timeout; closing control connection")
        self.close()

    def lineLengthExceeded(self, line):
        """
        Refuse an over-long command line and close.

        @param line: what was received of the line.
        """
        self.factory.peerWarnings.emit(
            self.log, LogLevel.warn, "long", self.peer,
            "over-long command line ({length} bytes or more) from {peer}; "
            "closing", length=len(line), peer=self.peer)
        self.reply(500, "Command line too long")
        self.close()

    def close(self):
        """
        Stop reading and close the control connection after replies; if
        they are not delivered within C{closeTimeout} (a TLS handshake
        never finished, a client that does not read), cut it.
        """
        self._closed = True
        self._queue.clear()
        if self._watchingReplies and not self._lost:
            # A producer registered keeps a TLS layer from closing at all
            # (a lost one has none: Twisted's raised AttributeError).
            self._watchingReplies = False
            self.transport.unregisterProducer()
        closeNow(self.transport)
        if not self._lost and self._closing is None:
            self._closing = self.callLater(self.config.closeTimeout,
                                           self._cut)

    def endAfterHandshake(self):
        """
        The TLS handshake of a connection closed while it went on (one
        refused as its session started, L{refuse}) is done: once this
        returns, the layer sends the replies that waited for it and its
        close_notify, and the connection under it ends as soon as they are
        sent, as L{closeNow} ends one closed after its handshake. The layer
        alone would wait for the client's close_notify, which a client
        reading on never sends, until the closing time cut it; and the
        replies of such a connection are not watched (L{_watchReplies}): a
        producer registered keeps the layer from closing at all.
        """
        below = underTLS(self.transport)
        if below is not None and not self._lost:
            below.loseConnection()

    def _cut(self):
        """
        Drop a connection that did not close in time, with its unsent
        replies.
        """
        self._closing = None
        self.log.warn("{peer} did not take its last replies; dropped",
                      peer=self.peer)
        self.transport.abortConnection()

    def whenLost(self):
        """
        @return: a Deferred firing once the control connection is closed:
            after its last replies went out (L{close}), or were dropped
            with it.
        """
        if self._lost:
            return defer.succeed(None)
        if self._lostWaiters is None:
            self._lostWaiters = []
        waiter = defer.Deferred()
        self._lostWaiters.append(waiter)
        return waiter
