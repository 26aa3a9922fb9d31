from faceorganizer.cli import main

raise SystemExit(main())
