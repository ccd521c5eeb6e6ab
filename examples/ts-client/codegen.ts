// Types for every operation in src/ from the server's committed schema (../../schema.graphql).
// `npm run codegen` writes src/gql/ (not committed: regenerate after a schema change).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  emitLegacyCommonJSImports: false, // imports with .js: the output runs as Node ES modules
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        documentMode: "string", // documents are plain strings: no GraphQL parser in the bundle
        useTypeImports: true,
        onlyOperationTypes: true, // no type per schema object, only what the operations use
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: "string", Date: "string", Degrees: "number", JSON: "unknown", Amount: "string" },
      },
    },
  },
};

export default config;
