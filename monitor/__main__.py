"""`python -m monitor` is the same as the `pressmon` command."""

from monitor.cli import main

if __name__ == "__main__":
    main()
