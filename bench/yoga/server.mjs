// graphql-yoga serving the part of seg-graphql's schema that bench/http_bench.py loads, over
// the same 50 segments (a JSON file the bench writes) with the same key check: the bearer
// key's SHA-256 must be a known key's hash. Stock yoga settings (parse and validation caches
// on), one Node process. Usage: node server.mjs PORT DATA.json
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { GraphQLError, GraphQLScalarType } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";

const [port, dataFile] = process.argv.slice(2);
const data = JSON.parse(readFileSync(dataFile, "utf8"));
const keys = new Map(data.keys.map((k) => [k.hash, k]));

const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  enum SegmentType { STATIC DYNAMIC }
  enum EditableBy { ADMIN ASSIGNED }
  enum Role { ADMIN EDITOR VIEWER }
  enum Operator { EQUALS NOT_EQUALS IN NOT_IN CONTAINS NOT_CONTAINS GT GTE LT LTE EXISTS NOT_EXISTS }
  type Criterion { field: String! operator: Operator! value: JSON }
  type Rules { include: [Criterion!]! exclude: [Criterion!]! }
  type Segment {
    id: ID! technicalName: String! name: String! description: String type: SegmentType!
    url: String teamId: ID isDefault: Boolean! editableBy: EditableBy! estimatedSize: Int!
    estimatedSizeUpdatedAt: DateTime createdAt: DateTime! updatedAt: DateTime!
    rules: Rules! fql: String!
  }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type SegmentEdge { cursor: String! node: Segment! }
  type SegmentConnection { edges: [SegmentEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type Viewer { tenant: String! role: Role! }
  type Query { segments(first: Int = 50, after: String): SegmentConnection! viewer: Viewer! }
`;

const cursor = (id) => Buffer.from(`segment:${id}`).toString("base64url");
const afterId = (after) => {
  if (after == null) return 0;
  const [kind, id] = Buffer.from(after, "base64url").toString().split(":");
  if (kind !== "segment" || !/^\d+$/.test(id)) throw new GraphQLError("not a valid cursor");
  return Number(id);
};
// seg-graphql's rules_to_fql: include criteria, then the exclusions under $nor
const SYMBOLS = {
  EQUALS: "$eq", NOT_EQUALS: "$ne", IN: "$in", NOT_IN: "$nin", GT: "$gt", GTE: "$gte",
  LT: "$lt", LTE: "$lte", CONTAINS: "$contains", NOT_CONTAINS: "$ncontains",
};
const criterionFql = (c) =>
  c.operator === "EXISTS" ? { [c.field]: { $exists: true } }
  : c.operator === "NOT_EXISTS" ? { [c.field]: { $exists: false } }
  : { [c.field]: { [SYMBOLS[c.operator]]: c.value } };
const fql = (rules) => {
  const items = rules.include.map(criterionFql);
  if (rules.exclude.length) items.push({ $nor: rules.exclude.map(criterionFql) });
  return JSON.stringify(items);
};

const resolvers = {
  DateTime: new GraphQLScalarType({ name: "DateTime", serialize: (v) => v }),
  JSON: new GraphQLScalarType({ name: "JSON", serialize: (v) => v }),
  Query: {
    segments: (_root, { first, after }) => {
      if (first < 0 || first > 100) throw new GraphQLError("first must be between 0 and 100");
      const start = afterId(after);
      const page = data.segments.filter((s) => s.id > start).slice(0, first + 1);
      const items = page.slice(0, first);
      const edges = items.map((s) => ({ cursor: cursor(s.id), node: s }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.length > first,
          hasPreviousPage: after != null,
          startCursor: edges.length ? edges[0].cursor : null,
          endCursor: edges.length ? edges[edges.length - 1].cursor : null,
        },
        totalCount: data.segments.length,
      };
    },
    viewer: (_root, _args, context) => ({ tenant: context.principal.tenant, role: context.principal.role }),
  },
  Segment: {
    id: (s) => String(s.id),
    fql: (s) => fql(s.rules),
  },
};

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  graphiql: false,
  landingPage: false,
  logging: false,
  context: ({ request }) => {
    const header = request.headers.get("authorization") ?? "";
    const key = header.startsWith("Bearer ") ? header.slice(7) : "";
    const principal = keys.get(createHash("sha256").update(key).digest("hex"));
    if (!principal) {
      throw new GraphQLError("a valid API key is required", { extensions: { code: "UNAUTHENTICATED" } });
    }
    return { principal };
  },
});

createServer(yoga).listen(Number(port), "127.0.0.1");
