"""The test kit's tests."""
