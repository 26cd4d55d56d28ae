"""The secretariat's web pages (Starlette, server-rendered Jinja2): read and correct through store/."""
