"""Pure logic with no Dagster imports: tested on its own, used by the thin assets."""
