"""One table of matrix entries per module; see README.md in this folder."""
