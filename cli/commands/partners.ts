import { type Command, InvalidArgumentError } from 'commander';
import { ok, type operations } from '../../client/index.js';
import { action } from '../context.js';
import { when } from '../output.js';
import { list } from '../parse.js';

type CreateKeyBody = NonNullable<operations['createKey']['requestBody']>['content']['application/json'];
type Scope = NonNullable<CreateKeyBody['scopes']>[number];
const SCOPES = Object.keys({ messages: true, erp: true, device: true, entities: true } satisfies Record<
  Scope,
  true
>) as Scope[];

/** partners ls|add|show, keys add|revoke. */
export function partnerCommands(program: Command): void {
  const partners = program.command('partners').description('partners and their keys');

  partners
    .command('ls')
    .description('list partners')
    .action(
      action(async ({ out, client }) => {
        const answer = await ok(client().GET('/admin/partners'));
        if (out.json) return out.data(answer);
        out.table(
          ['CODE', 'NAME', 'CREATED'],
          answer.partners.map((p) => [p.code, p.name, when(p.createdAt)]),
        );
      }),
    );

  partners
    .command('add <code>')
    .description('register a partner')
    .requiredOption('--name <name>', "the partner's name")
    .action(
      action<{ name: string }>(async ({ out, client }, [code], { name }) => {
        const partner = await ok(client().POST('/admin/partners', { body: { code: code as string, name } }));
        if (out.json) return out.data(partner);
        out.line(`Registered partner ${partner.code} (${partner.name}).`);
        out.note(`Give it a key: crossdock keys add ${partner.code}`);
      }),
    );

  partners
    .command('show <code>')
    .description('a partner and its keys (never the keys themselves)')
    .action(
      action(async ({ out, client }, [code]) => {
        const partner = await ok(
          client().GET('/admin/partners/{code}', { params: { path: { code: code as string } } }),
        );
        if (out.json) return out.data(partner);
        out.line(
          `${out.paint('bold', partner.code)}  ${partner.name}  (registered ${when(partner.createdAt)})`,
        );
        out.line();
        if (!partner.keys.length) return out.line('No keys.');
        out.table(
          ['KEY ID', 'LABEL', 'SCOPES', 'MOBILE USER', 'CREATED', 'STATUS'],
          partner.keys.map((k) => [
            k.id,
            k.label ?? '',
            k.scopes.join(','),
            k.mobileUser ?? '',
            when(k.createdAt),
            k.revokedAt ? out.status('revoked') : out.status('active'),
          ]),
        );
      }),
    );

  const keys = program.command('keys').description("a partner's API keys");

  keys
    .command('add <partner>')
    .description('issue an API key (shown once)')
    .option(
      '--scope <scope>',
      `${SCOPES.join(', ')} (repeat or comma-separate; default all)`,
      (raw: string, previous: Scope[] = []) => {
        const scopes = list(raw);
        const bad = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
        if (bad) throw new InvalidArgumentError(`"${bad}" is not a scope: give ${SCOPES.join(', ')}.`);
        return [...previous, ...(scopes as Scope[])];
      },
    )
    .option('--mobile-user <user>', 'serve only this mobile user (device keys)')
    .option('--label <label>', 'a note to tell keys apart')
    .action(
      action<{ scope?: Scope[]; mobileUser?: string; label?: string }>(
        async ({ out, client }, [partner], { scope, mobileUser, label }) => {
          const body: CreateKeyBody = {};
          if (scope) body.scopes = scope;
          if (mobileUser) body.mobileUser = mobileUser;
          if (label) body.label = label;
          const key = await ok(
            client().POST('/admin/partners/{code}/keys', {
              params: { path: { code: partner as string } },
              body,
            }),
          );
          if (out.json) return out.data(key);
          out.line(key.key);
          out.note(
            `Key ${key.id} for ${partner} (scopes ${key.scopes.join(', ')}). It is shown only now: only its SHA-256 is kept.`,
          );
        },
      ),
    );

  keys
    .command('revoke <partner> <keyId>')
    .description('revoke a key; it stops working at once')
    .action(
      action(async ({ out, client }, [partner, id]) => {
        await ok(
          client().DELETE('/admin/partners/{code}/keys/{id}', {
            params: { path: { code: partner as string, id: id as string } },
          }),
        );
        if (out.json) return out.data({ revoked: id, partner });
        out.line(`Revoked key ${id} of ${partner}.`);
      }),
    );
}
