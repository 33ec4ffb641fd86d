"""The QA rules as pure logic (no Dagster): catalogue, engine over the lake, history pass, GX suite, qa rows."""
