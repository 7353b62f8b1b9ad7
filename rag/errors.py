"""One small error hierarchy; every message tells the user what to do next (in Chinese)."""


class RagError(Exception):
    """Base class for errors a user can act on."""


class InputError(RagError):
    """A document or a question the product cannot accept."""


class IndexStateError(RagError):
    """The index is missing, corrupt, or built with another embedder."""


class ModelError(RagError):
    """A model file is missing, broken or of the wrong kind."""
