"""Public operations: validate, normalise dtype and channels, dispatch to a backend."""
