// Typed documents for every operation in ../operations, from the committed schema.graphql.
import type { CodegenConfig } from "@graphql-codegen/cli";

export const clientPreset = {
  preset: "client" as const,
  config: {
    // The custom scalars as they travel in JSON (see their @specifiedBy).
    scalars: { DateTime: "string", UnixTimestamp: "number", JSON: "unknown", Upload: "File" },
    enumsAsTypes: true,
    useTypeImports: true,
  },
  presetConfig: { fragmentMasking: false },
};

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["../operations/*.graphql"],
  emitLegacyCommonJSImports: false, // ".js" in imports, as NodeNext resolution needs
  generates: { "src/gql/": clientPreset },
};

export default config;
