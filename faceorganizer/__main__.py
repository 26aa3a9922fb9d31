from faceorganizer.cli import main

if __name__ == "__main__":  # not when a child process imports this module
    raise SystemExit(main())
