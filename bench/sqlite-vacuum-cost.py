#!/usr/bin/env python3
"""What the close-time scrub's VACUUM costs on SQLite (docs/operations.md, "The close-time scrub").

    python3 bench/sqlite-vacuum-cost.py 1000000

Builds a throwaway database of N responses shaped like Candor's (WITHOUT ROWID, random 22-char
keys, seven answers, one comment in ten), WAL and secure_delete as Candor sets them, then times
VACUUM and the checkpoint that follows it. Python's bundled SQLite, not Candor's: a size figure.
"""
import sqlite3, os, time, secrets, sys, tempfile

PATH = os.path.join(tempfile.mkdtemp(), 'vacuum-cost.db')
n=int(sys.argv[1]) if len(sys.argv) > 1 else 100000
db=sqlite3.connect(PATH)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA secure_delete=ON")
db.execute("CREATE TABLE responses (id TEXT PRIMARY KEY NOT NULL, round_id TEXT NOT NULL, answers TEXT NOT NULL, comment TEXT) WITHOUT ROWID")
ans='['+','.join('{"question_id":"%s","value":4}'%secrets.token_urlsafe(16) for _ in range(7))+']'
rounds=[secrets.token_urlsafe(16) for _ in range(1000)]
db.execute("BEGIN")
db.executemany("INSERT INTO responses VALUES (?,?,?,?)", ((secrets.token_urlsafe(16), rounds[i%1000], ans, None if i%10 else 'More time for reviews, please.') for i in range(n)))
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print("size MB", os.path.getsize(PATH)/1e6)
t=time.time(); db.execute("VACUUM"); v=time.time()-t
t=time.time(); r=db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone(); c=time.time()-t
print(f"n={n} VACUUM {v:.2f}s checkpoint {c:.2f}s", r)
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(PATH + suffix):
        os.remove(PATH + suffix)
