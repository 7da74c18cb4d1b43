/** The worker API (/api/v1, see /api/v1/openapi.json) over fetch. */

import { TEXT } from "./text.js";

export const API = "/api/v1";
export const LOGIN_PATH = "/inbox/login";
export const LOGOUT_PATH = "/inbox/logout";
const REQUEST_TIMEOUT_MS = 15000;

/** JSON over fetch with the session cookie; POSTs carry the CSRF token. */
export class Api {
  constructor() {
    this.csrf = "";
    this.onUnauthorized = () => {};
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body, timeoutMs) {
    return this.request("POST", path, body, timeoutMs);
  }

  /** Resolves to {ok, status, data}; status 0 means the server was not reached (or did not
   * answer within `timeoutMs`). */
  async request(method, path, body, timeoutMs = REQUEST_TIMEOUT_MS) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (this.csrf) headers["X-CSRF-Token"] = this.csrf;
      init.body = JSON.stringify(body || {});
    }
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    if (controller) init.signal = controller.signal;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      return { ok: false, status: 0, data: null };
    } finally {
      if (timer) clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      // An empty or non-JSON body: the status says enough.
    }
    if (response.status === 401 && path !== LOGIN_PATH) this.onUnauthorized();
    return { ok: response.ok, status: response.status, data };
  }
}

/** The Dutch message for a failed call; `specific` maps a status to a better one. */
export function errorText(result, specific) {
  if (specific && specific[result.status]) return specific[result.status];
  if (result.status === 0) return TEXT.errors.network;
  if (result.status === 403) return TEXT.errors.forbidden;
  if (result.status === 404) return TEXT.errors.notFound;
  if (result.status === 409) return TEXT.errors.notYours;
  if (result.status === 400) return TEXT.errors.emptyOrLong;
  return TEXT.errors.server;
}
