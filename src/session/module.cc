// Placeholder translation unit; the module's sources land beside it.
