"""
When a session reads its commands (L{ReadingControl}, a mixin of
L{ftpkit.control.connection.FTPProtocol}): it stops while too many
commands wait in its queue, while the client leaves its replies unread
(the session is its transport's producer), and for the rest of the
reactor's turn once it ran L{LINES_PER_TURN} lines of one read; while
reading is held for either of the first two, the client's hang-up is
watched (L{ftpkit.control.hangup}); once it hung up, what the session had
not read is read for a C{QUIT} and the commands before it (what the
session then does is L{ftpkit.control.quitleft}'s). A connection lost while
lines it received wait unrun (their turn not come: L{LINES_PER_TURN}) has
them read the same way (L{ReadingControl.quitUnrun}).
"""

from twisted.protocols.basic import LineReceiver

from ftpkit.control.hangup import CHECK_INTERVAL, HangupWatch, socketOf

LINES_PER_TURN = 64
"""The most command lines a session runs before it lets the reactor serve
the other sessions: it then stops reading until the reactor's next turn,
and what it read meanwhile waits. A read holds up to 64 KiB, 32,768 empty
lines (a C{500} each) or 10,000 C{HELP}s; run all at once, a few clients
flooding commands, before any login, held every other session for
seconds."""


class ReadingControl:
    """
    Pauses and resumes the reading of a session's commands. The session
    gives C{_queue} (its L{ftpkit.control.commandqueue.CommandQueue}),
    C{_closed}, C{_processQueue}, C{callLater}, C{reactor}, C{peer},
    C{log}, C{localAddress}, C{tls} (its
    L{ftpkit.control.tlsstate.ControlTLS}), and C{_inputWaiters} and
    C{inputRead}
    (L{ftpkit.control.pendinginput.PendingInput}: told once each read
    ran its lines); this mixin comes before L{LineReceiver} among its
    bases.
    """

    _repliesBlocked = False
    _watchingReplies = False
    _hangupWatch = None
    _afterHangup = None
    _restTimer = None
    _linesLeft = LINES_PER_TURN
    _turnSpent = False
    _receiving = False
    _reads = 0

    def readNumber(self):
        """
        @return: a number naming the read whose lines run now, the same
            for each of them; C{None} when none runs (a command the end of
            another let run, a timer).
        """
        return self._reads if self._receiving else None

    def dataReceived(self, data):
        """
        Split lines, dropping whatever arrives once the session is closing.
        Each read (and each resumption of reading) may run
        L{LINES_PER_TURN} lines; bytes handed over while a line runs (a
        reentrant call) add to the read that runs it.

        @param data: the bytes received.
        """
        if self._closed:
            return
        if self._receiving:
            LineReceiver.dataReceived(self, data)
            return
        self._receiving = True
        self._reads += 1
        self._linesLeft = LINES_PER_TURN
        try:
            LineReceiver.dataReceived(self, data)
        finally:
            self._receiving = False
            if self._inputWaiters is not None:
                self.inputRead()

    def watchQueuedReplies(self):
        """
        A reply is about to wait in the transport's queue (the socket did
        not take it at once, or the transport queues everything: TLS, a
        wrapper): watch the replies from now on (L{_watchReplies}), before
        the write that may fill the queue. Not while the control
        connection's TLS handshake goes on: the registration would pause
        reading during it, and the handshake would stall; its end watches
        them (L{ftpkit.control.connection.FTPProtocol.handshakeCompleted}).
        A session whose replies all leave at once (most, in clear) never
        registers: the registration and its removal were 3,720
        instructions of every login (C{docs/benchmark-investigations.rst},
        C{bench-feat-56}).
        """
        if self._watchingReplies:
            return
        tls = self.tls
        if tls.controlSecure and not tls.handshakeDone:
            return
        self._watchReplies()

    def _watchReplies(self):
        """
        Become the producer of the transport, so that a full write buffer
        (a client not reading its replies) pauses reading its commands.
        """
        if not self._watchingReplies:
            self._watchingReplies = True
            self.transport.registerProducer(self, True)

    def pauseProducing(self):
        """
        The transport's write buffer is full: the client is not reading its
        replies, so stop reading its commands, and running those it
        queued.
        """
        self._repliesBlocked = True
        self._updateReading()

    def resumeProducing(self):
        """
        The replies went out: run the commands that wait, and read
        commands again; not once the client hung up (L{_hungUp}): what
        it queued waits for its C{QUIT} to be found.
        """
        if self._afterHangup is not None:
            return
        self._repliesBlocked = False
        self._processQueue()
        self._updateReading()

    def _yieldTurn(self):
        """
        The session ran its turn's lines (L{LINES_PER_TURN}) from one
        read: stop reading until the reactor's next turn.
        """
        self._turnSpent = True
        self._updateReading()
        self.callLater(0, self._nextTurn)

    def _nextTurn(self):
        """
        The reactor served the others: read, and run what was read, again
        (unless something else holds reading).
        """
        self._turnSpent = False
        self._updateReading()

    def _updateReading(self):
        """
        Read commands unless too many wait in the queue, too many replies
        wait to be sent, or the session ran its turn's lines. Only the
        first two, which may last, have the client's hang-up watched.
        """
        if self._closed or self._afterHangup is not None:
            return
        held = self._queue.full or self._repliesBlocked
        if held or self._turnSpent:
            if not self.paused:
                # What it read and did not run yet may run once the client
                # left, with no socket left to ask (FTPProtocol.localAddress).
                self.localAddress()
                LineReceiver.pauseProducing(self)
            if held:
                self._watchHangup()
            else:
                self._stopHangupWatch()
        elif self.paused:
            self._stopHangupWatch()
            LineReceiver.resumeProducing(self)

    def _watchHangup(self):
        """
        Reading paused: the client's hang-up waits unread behind what it
        sent, so look at its socket now and then
        (L{ftpkit.control.hangup}), and end the session once it hung up.
        """
        sock = socketOf(self.transport)
        if sock is not None and self._hangupWatch is None:
            self._hangupWatch = HangupWatch(self.reactor, sock,
                                            self._hungUp)

    def _stopHangupWatch(self):
        """
        Reading resumed, or the session ended: stop looking (at its
        socket, and for a C{QUIT} in what it had not read).
        """
        # Each name is stored only when set: a session storing a name of
        # its own, even None, at every end took one of the few names
        # CPython shares among a class's instances (bench-login-52).
        watch = self._hangupWatch
        if watch is not None:
            self._hangupWatch = None
            watch.stop()
        timer = self._restTimer
        if timer is not None:
            self._restTimer = None
            if timer.active():
                timer.cancel()

    def _hungUp(self):
        """
        The client hung up while reading was paused: the session ends
        (L{connectionLost}), its queued commands and a delayed login
        failure dropped with it, unless a C{QUIT} came: one queued, or
        one among what the session had not read yet, which it reads for
        that (L{_readRest}), keeping the commands before it
        (L{ftpkit.control.quitleft.QuitAfterLeaving.leftLines}); those
        queued wait meanwhile (nobody reads their replies). The client has
        ended its side: no more than what its kernel holds comes; a
        connection whose end does not come within L{CHECK_INTERVAL} is
        cut.
        """
        self._hangupWatch = None
        self.log.info("{peer} hung up with {count} commands queued; "
                      "ending the session", peer=self.peer,
                      count=len(self._queue))
        if self._queue.quitWaiting():
            self.transport.abortConnection()
            return
        self._repliesBlocked = True
        self._afterHangup = self.leftLines()
        self._readRest(self.clearLineBuffer())
        if self._afterHangup is not None:
            self._restTimer = self.callLater(CHECK_INTERVAL, self._restRead)
            # What comes now goes to rawDataReceived: no check of its own
            # on every read of every session (bench-login-52).
            self.setRawMode()
            LineReceiver.resumeProducing(self)

    def rawDataReceived(self, data):
        """
        Bytes read after the client hung up (L{_hungUp} turned
        L{LineReceiver}'s raw mode on): only looked at for a C{QUIT}
        (L{_readRest}).

        @param data: the bytes.
        """
        self._readRest(data)

    def _readRest(self, data):
        """
        Read what a client that hung up sent
        (L{ftpkit.control.hangup.LeftLines}); once a C{QUIT} came, or
        nothing more matters, cut the connection.

        @param data: bytes read after the hang-up was seen.
        """
        if self._afterHangup.read(data):
            self._restRead()

    def _restRead(self):
        """
        What a client that hung up sent was read (or the time to read it
        is over): keep its C{QUIT} and the commands before it, or drop
        them all (L{ftpkit.control.quitleft.QuitAfterLeaving.leftRead}),
        and cut the connection.
        """
        lines, self._afterHangup = self._afterHangup, None
        self._stopHangupWatch()
        self.leftRead(lines)
        self.transport.abortConnection()

    def quitUnrun(self):
        """
        The connection is lost (L{ftpkit.control.connectionlife}): look
        for a C{QUIT} among the lines the session received but did not run
        yet, and keep the commands before it, as among those a client
        that hung up left unread (L{_hungUp}). A client that pipelined
        C{RETR}, a few hundred C{NOOP}s and C{QUIT} and closed at once had
        its download cut (C{426}): the session ran 64 lines a turn, and
        its replies, met by the closed socket's reset, lost the connection
        with the C{QUIT} still unparsed. A C{QUIT} found waits its turn
        behind the transfer and the commands kept
        (L{ftpkit.control.quitleft}).
        """
        if self._closed or self._afterHangup is not None:
            return
        unrun = self.clearLineBuffer()
        if not unrun or self._queue.quitWaiting():
            return
        lines = self.leftLines()
        lines.read(unrun)
        if lines.quit:
            self.log.info("{peer} left with a QUIT among {count} bytes not "
                          "run yet; running the commands before it",
                          peer=self.peer, count=len(unrun))
        self.leftRead(lines)
