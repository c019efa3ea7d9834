"""Story pages on the bot's own HTTP server (``GET /s/<story>``): ``adapters.web.pages``
renders them, ``adapters.web.config`` holds the ``[web]`` section. The package imports
neither, so reading the configuration does not load Jinja2."""
