import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { fieldDictionaries } from '../../deps.js';
import * as route from '../../routes/threepl/fields.js';
import { listFieldDictionaries, setFieldExtension } from '../../usecases/replication.js';
import { edge } from '../edge.js';

/** The operator's additions to the 3PL field dictionary. */

const ports = () => ({ adminKey: adminKey(), fields: fieldDictionaries(), clock: systemClock });

export const getFieldDictionaries = edge(route.getFieldDictionaries, ports, async (_, p) => ({
  dictionaries: await listFieldDictionaries(p),
}));

/** The operator's fields for an apiid, added to the shipped ones. */
export const putFieldDictionary = edge(route.putFieldDictionary, ports, ({ params, body }, p) =>
  setFieldExtension(p, params.apiid, body),
);
