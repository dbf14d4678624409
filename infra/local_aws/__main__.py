"""``python -m local_aws`` behaves like the ``membership`` console script."""

from local_aws.cli import main

raise SystemExit(main())
