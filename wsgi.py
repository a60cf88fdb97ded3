"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from dotenv import load_dotenv

from app import create_app

load_dotenv()  # a .env file beside this one, for servers that don't read it themselves
app = create_app()
