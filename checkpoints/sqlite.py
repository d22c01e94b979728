"""How decif opens the SQLite files of a run directory (`checkpoints.db`, `samples.db`)."""

# WAL without an fsync per commit: a killed process loses nothing committed (the OS has
# the pages), only a power cut could lose the last commits - and every step of every
# sample is a commit, so a synchronous fsync would make the disk the bottleneck.
FAST_COMMITS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
