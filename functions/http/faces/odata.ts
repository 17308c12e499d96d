import { HubError } from '../../core/errors.js';
import { ODATA_JSON, odataName } from '../../core/odata.js';
import type { ErrorBody, HubResponse } from '../middleware.js';
import { type FaceRules, noCheck } from './face.js';
import { type AdminKeyPort, requireAdmin } from './hub.js';

/**
 * The OData face of the registry (seed 004's wire format): the operator's admin key, as on /admin;
 * errors are OData's `{"error":{"code","message","target"?}}`, with `target` the PascalCase name of
 * the field at fault, in OData's JSON content type with `OData-Version: 4.0`.
 */

export const ODATA_HEADERS: Readonly<Record<string, string>> = {
  'content-type': ODATA_JSON,
  'odata-version': '4.0',
};

const errorBody: ErrorBody = (_status, code, message) => ({ error: { code, message } });

export const ODATA: FaceRules = {
  name: 'odata',
  async authenticate(route, req, ports) {
    if (route.auth !== 'admin') throw noCheck('odata', route);
    return requireAdmin(req, (ports as { adminKey: AdminKeyPort }).adminKey);
  },
  errorBody,
  /**
   * A typed error: OData's body, naming the field at fault under its OData name (the use case names
   * REST fields; an unknown property is named as the caller spelled it).
   */
  respond(e): HubResponse | undefined {
    if (!(e instanceof HubError)) return undefined;
    const target = e.field && (e.code === 'unknown_property' ? e.field : odataName(e.field));
    return {
      status: e.status,
      headers: { ...ODATA_HEADERS },
      json: { error: { code: e.code, message: e.message, ...(target ? { target } : {}) } },
    };
  },
  maxBodyBytes: 256 * 1024,
  anyContentType: false,
};
