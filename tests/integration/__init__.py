"""
Integration tests: real servers on 127.0.0.1 (in this process or as
twistd processes) driven by real clients.
"""
