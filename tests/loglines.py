"""
L{LoggedLines}: the ftpkit lines a test's code logs, as text.
"""

from twisted.logger import formatEvent, globalLogPublisher


class LoggedLines:
    """
    A test case mixin: L{captureLog} starts keeping what is logged, and
    L{lines} gives ftpkit's lines.

    @ivar logged: the events logged since L{captureLog}.
    """

    def captureLog(self):
        """
        Keep every event logged until the test ends.
        """
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)

    def lines(self):
        """
        @return: the ftpkit lines logged, as text.
        """
        return [formatEvent(event) for event in self.logged
                if event.get("log_namespace", "").startswith("ftpkit")]
