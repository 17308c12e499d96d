import type { HubResponse } from './middleware.js';

/** `{"success":true}`, or the items that were not completed beside `success: false` (inbox, ERP, device). */
export const doneResponse = (failed: { id: string; error: string }[]): HubResponse => ({
  status: 200,
  json: failed.length ? { success: false, failed } : { success: true },
});
