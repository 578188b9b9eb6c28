"""The async client's tests (a package, so its conftest and helpers have their own names)."""
