import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH_USES, type RouteDefinition } from '../../functions/route-types.js';
import { faceOf, routes, usesOf } from '../../functions/routes.js';
import { repoRoot } from '../../lib/bundling.js';

const functions = join(repoRoot, 'functions');
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const key = (r: RouteDefinition) => `${r.method} ${r.path}`;
const isRoute = (v: unknown): v is RouteDefinition =>
  typeof v === 'object' && v !== null && 'method' in v && 'path' in v && 'handler' in v;

describe('the route table', () => {
  it('declares each route beside its handler: functions/http/X.ts in functions/routes/X.ts', async () => {
    for (const route of routes) {
      const declared = await import(join(functions, 'routes', route.handler.file.replace(/^http\//, '')));
      const same = Object.values(declared).filter(isRoute);
      expect(
        same.some((d) => d.handler.export === route.handler.export && route.path.endsWith(d.path)),
        key(route),
      ).toBe(true);
    }
  });

  it('lists every route declared under functions/routes/', async () => {
    for (const file of filesUnder(join(functions, 'routes'))) {
      for (const [name, value] of Object.entries(await import(file))) {
        if (isRoute(value)) expect(routes, `${relative(functions, file)}: ${name}`).toContain(value);
      }
    }
  });

  it('parses every path parameter, and names no other', () => {
    for (const route of routes) {
      const inPath = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]).sort();
      expect(Object.keys(route.params?.def.shape ?? {}).sort(), key(route)).toEqual(inPath);
    }
  });

  it('gives every answer with a body a schema or a content type', () => {
    for (const route of routes) {
      for (const [status, answer] of Object.entries(route.responses)) {
        if (Number(status) >= 300) continue;
        if (Number(status) === 204) {
          expect(typeof answer, `${key(route)} ${status}`).toBe('string');
          continue;
        }
        expect(
          typeof answer === 'object' && (answer.schema ?? answer.contentType),
          `${key(route)} ${status}`,
        ).toBeTruthy();
      }
    }
  });

  it('answers the 3PL auth kinds in the 3PL face, erp and device keys in the packets face, /odata in OData', () => {
    for (const route of routes) {
      const face = faceOf(route);
      if (route.auth === 'basic' || route.auth === 'bearerToken')
        expect(['threepl', 'oauth'], key(route)).toContain(face);
      else if (route.scope === 'erp' || route.scope === 'device') expect(face, key(route)).toBe('packets');
      else if (route.path === '/odata' || route.path.startsWith('/odata/')) {
        expect(face, key(route)).toBe('odata');
        expect(route.auth, key(route)).toBe('admin');
      } else expect(face, key(route)).toBe('hub');
    }
  });

  it('binds a function to what its auth kind implies, then to what its route uses, once each', () => {
    for (const route of routes) {
      const uses = usesOf(route);
      expect(uses.slice(0, AUTH_USES[route.auth].length), key(route)).toEqual(AUTH_USES[route.auth]);
      expect(new Set(uses).size, key(route)).toBe(uses.length);
      expect(uses, key(route)).toEqual(expect.arrayContaining([...route.uses]));
      expect(usesOf(route), key(route)).toBe(uses);
    }
  });

  it('is never imported by a handler: each reads its own declaration', () => {
    for (const file of filesUnder(join(functions, 'http'))) {
      expect(readFileSync(file, 'utf8'), relative(functions, file)).not.toMatch(/from '(\.\.\/)+routes\.js'/);
    }
  });
});
