"""The one error of the console's own making."""


class LineFailed(Exception):
    """A console line could not be carried out; in a script this fails the run."""
