"""Start the web page on the seed corpus (the index is built on first use)."""

from rag.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve"]))
