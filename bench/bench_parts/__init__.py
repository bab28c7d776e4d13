"""Parts of bench/run: booking (1, 2, 5, 6) and ops (3, 4)."""
