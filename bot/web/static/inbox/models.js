/**
 * The bot's model in Beheer: the trained models on disk, which one runs, and switching to
 * another (a new training, or back to an earlier one). Rasa loads the new one beside the old
 * and swaps when ready, so the bot keeps answering; that takes up to a minute.
 */

import { byId, el, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const MODELS = `${API}/admin/models`;
// The server answers once Rasa has loaded the model (MODEL_LOAD_TIMEOUT_S in bot/rasa/client.py).
const LOAD_TIMEOUT_MS = 310000;

export class ModelsView {
  constructor(api, showError) {
    this.api = api;
    this.showError = showError;
  }

  async load() {
    const result = await this.api.get(MODELS);
    if (!result.ok || !result.data || !Array.isArray(result.data.models)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    byId("ib-models").replaceChildren(...result.data.models.map((m) => this.item(m)));
    byId("ib-models-empty").hidden = result.data.models.length > 0;
  }

  item(model) {
    const when = new Date(str(model.trained_at));
    const trained = Number.isNaN(when.getTime()) ? "" : when.toLocaleString("nl-NL",
      { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
    const li = el("li", { class: "ib-account", "data-model": str(model.name) }, [
      el("span", { class: "ib-account-name" }, [str(model.name)]),
      el("span", { class: "ib-account-details" }, [
        `${TEXT.models.trained} ${trained} · ${model.size_mb} MB`,
        model.active ? ` · ${TEXT.models.active}` : null]),
    ]);
    if (!model.active) li.append(this.activateButton(model));
    return li;
  }

  /** Asked twice: every conversation gets the other model's answers at once. */
  activateButton(model) {
    const button = el("button", { type: "button", class: "ib-button",
      "data-testid": "inbox-model-activate" }, [TEXT.models.activate]);
    button.addEventListener("click", async () => {
      if (button.getAttribute("data-confirm") !== "true") {
        button.setAttribute("data-confirm", "true");
        button.textContent = TEXT.models.activateSure;
        return;
      }
      button.disabled = true;
      const status = byId("ib-models-result");
      status.textContent = TEXT.models.loading(str(model.name));
      const result = await this.api.post(`${MODELS}/activate`, { model: str(model.name) },
        LOAD_TIMEOUT_MS);
      if (!result.ok) {
        button.disabled = false;
        status.textContent = result.status === 503 ? TEXT.models.failed : errorText(result);
        return;
      }
      status.textContent = TEXT.models.activated(str(model.name));
      await this.load();
    });
    return button;
  }
}
