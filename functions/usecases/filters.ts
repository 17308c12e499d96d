import { evaluateExpression } from '../core/expressions.js';
import { logger } from '../observability.js';

/**
 * Whether an integration's JSONata filter admits a document (or a 3PL line, or a row). A filter that
 * throws or overruns its budget counts as false for that document: the partner's data must not turn
 * into a 500, and one bad expression must not stall the hub. The warning names the integration and
 * jsonata's error code, never a document value (the error text can quote one).
 */
export async function filterAdmits(
  integration: { id: string; filter?: string | null | undefined },
  document: unknown,
  overrun?: Set<string>,
): Promise<boolean> {
  if (!integration.filter) return true;
  if (overrun?.has(integration.id)) return false;
  const r = await evaluateExpression(integration.filter, document, 'boolean');
  if (r.ok) return r.value === true;
  if (r.kind !== 'error') overrun?.add(integration.id);
  logger.warn('integration filter failed; counted as false', {
    integrationId: integration.id,
    kind: r.kind,
    ...(r.code ? { code: r.code } : {}),
  });
  return false;
}

/**
 * filterAdmits for one request that evaluates filters many times (a 3PL post of up to 1,000 lines):
 * a filter that overran its budget once counts as false for the rest of the request without running
 * again, so one bad filter costs the request one budget, not one per line.
 */
export function filterSession(): (
  integration: { id: string; filter?: string | null | undefined },
  document: unknown,
) => Promise<boolean> {
  const overrun = new Set<string>();
  return (integration, document) => filterAdmits(integration, document, overrun);
}
