import sys

from dorahub_cli.main import main

sys.exit(main())
