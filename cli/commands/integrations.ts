import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import YAML from 'yaml';
import { type HubClient, ok, type operations } from '../../client/index.js';
import { action, type Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { when } from '../output.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Integration = Json<operations['listIntegrations']['responses'][200]>['integrations'][number];
type CreateBody = Json<NonNullable<operations['createIntegration']['requestBody']>>;
type PatchBody = Json<NonNullable<operations['patchIntegration']['requestBody']>>;

/**
 * Fields the hub shows but does not take: a file saved from `integrations show -o yaml` applies as it
 * is, without them.
 */
const READ_ONLY = [
  'id',
  'createdAt',
  'updatedAt',
  'nextRunAt',
  'previousSecretValidUntil',
  'secret',
  // The endpoint health the contract adds ("Operator API"): shown, set only by the hub and `enable`.
  'health',
  'disabledAt',
  'disabledReason',
];

/** Every integration (the registry lists them whole). */
export async function allIntegrations(client: HubClient): Promise<Integration[]> {
  return (await ok(client.GET('/admin/integrations'))).integrations;
}

/** An integration by id or by name. */
export async function findIntegration(client: HubClient, ref: string): Promise<Integration> {
  const all = await allIntegrations(client);
  const found = all.find((i) => i.id === ref) ?? all.find((i) => i.name === ref);
  if (!found) {
    throw new CliError(
      `No integration has the id or name "${ref}": \`crossdock integrations ls\` lists them.`,
      'not_found',
    );
  }
  return found;
}

/** The integrations a file declares: one object, a list, or several YAML documents. JSON is YAML too. */
export function readIntegrationFile(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read ${path} (${(error as { code?: string }).code ?? String(error)}).`);
  }
  let docs: unknown[];
  try {
    docs = YAML.parseAllDocuments(text).flatMap((doc) => {
      if (doc.errors.length) throw doc.errors[0];
      const value: unknown = doc.toJS();
      return Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
    });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw usageError(`${path} is not valid YAML or JSON: ${reason}`);
  }
  if (!docs.length) throw usageError(`${path} declares no integration.`);
  return docs.map((doc, i) => {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw usageError(`${path}: item ${i + 1} is not an integration (an object with a name).`);
    }
    const fields = Object.fromEntries(Object.entries(doc).filter(([k]) => !READ_ONLY.includes(k)));
    if (typeof fields.name !== 'string' || !fields.name) {
      throw usageError(
        `${path}: item ${i + 1} has no name; apply finds an existing integration by its name.`,
      );
    }
    return fields;
  });
}

export interface Applied {
  action: 'created' | 'updated' | 'unchanged';
  integration: Integration & { secret?: string };
}

/** Creates each integration whose name is new, PATCHes the one of that name otherwise. */
export async function applyIntegrations(
  client: HubClient,
  declared: Record<string, unknown>[],
): Promise<Applied[]> {
  const existing = await allIntegrations(client);
  const applied: Applied[] = [];
  for (const fields of declared) {
    const current = existing.find((i) => i.name === fields.name);
    if (!current) {
      const created = await ok(client.POST('/admin/integrations', { body: fields as CreateBody }));
      applied.push({ action: 'created', integration: created });
      existing.push(created);
      continue;
    }
    const changed = Object.entries(fields).some(
      ([k, v]) => !isDeepStrictEqual((current as Record<string, unknown>)[k], v),
    );
    if (!changed) {
      applied.push({ action: 'unchanged', integration: current });
      continue;
    }
    const updated = await ok(
      client.PATCH('/admin/integrations/{id}', {
        params: { path: { id: current.id } },
        body: fields as PatchBody,
      }),
    );
    applied.push({ action: 'updated', integration: updated });
  }
  return applied;
}

function integrationRows(ctx: Context, all: Integration[]) {
  return all.map((i) => [
    i.id,
    i.name,
    i.direction,
    i.entity,
    [i.sender ?? '*', i.receiver ?? '*'].join(' → '),
    i.delivery?.mode ?? (i.direction === 'Inbound' ? 'apply' : ''),
    i.active === false ? ctx.out.paint('dim', 'inactive') : ctx.out.status('active'),
  ]);
}

/** integrations ls|show|apply|rm. */
export function integrationCommands(program: Command): Command {
  const integrations = program.command('integrations').description('the integration registry');

  integrations
    .command('ls')
    .description('list integrations')
    .action(
      action(async (ctx) => {
        const all = await allIntegrations(ctx.client());
        if (ctx.out.json) return ctx.out.data({ integrations: all });
        ctx.out.table(
          ['ID', 'NAME', 'DIRECTION', 'ENTITY', 'ROUTE', 'MODE', 'ACTIVE'],
          integrationRows(ctx, all),
        );
      }),
    );

  integrations
    .command('show <idOrName>')
    .description('an integration, as YAML that `apply -f` takes back')
    .action(
      action(async ({ out, client }, [ref]) => {
        const { id } = await findIntegration(client(), ref as string);
        const integration = await ok(client().GET('/admin/integrations/{id}', { params: { path: { id } } }));
        if (out.json) return out.data(integration);
        out.line(YAML.stringify(integration).trimEnd());
        if (integration.nextRunAt) out.note(`next run ${when(integration.nextRunAt)}`);
      }),
    );

  integrations
    .command('apply')
    .description('create the integrations a YAML or JSON file declares, or update those whose name exists')
    .requiredOption(
      '-f, --file <file>',
      'a .yaml, .yml or .json file: one integration, a list, or several documents',
    )
    .action(
      action<{ file: string }>(async ({ out, client }, _args, { file }) => {
        const declared = readIntegrationFile(file);
        const applied = await applyIntegrations(client(), declared);
        if (out.json) return out.data({ applied });
        for (const { action: what, integration } of applied) {
          out.line(`${what.padEnd(9)} ${integration.name} (${integration.id})`);
          if (integration.secret) {
            out.line(`          signing secret ${integration.secret}`);
            out.note('The signing secret is shown only now; the receiver checks webhook-signature with it.');
          }
        }
      }),
    );

  integrations
    .command('rm <idOrName>')
    .description('delete an integration')
    .action(
      action(async ({ out, client }, [ref]) => {
        const { id, name } = await findIntegration(client(), ref as string);
        await ok(client().DELETE('/admin/integrations/{id}', { params: { path: { id } } }));
        if (out.json) return out.data({ deleted: id, name });
        out.line(`Deleted integration ${name} (${id}).`);
      }),
    );

  integrations
    .command('enable <idOrName>')
    .description(
      'enable an integration the hub disabled for failing; its held deliveries go out in arrival order',
    )
    .action(
      action(async ({ out, client }, [ref]) => {
        const { id } = await findIntegration(client(), ref as string);
        const i = await ok(client().POST('/admin/integrations/{id}/enable', { params: { path: { id } } }));
        if (out.json) return out.data(i);
        out.line(`Enabled ${i.name} (${id}): health ${i.health}.`);
      }),
    );

  return integrations;
}
