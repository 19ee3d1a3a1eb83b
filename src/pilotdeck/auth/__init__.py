"""Role-based access control: roles, permissions, API tokens."""
