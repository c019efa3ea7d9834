"""newsbot: reads the news for people. The pipeline's stages are its subpackages (see
ARCHITECTURE.md)."""
