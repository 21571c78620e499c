"""
Benchmarks comparing ftpkit with other FTP servers on loopback.

Run C{python -m bench --help}; C{docs/benchmark.rst} explains the scenarios.
"""
