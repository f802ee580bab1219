"""seg-graphql: one GraphQL API for user segments over MongoDB."""

__version__ = "0.1.0"
