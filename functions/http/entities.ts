import { systemClock } from '../core/clock.js';
import { parseIfMatch } from '../core/entities.js';
import { badRequest } from '../core/errors.js';
import { entities, registry, rowAdapters } from '../deps.js';
import * as route from '../routes/entities.js';
import * as rows from '../usecases/entities.js';
import { answer, edge } from './edge.js';
import { refusalRecorder } from './refusals.js';

/** Entity rows (Contract v2, "Entities"). */

const ports = () => ({ keys: registry(), refusals: refusalRecorder(), ...rowAdapters(), clock: systemClock });
// Reading and deleting a row touch the row store alone (their functions are bound to the messages table only).
const rowPorts = () => ({ keys: registry(), refusals: refusalRecorder(), rows: entities() });

export const putRow = edge(route.putRow, ports, async ({ params, body, caller, request }, p) => {
  const ifMatch = parseIfMatch(request.headers['if-match']);
  if (ifMatch === 'invalid') throw badRequest('invalid_header', 'If-Match must be "<version>", e.g. "3".');
  const r = await rows.putRow(p, caller.partnerCode, { ...params, data: body, ifMatch });
  return answer({
    status: r.created ? 201 : 200,
    json: { ...r.row, queued: r.queued },
    headers: { etag: `"${r.row.version}"` },
  });
});

export const getRow = edge(route.getRow, rowPorts, async ({ params, caller }, p) => {
  const row = await rows.getRow(p, caller.partnerCode, params.entity, params.id);
  return answer({ status: 200, json: row, headers: { etag: `"${row.version}"` } });
});

export const listRows = edge(route.listRows, rowPorts, ({ params, query, caller }, p) =>
  rows.listRows(p, caller.partnerCode, params.entity, {
    since: query.updatedSince,
    limit: query.limit,
    cursor: query.cursor,
  }),
);

export const deleteRow = edge(route.deleteRow, rowPorts, ({ params, caller }, p) =>
  rows.deleteRow(p, caller.partnerCode, params.entity, params.id),
);
