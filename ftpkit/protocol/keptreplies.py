"""
Replies formatted once and sent as they were made (L{FormattedReply}),
kept by what they follow from (L{KeptReplies}): C{FEAT}'s, the same for
every session of a server in the same state, was worked out and
formatted again at every C{FEAT}, half of the work of a login that asks
it (C{docs/benchmark-investigations.rst}, C{bench-feat-56}). Pure: no
Twisted.
"""

from ftpkit.protocol.replies import formatReply


class FormattedReply:
    """
    A reply's bytes as L{formatReply} made them: the text of a handler's
    reply C{(code, text)} that
    L{ftpkit.control.connection.FTPProtocol.reply} sends as it is.

    @ivar data: the bytes, the reply's code in them.
    """

    __slots__ = ("data",)

    def __init__(self, code, text):
        """
        @param code: the reply's code.
        @param text: its text, a L{str} or a L{list} of lines
            (L{formatReply}'s).
        """
        self.data = formatReply(code, text)


class KeptReplies:
    """
    L{FormattedReply}s by a key naming all they follow from; at most
    C{limit} of them: when one more is made, those kept are forgotten (a
    server has few states, and a session that changes its own again and
    again only makes more).
    """

    def __init__(self, limit):
        """
        @param limit: how many replies are kept at most.
        """
        self._replies = {}
        self._limit = limit

    def reply(self, key, code, makeText):
        """
        @param key: a hashable value: the reply must follow from it and
            from nothing else (two states giving different replies must
            have different keys).
        @param code: the reply's code.
        @param makeText: makes its text (L{formatReply}'s) when none is
            kept for C{key}.
        @return: the L{FormattedReply} kept for C{key}, made now if none
            was.
        """
        replies = self._replies
        kept = replies.get(key)
        if kept is None:
            if len(replies) >= self._limit:
                replies.clear()
            kept = replies[key] = FormattedReply(code, makeText())
        return kept
