"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from dotenv import load_dotenv

# A .env file beside this one, for servers that don't read it themselves. Loaded before the app
# is imported: config.py reads the environment when it is imported.
load_dotenv()

from app import create_app  # noqa: E402

app = create_app()
