"""
C{--max-sessions-per-user} across the workers of C{--workers}: a worker
asks the acceptor before admitting a login (L{WorkerUserSessions}), and
the acceptor counts every worker's logins (L{AcceptorUserSessions}).

Over the worker's Unix socket, the worker sends C{login ID USER} and
C{logout USER}; the acceptor answers C{login-ok ID} or C{login-no ID}.
C{USER} is the user's name in hexadecimal (UTF-8), so that it holds no
space or line end.
"""

import itertools
from collections import Counter

from twisted.internet import defer

from ftpkit.control.sessionlimits import UserSessions


def encodeUser(user):
    """
    @param user: a user name.
    @return: its hexadecimal form, as bytes.
    """
    return user.encode("utf-8", "surrogateescape").hex().encode("ascii")


class WorkerUserSessions:
    """
    The C{userSessions} of a worker's factory: every login is admitted by
    the acceptor.
    """

    def __init__(self, channel):
        """
        @param channel: the L{ftpkit.deploy.channel.Channel} to the
            acceptor.
        """
        self.channel = channel
        self._ids = itertools.count(1)
        self._waiting = {}

    def admit(self, user):
        """
        Ask the acceptor to count a login of C{user}.

        @param user: the user's name.
        @return: a Deferred firing with whether it was admitted (C{False}
            when the acceptor cannot be asked).
        """
        requestId = next(self._ids)
        answer = self._waiting[requestId] = defer.Deferred()
        if not self.channel.sendLine(b"login %d %s" % (
                requestId, encodeUser(user))):
            del self._waiting[requestId]
            answer.callback(False)
        return answer

    def release(self, user):
        """
        Tell the acceptor a session of C{user} ended.

        @param user: the user's name.
        """
        self.channel.sendLine(b"logout " + encodeUser(user))

    def lineReceived(self, line):
        """
        Take in the acceptor's answer to a login.

        @param line: a line from the acceptor (one of another kind is
            skipped).
        """
        kind, _, requestId = line.partition(b" ")
        if kind in (b"login-ok", b"login-no") and requestId.isdigit():
            answer = self._waiting.pop(int(requestId), None)
            if answer is not None:
                answer.callback(kind == b"login-ok")


class AcceptorUserSessions:
    """
    The acceptor's count of every worker's logins per user.
    """

    def __init__(self, limit):
        """
        @param limit: the most sessions one user may have, or C{None}.
        """
        self.users = UserSessions(limit)
        self._byWorker = {}

    def handle(self, worker, kind, rest):
        """
        Act on one message of a worker.

        @param worker: the worker it came from.
        @param kind: C{b"login"} or C{b"logout"}.
        @param rest: the rest of the line.
        @return: the answer to send back (a line without its end), or
            C{None}.
        """
        held = self._byWorker.setdefault(worker, Counter())
        if kind == b"login":
            requestId, _, user = rest.partition(b" ")
            if self.users.admit(user):
                held[user] += 1
                return b"login-ok " + requestId
            return b"login-no " + requestId
        if held[rest] > 0:
            held[rest] -= 1
            self.users.release(rest)
        return None

    def forgetWorker(self, worker):
        """
        A worker is gone: release every login it held.

        @param worker: its L{ftpkit.deploy.workerprocess.WorkerProcess}.
        """
        for user, count in self._byWorker.pop(worker, Counter()).items():
            for _ in range(count):
                self.users.release(user)
