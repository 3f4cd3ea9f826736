"""The console's screens: fleet overview, release detail, confirmation and help modals."""
