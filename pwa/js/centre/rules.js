/** Which lifecycle actions a centre role may take from a state, read once from GET /meta/states. */

import { api } from '../api.js';

let loading = null;

/** @returns {Promise<Array<{action: string, from: string[], roles: string[], required: string[]}>>} */
export function lifecycle() {
  loading ||= api('meta/states').then((m) => m.actions).catch((err) => { loading = null; throw err; });
  return loading;
}

/**
 * Whether a centre role may take an action on a case in a state (centre actions need no ownership).
 * @param {Array<object>} actions from lifecycle()
 * @param {string} action
 * @param {string} state
 * @param {string} role
 * @returns {boolean}
 */
export function may(actions, action, state, role) {
  const a = actions.find((x) => x.action === action);
  return Boolean(a && a.from.includes(state) && (a.roles.includes(role)));
}
