/** `{"success":true}`, or the items that were not completed beside `success: false` (inbox, ERP, device). */
export const doneResult = (failed: { id: string; error: string }[]) =>
  failed.length ? { success: false, failed } : { success: true };
