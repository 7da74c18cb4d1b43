/**
 * The NLU inbox in Beheer: messages the bot did not understand or was unsure of. The admin
 * picks what the young person meant (and takes names out of the text): the message becomes
 * a training example, cut loose from the conversation. Or ignores it. The young person's
 * words enter the page as text: an input's value, text nodes (app.js).
 */

import { byId, el, formatTime, parseTimestamp, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const REVIEW = `${API}/admin/nlu/review`;
const STATUSES = ["open", "labelled", "ignored"];

export class NluReviewView {
  /** `api`: the inbox's Api; `showError(message)`: the page's error notice. */
  constructor(api, showError) {
    this.api = api;
    this.showError = showError;
    this.status = "open";
    this.intents = [];
    for (const button of document.querySelectorAll("[data-nlu-status]")) {
      button.addEventListener("click", () => this.load(button.getAttribute("data-nlu-status")));
    }
  }

  async load(status = this.status) {
    this.status = STATUSES.includes(status) ? status : "open";
    const result = await this.api.get(`${REVIEW}?status=${encodeURIComponent(this.status)}`);
    if (!result.ok || !result.data || !Array.isArray(result.data.items)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    this.intents = Array.isArray(result.data.intents) ? result.data.intents.map(str) : [];
    this.showCounts(result.data.counts || {});
    const items = result.data.items;
    byId("ib-nlu-items").replaceChildren(...items.map((item) => this.item(item)));
    byId("ib-nlu-empty").hidden = items.length > 0;
    byId("ib-nlu-empty").textContent = TEXT.nlu.empty[this.status];
  }

  showCounts(counts) {
    for (const button of document.querySelectorAll("[data-nlu-status]")) {
      const status = button.getAttribute("data-nlu-status");
      const count = Number.isInteger(counts[status]) ? counts[status] : 0;
      button.textContent = `${TEXT.nlu.tab[status]} (${count})`;
      button.setAttribute("aria-pressed", String(status === this.status));
    }
  }

  item(item) {
    const when = formatTime(parseTimestamp(item.created_at));
    const reason = TEXT.nlu.reason[str(item.reason)] || str(item.reason);
    const li = el("li", { class: "ib-nlu-item", "data-item": String(item.id) });
    if (str(item.status) !== "open") {
      const outcome = str(item.status) === "labelled" ? intentLabel(str(item.intent)) : TEXT.nlu.ignored;
      li.append(
        el("p", { class: "ib-detection-meta" }, [`${when} · ${reason}`]),
        el("blockquote", { class: "ib-detection-text" }, [str(item.text)]),
        el("p", { class: "ib-detection-reviewed" }, [outcome]),
      );
      return li;
    }
    const guess = str(item.predicted_intent);
    const confidence = typeof item.confidence === "number" ? Math.round(item.confidence * 100) : 0;
    li.append(el("p", { class: "ib-detection-meta" }, [
      `${when} · ${reason}`,
      guess ? ` · ${TEXT.nlu.guess} ${intentLabel(guess)} (${confidence}%)` : null,
    ]));
    li.append(this.form(item, guess));
    return li;
  }

  form(item, guess) {
    const id = String(item.id);
    const text = el("textarea", { class: "ib-input", rows: "2", maxlength: "300",
      "aria-label": TEXT.nlu.textLabel, "data-testid": "inbox-nlu-text" });
    text.value = str(item.text);
    const intent = el("select", { class: "ib-input", "aria-label": TEXT.nlu.intentLabel,
      "data-testid": "inbox-nlu-intent" }, [
      el("option", { value: "" }, [TEXT.nlu.choose]),
      ...this.intents.map((name) => el("option", { value: name, selected: name === guess },
        [intentLabel(name)])),
    ]);
    const status = el("p", { class: "ib-hint", role: "status" });
    const save = el("button", { type: "submit", class: "ib-button ib-button--primary",
      "data-testid": "inbox-nlu-save" }, [TEXT.nlu.save]);
    const ignore = el("button", { type: "button", class: "ib-button",
      "data-testid": "inbox-nlu-ignore" }, [TEXT.nlu.ignore]);
    const form = el("form", { class: "ib-nlu-form", novalidate: true }, [
      el("label", { class: "ib-field" }, [el("span", { class: "ib-field-label" }, [TEXT.nlu.textLabel]), text]),
      el("label", { class: "ib-field" }, [el("span", { class: "ib-field-label" }, [TEXT.nlu.intentLabel]), intent]),
      el("div", { class: "ib-nlu-actions" }, [save, ignore]),
      status,
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!intent.value) {
        status.textContent = TEXT.nlu.noIntent;
        return;
      }
      this.act(form, status, `${REVIEW}/${encodeURIComponent(id)}/label`,
        { intent: intent.value, text: text.value });
    });
    ignore.addEventListener("click", () => this.act(form, status,
      `${REVIEW}/${encodeURIComponent(id)}/ignore`, {}));
    return form;
  }

  /** Label or ignore; on success the list reloads (the item leaves "open"). */
  async act(form, status, url, body) {
    const controls = form.querySelectorAll("button, select, textarea");
    for (const c of controls) c.disabled = true;
    const result = await this.api.post(url, body);
    if (!result.ok) {
      for (const c of controls) c.disabled = false;
      // 400: what the server refused the example for (a phone number, empty…), as it said.
      status.textContent = result.status === 400 && result.data && str(result.data.error)
        ? TEXT.nlu.refused(str(result.data.error)) : errorText(result);
      return;
    }
    await this.load();
  }
}

/** "thuis (topic_home)": the admin's word for an intent, with the name the data uses. */
function intentLabel(name) {
  const label = TEXT.nlu.intents[name];
  return label ? `${label} (${name})` : name;
}
