"""Real servers on loopback for integration tests and benchmarks (Dovecot IMAP, a misbehaving TCP proxy)."""
