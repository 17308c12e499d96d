import { describe, expect, it } from 'vitest';
import { withEnvironment } from '../../functions/config.js';
import { messages, payloads, registry } from '../../functions/deps.js';
import { routes, schedules, usesOf, workers } from '../../functions/routes.js';
import { environmentNames, envVarOfUse } from '../../lib/function-environment.js';
import { functionEnvironments, inEnvironment } from '../../lib/local/function-environments.js';
import { messagesTable, payloadBucket, registryTable, SETTINGS } from '../../lib/resources.js';

const route = (method: string, path: string) => {
  const found = routes.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no route ${method} ${path}`);
  return found;
};

describe("a function's environment", () => {
  it('names a variable for every use a route, worker or job declares', () => {
    const uses = [
      ...routes.flatMap((r) => usesOf(r)),
      ...workers.flatMap((w) => w.uses),
      ...schedules.flatMap((j) => j.uses),
    ];
    for (const use of uses) expect(envVarOfUse(use), use).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(envVarOfUse('registry:read')).toBe(registryTable.envVar);
    expect(envVarOfUse('requests:record')).toBe(messagesTable.envVar);
    expect(envVarOfUse('packets:presignDownload')).toBe(payloadBucket.envVar);
    expect(envVarOfUse('adminKey:read')).toBe(SETTINGS.adminKeySecretArn);
  });

  it('gives workers and jobs the API URL, and routes not', () => {
    expect(environmentNames(['messages:read'], 'route')).toEqual(
      [messagesTable.envVar, SETTINGS.stage].sort(),
    );
    expect(environmentNames(['messages:read'], 'worker')).toContain(SETTINGS.publicBaseUrl);
    expect(environmentNames(['messages:read'], 'job')).toContain(SETTINGS.publicBaseUrl);
  });

  it('is, locally, exactly what the stack gives the function: nothing of another function’s', () => {
    const hub = {
      AWS_REGION: 'us-east-1',
      [registryTable.envVar]: 'Registry',
      [messagesTable.envVar]: 'Messages',
      [payloadBucket.envVar]: 'bucket',
      [SETTINGS.stage]: 'local',
      [SETTINGS.publicBaseUrl]: 'http://127.0.0.1:3000',
      [SETTINGS.adminKeySha256]: 'ab'.repeat(32),
    };
    const environmentOf = functionEnvironments(hub);
    const getMessage = environmentOf(usesOf(route('GET', '/v1/messages/{id}')), 'route');
    expect(getMessage).toMatchObject({ AWS_REGION: 'us-east-1', [messagesTable.envVar]: 'Messages' });
    expect(getMessage[payloadBucket.envVar]).toBeUndefined();
    expect(getMessage[SETTINGS.publicBaseUrl]).toBeUndefined();
    expect(getMessage[SETTINGS.adminKeySha256]).toBeUndefined();
    // The admin key's secret has the key's hash as its local stand-in.
    const admin = environmentOf(usesOf(route('GET', '/admin/messages/{id}')), 'route');
    expect(admin[SETTINGS.adminKeySha256]).toBe('ab'.repeat(32));
    expect(admin[SETTINGS.adminKeySecretArn]).toBeUndefined();
  });

  it('refuses an adapter whose variable the running function lacks, even once another function built it', async () => {
    const full = { [registryTable.envVar]: 'Registry', [messagesTable.envVar]: 'Messages' };
    const built = withEnvironment(full, () => registry());
    expect(withEnvironment(full, () => registry())).toBe(built);
    const messagesOnly = inEnvironment(
      () => {
        messages();
        return registry();
      },
      { [messagesTable.envVar]: 'Messages' },
    );
    expect(messagesOnly).toThrow(`Configuration is incomplete: set ${registryTable.envVar}.`);
    expect(() => withEnvironment(full, () => payloads())).toThrow(payloadBucket.envVar);
    // The environment holds across the awaits of one invocation.
    await expect(
      withEnvironment({}, async () => {
        await new Promise((r) => setTimeout(r, 1));
        return registry();
      }),
    ).rejects.toThrow(registryTable.envVar);
  });
});
