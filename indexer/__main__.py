import signal
import sys

from indexer.cli import main

# `python -m indexer show … | head` should stop quietly when head has read enough.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
sys.exit(main())
