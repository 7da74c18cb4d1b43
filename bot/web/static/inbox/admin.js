/**
 * The admin view of the inbox (#beheer): how the service is doing (stats.js), review crisis
 * detections, label what the bot did not understand (nlu.js), switch the bot's model
 * (models.js), set the opening hours, on-call webhook and retention (service.js), manage
 * accounts (accounts.js), erase a young person's conversation on request, read the
 * audit log (audit.js). The server enforces
 * the admin role on every call; this view only shows itself to admins. Text from the API
 * enters the page as text nodes (app.js).
 */

import { byId, el, formatTime, parseTimestamp, setFormDisabled, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { AccountsView } from "./accounts.js";
import { AuditView } from "./audit.js";
import { ModelsView } from "./models.js";
import { NluReviewView } from "./nlu.js";
import { ServiceView } from "./service.js";
import { StatsView } from "./stats.js";
import { TEXT } from "./text.js";

export class AdminView {
  /** `api`: the inbox's Api; `showError(message)`: the page's error notice; `me()`: the
   * logged-in account. */
  constructor(api, showError, me) {
    this.api = api;
    this.showError = showError;
    this.nlu = new NluReviewView(api, showError);
    this.accounts = new AccountsView(api, showError, me);
    this.stats = new StatsView(api, showError);
    this.models = new ModelsView(api, showError);
    this.service = new ServiceView(api, showError);
    this.audit = new AuditView(api, showError);
    byId("ib-erase-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.erase();
    });
  }

  async open() {
    byId("ib-erase-result").textContent = "";
    byId("ib-account-result").textContent = "";
    byId("ib-admin-title").focus();
    byId("ib-models-result").textContent = "";
    await Promise.all([this.stats.load(), this.loadDetections(), this.nlu.load(),
      this.models.load(), this.service.load(), this.accounts.load(), this.audit.load()]);
  }

  async loadDetections() {
    const result = await this.api.get(`${API}/admin/safety-detections`);
    if (!result.ok || !result.data || !Array.isArray(result.data.detections)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    const list = byId("ib-detections");
    list.replaceChildren(...result.data.detections.map((d) => this.detectionItem(d)));
    byId("ib-detections-empty").hidden = result.data.detections.length > 0;
  }

  detectionItem(detection) {
    const id = detection.id;
    const when = formatTime(parseTimestamp(detection.created_at));
    const signal = TEXT.admin.signal[str(detection.signal)] || str(detection.signal);
    const verdict = el("div", { class: "ib-detection-verdict" });
    const item = el("li", { class: "ib-detection", "data-detection": String(id) }, [
      el("p", { class: "ib-detection-meta" }, [
        `${when} · ${str(detection.pseudonym) || TEXT.anonymous} · `,
        el("strong", {}, [TEXT.admin.kind[str(detection.kind)] || str(detection.kind)]),
        ` · ${signal} (${str(detection.detail)})`,
      ]),
      el("blockquote", { class: "ib-detection-text" }, [str(detection.text)]),
      el("p", { class: "ib-detection-conversation" }, [
        `${TEXT.admin.conversationId} `, el("code", {}, [str(detection.conversation_id)]),
      ]),
      verdict,
    ]);
    this.showVerdict(verdict, id, str(detection.reviewed));
    return item;
  }

  /** The verdict if given, else the two buttons that give it. */
  showVerdict(box, id, reviewed) {
    if (reviewed) {
      box.replaceChildren(el("span", { class: "ib-detection-reviewed" },
        [TEXT.admin.verdict[reviewed] || reviewed]));
      return;
    }
    const button = (verdict, danger) => {
      const b = el("button", { type: "button", class: danger ? "ib-button" : "ib-button ib-button--primary",
        "data-verdict": verdict }, [TEXT.admin.verdictButton[verdict]]);
      b.addEventListener("click", () => this.review(box, id, verdict));
      return b;
    };
    box.replaceChildren(button("true_alarm", false), button("false_alarm", true));
  }

  async review(box, id, verdict) {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    const result = await this.api.post(`${API}/admin/safety-detections/${encodeURIComponent(id)}/review`,
      { verdict });
    if (!result.ok) {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      this.showError(errorText(result));
      return;
    }
    this.showVerdict(box, id, verdict);
  }

  async erase() {
    const form = byId("ib-erase-form");
    const status = byId("ib-erase-result");
    const id = byId("ib-erase-id").value.trim();
    if (!id) {
      status.textContent = TEXT.admin.eraseNoId;
      return;
    }
    if (!byId("ib-erase-sure").checked) {
      status.textContent = TEXT.admin.eraseNotSure;
      return;
    }
    setFormDisabled(form, true);
    const result = await this.api.request("DELETE", `${API}/admin/conversations/${encodeURIComponent(id)}`);
    setFormDisabled(form, false);
    if (!result.ok) {
      status.textContent = errorText(result, { 404: TEXT.admin.eraseUnknown, 409: TEXT.admin.eraseInUse });
      return;
    }
    byId("ib-erase-id").value = "";
    byId("ib-erase-sure").checked = false;
    status.textContent = TEXT.admin.erased(id, result.data && result.data.bot_memory_cleared === true);
    // Its detections and its messages waiting in the NLU inbox went with it.
    await Promise.all([this.loadDetections(), this.nlu.load()]);
  }
}
