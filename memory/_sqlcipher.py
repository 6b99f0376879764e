"""SQLCipher as the sqlite driver, and sqlite-utils on top of it.

sqlite-utils catches `pysqlite3`'s exceptions when that module exists, else the stdlib's; aliasing
`pysqlite3` to `sqlcipher3` before sqlite-utils is imported makes its error handling catch ours.
"""

import sys

import sqlcipher3
import sqlcipher3.dbapi2

sys.modules["pysqlite3"] = sqlcipher3
sys.modules["pysqlite3.dbapi2"] = sqlcipher3.dbapi2

import sqlite_utils  # noqa: E402

DatabaseError = sqlcipher3.dbapi2.DatabaseError
OperationalError = sqlcipher3.dbapi2.OperationalError
IntegrityError = sqlcipher3.dbapi2.IntegrityError
connect = sqlcipher3.connect
Connection = sqlcipher3.dbapi2.Connection
Cursor = sqlcipher3.dbapi2.Cursor

__all__ = ["Connection", "Cursor", "DatabaseError", "IntegrityError", "OperationalError", "connect",
           "sqlite_utils"]
