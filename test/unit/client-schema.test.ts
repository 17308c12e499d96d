import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchema, SCHEMA_FILE } from '../../client/codegen/generate.js';
import { buildOpenApi } from '../../functions/openapi.js';

describe('the typed client (client/)', () => {
  it('client/schema.ts is what openapi-typescript makes of the route table (else: npm run client:generate)', async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    const current = await generateSchema();
    expect(committed, 'client/schema.ts is stale: run `npm run client:generate` and commit it').toBe(current);
  });

  it('every operation of the document has its own operationId (OpenAPI requires it; generators name functions after them)', () => {
    const ids = Object.values(buildOpenApi().paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((ops) => Object.values(ops))
      .map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('listMessages');
  });

  it('the client module imports nothing Node-only, so the web console can share it', () => {
    const source = readFileSync(new URL('../../client/index.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['./schema.js', './schema.js', 'openapi-fetch']);
  });
});
