/**
 * The audit log in Beheer: who read or acted on which conversation or account, and when,
 * newest first; narrowed to one conversation (a young person asks who saw their chat) or
 * one worker. Only ids, names and actions come from the server; they enter as text.
 */

import { byId, el, formatTime, parseTimestamp, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const AUDIT = `${API}/admin/audit`;

export class AuditView {
  constructor(api, showError) {
    this.api = api;
    this.showError = showError;
    this.oldest = null;
    byId("ib-audit-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.load();
    });
    byId("ib-audit-more").addEventListener("click", () => this.load(true));
  }

  /** The newest entries for the filters, or (`more`) the page after the ones shown. */
  async load(more = false) {
    const query = new URLSearchParams();
    const conversation = byId("ib-audit-conversation").value.trim();
    const worker = byId("ib-audit-worker").value.trim();
    if (conversation) query.set("conversation", conversation);
    if (worker) query.set("worker", worker);
    if (more && this.oldest !== null) query.set("before", String(this.oldest));
    const result = await this.api.get(`${AUDIT}?${query}`);
    if (!result.ok || !result.data || !Array.isArray(result.data.entries)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    const entries = result.data.entries;
    const items = entries.map((entry) => this.item(entry));
    const list = byId("ib-audit");
    if (more) list.append(...items);
    else list.replaceChildren(...items);
    if (entries.length) this.oldest = entries[entries.length - 1].id;
    byId("ib-audit-empty").hidden = list.children.length > 0;
    byId("ib-audit-more").hidden = result.data.more !== true;
  }

  item(entry) {
    const action = str(entry.action);
    const parts = [
      el("span", { class: "ib-audit-when" }, [formatTime(parseTimestamp(entry.at))]),
      el("strong", {}, [str(entry.by) || TEXT.audit.commandLine]),
      ` ${TEXT.audit.action[action] || action}`,
    ];
    if (str(entry.account)) parts.push(` · ${TEXT.audit.account} ${str(entry.account)}`);
    if (str(entry.conversation_id)) {
      parts.push(` · ${TEXT.audit.conversation} `, el("code", {}, [str(entry.conversation_id)]));
    }
    return el("li", { class: "ib-audit-entry", "data-action": action }, parts);
  }
}
