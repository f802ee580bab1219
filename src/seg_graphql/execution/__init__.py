"""Compiled execution of hot GraphQL documents (what graphql-jit does for graphql-js).

A validated query document is turned once into a plan: per selected field, how to resolve
it (a plain attribute, a Strawberry resolver called directly, or the field's own resolve
function) and how to complete its value (leaf, list, object, non-null), with the field groups,
fragments and `@skip`/`@include` decisions worked out ahead of time. Each request then runs
the plan without graphql-core's per-field machinery (no resolve info, path, argument parsing
or type dispatch per field) while keeping graphql-core's semantics: the same error messages,
paths and locations, null propagation, concurrency and DataLoader batching.

Anything a plan does not cover (mutations, introspection, abstract types...) runs through
Strawberry's `schema.execute` as before.
"""

from seg_graphql.execution.executor import CompiledExecution

__all__ = ["CompiledExecution"]
