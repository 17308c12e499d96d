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
): Promise<boolean> {
  if (!integration.filter) return true;
  const r = await evaluateExpression(integration.filter, document);
  if (r.ok) return r.value === true;
  logger.warn('integration filter failed; counted as false', {
    integrationId: integration.id,
    kind: r.kind,
    ...(r.code ? { code: r.code } : {}),
  });
  return false;
}
