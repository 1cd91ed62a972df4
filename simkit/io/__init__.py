"""The io layer: reading and checking data and scenario files, the COINr import, and safe writers.  No rules."""
