"""Date formats per language, where Django's own do not suit (FORMAT_MODULE_PATH)."""
