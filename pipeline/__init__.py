"""The pipeline: what happens to fetched mail, in order, and the parser processes it runs in.

`batch.Pipeline.ingest_batch` is the list of steps for one batch (store raw → parse in the pool → link →
store records); `intake.StoreIntake.commit` wraps it with the set-aside and the folder's cursor in one
transaction.  `pool`/`process`/`budget` are the parser processes and their budget: every parse of mail bytes
in the service goes through `pool.ParserPool` (ingest, reparse, relink).  `parsers/` stays pure and `store/`
starts no process: both are used from here.
"""
