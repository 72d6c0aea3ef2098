from datamill.cli.main import main

raise SystemExit(main())
