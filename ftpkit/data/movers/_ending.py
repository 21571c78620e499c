"""
How a mover's copy tells its end: L{EndsOnce}, a L{Deferred} made only
when someone asks for it, so that a copy over at once (a small file sent
or received whole in its first step, the usual case) makes none.
"""

from twisted.internet import defer
from twisted.python.failure import Failure


class EndsOnce:
    """
    A mix-in for a copy that ends once, with a count of bytes or a failure.

    The copy calls L{_end} when it is over; the mover either asks
    L{endedAtOnce} right after starting it, or waits on L{done}.
    """

    _done = None
    _result = None
    _ended = False

    @property
    def done(self):
        """
        A Deferred firing with the bytes moved once the copy is over, or
        failing with why it stopped. Made when first asked for: a copy
        over by then gets one fired already, with no callbacks to run.
        """
        done = self._done
        if done is None:
            if not self._ended:
                done = defer.Deferred()
            elif isinstance(self._result, (BaseException, Failure)):
                done = defer.fail(self._result)
            else:
                done = defer.succeed(self._result)
            self._done = done
        return done

    def endedAtOnce(self):
        """
        @return: the bytes moved, when the copy is over and succeeded
            before L{done} was asked for; else C{None}.
        """
        if self._done is None and self._ended and type(self._result) is int:
            return self._result
        return None

    def _end(self, moved, failure):
        """
        Tell the copy's end, once.

        @param moved: the bytes moved.
        @param failure: why it stopped (an exception or a L{Failure}), or
            C{None} when it succeeded.
        """
        self._ended = True
        done = self._done
        if done is None:
            self._result = moved if failure is None else failure
        elif failure is None:
            done.callback(moved)
        else:
            done.errback(failure)
