"""
What operators see: the event hub and its subscribers (logs, the
transfer log, metrics), the status page, C{python -m ftpkit.who},
draining on C{SIGTERM}.
"""
