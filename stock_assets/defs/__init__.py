"""Dagster definitions, one package per domain; `stock_assets.definitions` gathers them."""
