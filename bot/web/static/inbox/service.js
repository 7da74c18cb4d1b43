/**
 * "Openingstijden en bewaren" in Beheer: the opening hours, holidays, the on-call webhook for
 * urgent escalations out of hours and the retention period. Saved in the database, they win
 * over .env in every gateway process within half a minute (bot/service_rules.py). A rule the
 * server cannot use is marked on its field and nothing is saved.
 */

import { byId, formatTime, parseTimestamp, setFormDisabled, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const SERVICE = `${API}/admin/service`;
const FIELDS = {
  opening_hours: "ib-service-hours",
  holidays: "ib-service-holidays",
  oncall_webhook_url: "ib-service-oncall",
  retention_days: "ib-service-retention",
};

export class ServiceView {
  constructor(api, showError) {
    this.api = api;
    this.showError = showError;
    byId("ib-service-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  /** The form stays disabled until the rules in force are shown: saving a half-loaded form
   * would overwrite them, and a load arriving late would overwrite what was typed. */
  async load() {
    const form = byId("ib-service-form");
    setFormDisabled(form, true);
    const result = await this.api.get(SERVICE);
    if (!result.ok || !result.data || !result.data.rules) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    this.show(result.data);
    setFormDisabled(form, false);
    byId("ib-service-result").textContent = this.changeText(result.data);
  }

  show(state) {
    for (const [name, id] of Object.entries(FIELDS)) {
      const input = byId(id);
      input.value = name === "retention_days" ? String(Number(state.rules[name]))
        : str(state.rules[name]);
      input.removeAttribute("aria-invalid");
    }
  }

  changeText(state) {
    if (!state.updated_at) return TEXT.service.fromEnv;
    return TEXT.service.lastChange(str(state.updated_by) || "?",
      formatTime(parseTimestamp(state.updated_at)));
  }

  async save() {
    const form = byId("ib-service-form");
    const status = byId("ib-service-result");
    const retention = byId(FIELDS.retention_days).value.trim();
    const rules = {
      opening_hours: byId(FIELDS.opening_hours).value,
      holidays: byId(FIELDS.holidays).value,
      oncall_webhook_url: byId(FIELDS.oncall_webhook_url).value,
      // Sent as typed: the server says when it is not a number of days.
      retention_days: retention === "" || Number.isNaN(Number(retention)) ? retention : Number(retention),
    };
    for (const id of Object.values(FIELDS)) byId(id).removeAttribute("aria-invalid");
    setFormDisabled(form, true);
    const result = await this.api.request("PUT", SERVICE, rules);
    setFormDisabled(form, false);
    if (!result.ok) {
      const field = result.status === 400 && result.data ? str(result.data.field) : "";
      if (FIELDS[field]) {
        const input = byId(FIELDS[field]);
        input.setAttribute("aria-invalid", "true");
        input.focus();
        status.textContent = `${TEXT.service.refused[field]} (${str(result.data.error)}). `
          + TEXT.service.nothingSaved;
      } else {
        status.textContent = errorText(result);
      }
      return;
    }
    this.show(result.data);
    status.textContent = `${TEXT.service.saved} ${this.changeText(result.data)}`;
  }
}
