"""免申即享: eligible lists generated from firm facts, signed off, and paid without an application."""
