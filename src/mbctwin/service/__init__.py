"""The HTTP service: FastAPI app over the engine and the store (``create_app``)."""
