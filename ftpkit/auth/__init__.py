"""
Who logs in and what they get: the users file, PostgreSQL users, the
built-in realms and their administration commands.
"""
