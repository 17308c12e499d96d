import type { Clock } from '../core/clock.js';
import { decidePut, mayRead, type RowData, type StoredRow } from '../core/entities.js';
import { HubError, notFound } from '../core/errors.js';

/**
 * Entity rows (Contract v2, "Entities"): a partner's system keeps its rows in the hub. The owner
 * writes and deletes; the owner and the receivers of integrations that routed the row read it; to
 * anyone else a row does not exist (404).
 */
export interface EntityPorts {
  rows: {
    get(entity: string, id: string): Promise<StoredRow | undefined>;
    put(row: StoredRow, previousVersion: number | undefined): Promise<boolean>;
    delete(entity: string, id: string, owner: string): Promise<boolean>;
    list(
      owner: string,
      entity: string,
      o: { since?: string; limit: number; cursor?: string },
    ): Promise<{ rows: StoredRow[]; nextCursor?: string }>;
  };
  clock: Clock;
}

const rowNotFound = () => notFound('The row');
const preconditionFailed = (current: number | undefined) =>
  new HubError(
    412,
    'precondition_failed',
    current === undefined
      ? 'If-Match names a version, but the row does not exist.'
      : `If-Match names another version; the row is at version ${current}.`,
  );

export interface PutResult {
  created: boolean;
  row: Pick<StoredRow, 'entity' | 'id' | 'version' | 'owner' | 'updatedAt'>;
  /** The integrations the change queued (none until triggers are served). */
  queued: string[];
}

const summary = (r: StoredRow): PutResult['row'] => ({
  entity: r.entity,
  id: r.id,
  version: r.version,
  owner: r.owner,
  updatedAt: r.updatedAt,
});

/** Writes a version of a row; a concurrent writer that wins makes this one re-read and decide again. */
export async function putRow(
  p: EntityPorts,
  caller: string,
  input: { entity: string; id: string; data: RowData; ifMatch?: number },
): Promise<PutResult> {
  for (let round = 0; round < 5; round++) {
    const existing = await p.rows.get(input.entity, input.id);
    const decision = decidePut(existing, caller, input.data, input.ifMatch);
    if (decision.kind === 'notFound') throw rowNotFound();
    if (decision.kind === 'preconditionFailed') throw preconditionFailed(decision.current);
    if (decision.kind === 'unchanged' && existing)
      return { created: false, row: summary(existing), queued: [] };
    const row: StoredRow = {
      entity: input.entity,
      id: input.id,
      owner: caller,
      version: decision.kind === 'update' ? decision.version : 1,
      updatedAt: new Date(p.clock.now()).toISOString(),
      data: input.data,
      readers: existing?.readers ?? [],
      deliveries: existing?.deliveries ?? [],
    };
    if (await p.rows.put(row, existing?.version)) {
      return { created: decision.kind === 'create', row: summary(row), queued: [] };
    }
  }
  throw new HubError(
    409,
    'conflict',
    'The row is being changed by other requests at the same time; try again.',
  );
}

export async function getRow(p: EntityPorts, caller: string, entity: string, id: string): Promise<StoredRow> {
  const row = await p.rows.get(entity, id);
  if (!row || !mayRead(row, caller)) throw rowNotFound();
  return row;
}

export async function deleteRow(p: EntityPorts, caller: string, entity: string, id: string): Promise<void> {
  if (!(await p.rows.delete(entity, id, caller))) throw rowNotFound();
}

export async function listRows(
  p: EntityPorts,
  caller: string,
  entity: string,
  o: { since?: string; limit: number; cursor?: string },
) {
  const page = await p.rows.list(caller, entity, o);
  return {
    rows: page.rows.map((r) => ({
      entity: r.entity,
      id: r.id,
      version: r.version,
      updatedAt: r.updatedAt,
      data: r.data,
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
