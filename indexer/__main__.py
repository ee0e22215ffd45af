import signal
import sys

from indexer.cli import main

if __name__ == "__main__":  # not when a worker process started with "spawn" imports this module
    # `python -m indexer show … | head` should stop quietly when head has read enough.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
