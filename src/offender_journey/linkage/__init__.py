"""Who is who across sources: identifiers checked and made comparable, and linking."""
