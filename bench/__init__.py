"""Benchmarks run by `make bench` (`python -m bench`); each writes its section of
docs/performance.md, so the numbers there always come from the code beside them."""
