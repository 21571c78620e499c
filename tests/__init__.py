"""
ftpkit's tests (C{python -m twisted.trial tests}).

Property tests run with no per-example deadline and without Hypothesis's
"input generation is slow" health check: both measure the machine's
load, not the code (on a shared two-core machine under a parallel test
run, generation alone passed the check's limit now and then).
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ftpkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ftpkit")
