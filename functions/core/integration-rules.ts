import { ENTITY_NAME } from './entities.js';
import { badRequest } from './errors.js';
import type { IntegrationInput } from './integration.js';
import { checkOutboundUrl } from './outbound-url.js';

export interface RuleContext {
  /** The local hub may deliver to http://127.0.0.1; a deployed stage never may. */
  allowLoopback: boolean;
  /**
   * Parses a JSONata expression, throwing on a syntax error (jsonata itself). Needed only for an
   * integration that carries one (`integrationExpressions`): jsonata is 80 KB, which the API loads
   * only then (`expressionParser`), so an integration without expressions costs no cold start.
   */
  parseExpression?: (expression: string) => unknown;
}

/** The JSONata expressions an integration carries: field, expression, and the top-level field. */
export function integrationExpressions(i: IntegrationInput): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const [field, expr, top] of [
    ['filter', i.filter, 'filter'],
    ['delivery.template', i.delivery?.template, 'delivery'],
    ['delivery.writeBack', i.delivery?.writeBack, 'delivery'],
    ['inbound.template', i.inbound?.template, 'inbound'],
  ] as const) {
    if (expr) found.push([field, expr, top]);
  }
  return found;
}

/** jsonata's parser, loaded on first use (a chunk of its own in the bundle). */
export async function expressionParser(): Promise<(expression: string) => unknown> {
  return (await import('jsonata')).default;
}

/** The rules that span fields (FinanceKey's flags, the delivery block, the retry schedule). */
export function checkIntegrationRules(i: IntegrationInput, ctx: RuleContext): void {
  const outbound = i.direction === 'Outbound';
  if (i.includeUpdate && !(i.active && outbound)) {
    throw badRequest(
      'invalid_integration',
      'includeUpdate may be set only on an active Outbound integration.',
      'includeUpdate',
    );
  }
  if (i.continuous && !(i.active && outbound && i.includeUpdate)) {
    throw badRequest(
      'invalid_integration',
      'continuous may be set only on an active Outbound integration that has includeUpdate.',
      'continuous',
    );
  }
  if (i.continuous && !i.defaultSchedule) {
    // The schedule is how often a still-eligible row is sent again; without one there is no "again".
    throw badRequest(
      'invalid_integration',
      'continuous needs a defaultSchedule: the minutes between re-sends of a row that is still eligible.',
      'defaultSchedule',
    );
  }
  if (i.managed && outbound && i.sender) {
    throw badRequest(
      'invalid_integration',
      'sender: a managed Outbound integration takes each enabling client as its sender; leave sender out.',
      'sender',
    );
  }
  if (i.managed && !outbound && i.consentType === 'Receiver') {
    throw badRequest(
      'invalid_integration',
      'consentType: a managed Inbound integration has each enabling client as its receiver, so Receiver consent would be the client’s own; use Operator or None.',
      'consentType',
    );
  }
  if (i.managed && !outbound && i.receiver) {
    throw badRequest(
      'invalid_integration',
      'receiver: a managed Inbound integration takes each enabling client as its receiver; leave receiver out.',
      'receiver',
    );
  }
  if (outbound && !i.receiver)
    throw badRequest('invalid_integration', 'receiver is required for Outbound.', 'receiver');
  if (outbound && !i.delivery)
    throw badRequest('invalid_integration', 'delivery is required for Outbound.', 'delivery');
  if (!outbound) checkInboundRules(i);
  else if (i.inbound) {
    throw badRequest('invalid_integration', 'inbound is for Inbound integrations only.', 'inbound');
  }
  const d = i.delivery;
  if (!d) {
    checkExpressions(i, ctx);
    return;
  }
  if (d.mode === 'pull') {
    if (d.url)
      throw badRequest('invalid_integration', 'delivery.url is not used by pull; leave it out.', 'delivery');
  } else {
    if (!d.url)
      throw badRequest('invalid_integration', `delivery.url is required for ${d.mode}.`, 'delivery');
    const problem = checkOutboundUrl(d.url, ctx.allowLoopback);
    if (problem) throw badRequest('invalid_integration', `delivery.url ${problem}`, 'delivery');
  }
  if (d.retrySchedule && d.retrySchedule.length !== i.maxAttempts - 1) {
    throw badRequest(
      'invalid_integration',
      `delivery.retrySchedule must have maxAttempts - 1 = ${i.maxAttempts - 1} entries.`,
      'delivery',
    );
  }
  if (d.writeBack && (!outbound || d.mode === 'pull')) {
    throw badRequest(
      'invalid_integration',
      'delivery.writeBack needs an Outbound push or notify delivery: it reads the counterparty’s answer.',
      'delivery',
    );
  }
  checkExpressions(i, ctx);
}

/** Every expression parses (filter, template, writeBack, inbound template), or a 400 naming it. */
function checkExpressions(i: IntegrationInput, ctx: RuleContext): void {
  const expressions = integrationExpressions(i);
  if (expressions.length === 0) return;
  const parse = ctx.parseExpression;
  if (!parse)
    throw new Error('checkIntegrationRules: this integration has expressions and no parser was given.');
  for (const [field, expr, top] of expressions) {
    try {
      parse(expr);
    } catch (e) {
      throw badRequest(
        'invalid_integration',
        `${field} is not a valid JSONata expression: ${(e as Error).message}`,
        top,
      );
    }
  }
}

/** An Inbound integration writes rows of its entity for its receiver; it sends nothing. */
function checkInboundRules(i: IntegrationInput): void {
  if (i.delivery) {
    throw badRequest(
      'invalid_integration',
      'delivery: an Inbound integration applies documents to entity rows and sends nothing; leave delivery out.',
      'delivery',
    );
  }
  if (!i.managed && !i.receiver) {
    throw badRequest(
      'invalid_integration',
      'receiver is required for Inbound: the partner whose rows the documents become.',
      'receiver',
    );
  }
  if (!ENTITY_NAME.test(i.entity)) {
    throw badRequest(
      'invalid_integration',
      'entity: an Inbound integration names the entity its rows belong to (a letter, then letters, digits, _ . -).',
      'entity',
    );
  }
}
