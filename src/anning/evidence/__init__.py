"""Evidence locker: phone SMS exports imported into a local, tamper-evident SQLite log.

``records`` holds the plain data types shared by importers, the store and the documents; nothing
here imports lxml, sqlite3 or the engine at package import time.
"""
