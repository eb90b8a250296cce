import sys


def main(argv: list[str] | None = None) -> int:
    print("dorahub: not implemented yet", file=sys.stderr)
    return 2
