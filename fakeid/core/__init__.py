"""The bottom layer: errors, the CLI entry, typed values, atomic writes, devices, threads, numbers."""
