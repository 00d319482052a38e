"""Text handling: normalisation with offset maps and entity extraction."""
