"""Provider clients: each bound to one connection, translating HTTP failures into the error taxonomy."""
