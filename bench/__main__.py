"""`python -m bench [name ...]`: run every benchmark, or the ones named, and record them."""

import sys

from bench import exports, feeds, pages

BENCHMARKS = {"feeds": feeds.main, "pages": pages.main, "exports": exports.main}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
