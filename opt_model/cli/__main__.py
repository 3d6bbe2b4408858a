"""``python -m opt_model.cli``: the same as the ``opt-model`` console script."""

from opt_model.cli import main

raise SystemExit(main())
