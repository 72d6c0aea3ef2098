"""The record ledger: which samples succeeded and which failed, in Parquet."""
