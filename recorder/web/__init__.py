"""The web front end: `recorder serve`'s server, which runs the screens of recorder/tui in browser tabs."""
