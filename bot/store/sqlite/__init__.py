"""The SQLite engine of the store: one file through aiosqlite, numbered migrations, repositories."""
