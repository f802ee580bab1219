// The same generation, from the live server's introspection (SEG_GRAPHQL_URL, SEG_API_KEY).
// CI compares its output with the one from schema.graphql: they must be identical.
import type { CodegenConfig } from "@graphql-codegen/cli";
import { clientPreset } from "./codegen.js";

const url = process.env.SEG_GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
const key = process.env.SEG_API_KEY ?? "";

const config: CodegenConfig = {
  schema: { [url]: { headers: { Authorization: `Bearer ${key}` } } },
  documents: ["../operations/*.graphql"],
  emitLegacyCommonJSImports: false, // ".js" in imports, as NodeNext resolution needs
  generates: { "gql-from-url/": clientPreset },
};

export default config;
