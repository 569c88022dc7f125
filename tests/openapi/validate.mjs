// Validates an OpenAPI document (file path argument) with @apidevtools/swagger-parser,
// which checks it against the OpenAPI 3.1 schema and resolves every $ref.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  const ops = Object.values(api.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(`openapi: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths, ${ops} operations`);
} catch (err) {
  console.error(`openapi: INVALID: ${err.message}`);
  process.exit(1);
}
