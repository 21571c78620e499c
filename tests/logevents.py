"""
Log events a test collects until it ends: all of them, or the warnings
(warning level or worse), as text or as they are.
"""

from twisted.logger import LogLevel, globalLogPublisher

from ftpkit.shells import keptregistry


def captureWarnings(testCase):
    """
    Collect warning-or-worse log events until the test ends.

    @param testCase: the running test.
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


def captureLogs(testCase):
    """
    Collect every log event emitted until the test ends.

    @param testCase: the running test.
    @return: the list the events are appended to.
    """
    events = []
    globalLogPublisher.addObserver(events.append)
    testCase.addCleanup(globalLogPublisher.removeObserver, events.append)
    return events


def warningsAbout(events, peer):
    """
    @param events: log events (L{captureLogs}).
    @param peer: an address, as text.
    @return: warning-or-worse events that name C{peer}.
    """
    return [event for event in events
            if event.get("log_level") is not None
            and event["log_level"] >= LogLevel.warn
            and peer in repr(sorted(event.items(), key=str))]


def dropped(events):
    """
    @param events: log events (dicts).
    @return: the C{partial-dropped} ones, as (path, user, bytes, reason).
    """
    return [(event["path"], event["user"], event["bytes"], event["reason"])
            for event in events
            if event.get("ftpkit_event") == keptregistry.PARTIAL_DROPPED]
