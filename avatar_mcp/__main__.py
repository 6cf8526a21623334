import sys

from avatar_mcp.cli import main

sys.exit(main())
