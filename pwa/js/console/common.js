/** What the console screens share: comma lists, role names, loading the units once per screen. */

import { api } from '../api.js';

/** `"a, b,,c"` → `["a", "b", "c"]` */
export const splitList = (text) => String(text || '').split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);

/** The roles an admin may give (the server checks again). */
export const ROLES = ['citizen', 'supervisor', 'operator', 'shift_lead', 'dispatcher', 'unit_staff', 'admin'];

/** @returns {Promise<Array<{id: number, code: string, name: string}>>} */
export function loadUnits() {
  return api('org/units');
}

/** A link to the audit log filtered on one target: the change history of a user, unit or rule. */
export const historyHref = (target) => `#/admin/audit?target=${encodeURIComponent(target)}`;
