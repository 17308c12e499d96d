import * as z from 'zod/mini';
import { APIIDS, FieldExtensionSchema } from '../../core/replication.js';
import { h, type RouteDefinition } from '../../route-types.js';

/** The operator's 3PL field dictionary (handlers: functions/http/threepl/fields.ts). */

const DictionarySchema = z.object({
  apiid: z.enum(APIIDS),
  fields: z.array(z.string()),
  required: z.array(z.string()),
  open: z.boolean(),
});

export const getFieldDictionaries = {
  method: 'GET',
  path: '/admin/threepl/fields',
  auth: 'admin',
  handler: h('http/threepl/fields.ts', 'getFieldDictionaries'),
  summary: 'The 3PL field dictionary in force for each apiid',
  uses: ['registry:read'],
  responses: {
    200: {
      description: 'every apiid’s dictionary',
      schema: z.object({ dictionaries: z.array(DictionarySchema) }),
    },
  },
} satisfies RouteDefinition;

export const putFieldDictionary = {
  method: 'PUT',
  path: '/admin/threepl/fields/{apiid}',
  auth: 'admin',
  params: z.object({ apiid: z.string() }),
  body: FieldExtensionSchema,
  handler: h('http/threepl/fields.ts', 'putFieldDictionary'),
  summary:
    'Add fields (and required fields) to an apiid’s dictionary; replaces the earlier addition, [] goes back to the shipped fields',
  uses: ['registry:write'],
  responses: {
    200: { description: 'the dictionary in force', schema: DictionarySchema },
    400: 'invalid body, or a required field that is not a field',
    404: 'not one of the eight apiids',
  },
} satisfies RouteDefinition;
