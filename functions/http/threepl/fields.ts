import { systemClock } from '../../core/clock.js';
import { FieldExtensionSchema } from '../../core/replication.js';
import { fieldDictionaries } from '../../deps.js';
import { listFieldDictionaries, setFieldExtension } from '../../usecases/replication.js';
import { adminHandler } from '../auth.js';
import { parseJsonBody } from '../validation.js';

/** GET /admin/threepl/fields: the field dictionary in force for each apiid. */
export const getFieldDictionaries = adminHandler(async () => ({
  status: 200,
  json: { dictionaries: await listFieldDictionaries({ fields: fieldDictionaries() }) },
}));

/** PUT /admin/threepl/fields/{apiid}: the operator's fields for an apiid, added to the shipped ones. */
export const putFieldDictionary = adminHandler(async (req) => {
  const input = parseJsonBody(FieldExtensionSchema, req);
  const dictionary = await setFieldExtension(
    { fields: fieldDictionaries(), clock: systemClock },
    req.pathParameters.apiid ?? '',
    input,
  );
  return { status: 200, json: dictionary };
});
