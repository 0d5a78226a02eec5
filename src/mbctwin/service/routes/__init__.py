"""Thin routers: validate, call one engine or store function, map the result to a schema."""
