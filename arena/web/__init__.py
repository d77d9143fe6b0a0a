"""The web arena: `arena serve`'s Starlette app, its pages, the JSON API and the replay player."""
