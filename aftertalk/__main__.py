import sys

from aftertalk.cli import main

sys.exit(main())
