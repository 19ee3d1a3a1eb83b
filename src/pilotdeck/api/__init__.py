"""REST API (FastAPI): one router per aggregate, problem+json errors."""
