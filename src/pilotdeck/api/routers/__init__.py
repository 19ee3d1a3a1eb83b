"""One APIRouter per aggregate."""
