"""
Log events a test collects until it ends: all of them, or the warnings
(warning level or worse), as text or as they are.
"""

from twisted.logger import LogLevel, globalLogPublisher


def captureWarnings(testCase):
    """
    Collect warning-or-worse log events until the test ends.

    @return: the list of their texts (format plus every field).
    """
    events = []

    def observe(event):
        level = event.get("log_level")
        if level is not None and level >= LogLevel.warn:
            events.append(repr(sorted(event.items(), key=str)))

    globalLogPublisher.addObserver(observe)
    testCase.addCleanup(globalLogPublisher.removeObserver, observe)
    return events
