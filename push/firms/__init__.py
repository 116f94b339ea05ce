"""The enterprise registry: firm tables, import, credit codes (GB 32100) and enterprise size (大/中/小/微)."""
