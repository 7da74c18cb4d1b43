/**
 * Accounts in Beheer: who can use the inbox; add someone (their personal API token is shown
 * once); give a new password or API token; deactivate someone who left (their login and
 * token stop at once, and the conversations they held go back to the queue). Names enter
 * the page as text (app.js).
 */

import { byId, el, setFormDisabled, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const WORKERS = `${API}/admin/workers`;

export class AccountsView {
  /** `me()`: the logged-in account ({name, role}), so nobody deactivates themselves. */
  constructor(api, showError, me) {
    this.api = api;
    this.showError = showError;
    this.me = me;
    byId("ib-account-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
  }

  async load() {
    const result = await this.api.get(WORKERS);
    if (!result.ok || !result.data || !Array.isArray(result.data.workers)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    byId("ib-accounts").replaceChildren(...result.data.workers.map((w) => this.item(w)));
  }

  item(account) {
    const me = this.me();
    const own = me && str(account.name) === str(me.name);
    const state = account.active === false ? TEXT.accounts.inactive
      : account.online === true ? TEXT.accounts.online : TEXT.accounts.offline;
    const details = [TEXT.accounts.role[str(account.role)] || str(account.role)];
    if (str(account.team)) details.push(`${TEXT.accounts.team} ${str(account.team)}`);
    details.push(state);
    const li = el("li", { class: "ib-account", "data-account": str(account.name),
      "data-active": String(account.active !== false) }, [
      el("span", { class: "ib-account-name" }, [str(account.name), own ? ` ${TEXT.accounts.you}` : null]),
      el("span", { class: "ib-account-details" }, [details.join(" · ")]),
    ]);
    if (own) return li;
    const actions = el("div", { class: "ib-account-actions" });
    if (account.active !== false) {
      actions.append(this.roleButton(li, account), this.passwordButton(li, account),
        this.tokenButton(account));
    }
    actions.append(this.switchButton(account));
    li.append(actions);
    return li;
  }

  /** Opens a small form in the row: another role or team (someone moves, or becomes an
   * admin). Your own role is not offered: the server refuses it. */
  roleButton(li, account) {
    return this.rowFormButton(li, account, {
      open: TEXT.accounts.changeRole, testid: "role", path: "role",
      fields: () => {
        const role = el("select", { class: "ib-input", "aria-label": TEXT.accounts.roleLabel(str(account.name)),
          "data-testid": "inbox-account-new-role" }, ["worker", "admin"].map((value) =>
          el("option", { value }, [TEXT.accounts.role[value]])));
        role.value = str(account.role) || "worker";
        const team = el("input", { class: "ib-input", type: "text", autocomplete: "off", maxlength: "64",
          "aria-label": TEXT.accounts.teamLabel(str(account.name)), "data-testid": "inbox-account-new-team" });
        team.value = str(account.team);
        return { inputs: [role, team], body: () => ({ role: role.value, team: team.value.trim() || null }) };
      },
      done: async () => {
        byId("ib-account-result").textContent = TEXT.accounts.roleSet(str(account.name));
        await this.load();
      },
    });
  }

  /** Opens a small form in the row: the new password, told to them in person. */
  passwordButton(li, account) {
    return this.rowFormButton(li, account, {
      open: TEXT.accounts.newPassword, testid: "password", path: "password",
      fields: () => {
        const input = el("input", { class: "ib-input", type: "password", autocomplete: "new-password",
          "aria-label": TEXT.accounts.newPasswordLabel(str(account.name)),
          "data-testid": "inbox-account-new-password" });
        return { inputs: [input], body: () => ({ password: input.value }) };
      },
      done: (form) => {
        form.remove();
        byId("ib-account-result").textContent = TEXT.accounts.passwordSet(str(account.name));
      },
    });
  }

  /** A button that opens one small form in the account's row and POSTs it to
   * `…/{id}/{path}`; a refusal is told under the list, `done(form)` follows a success. */
  rowFormButton(li, account, { open, testid, path, fields, done }) {
    const button = el("button", { type: "button", class: "ib-button",
      "data-testid": `inbox-account-${testid}-open` }, [open]);
    button.addEventListener("click", () => {
      if (li.querySelector("form")) return;
      const { inputs, body } = fields();
      const form = el("form", { class: "ib-account-password", novalidate: true }, [...inputs,
        el("button", { type: "submit", class: "ib-button ib-button--primary",
          "data-testid": `inbox-account-${testid}-save` }, [TEXT.accounts.save])]);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        setFormDisabled(form, true);
        const result = await this.api.post(`${WORKERS}/${encodeURIComponent(account.id)}/${path}`, body());
        setFormDisabled(form, false);
        if (!result.ok) {
          byId("ib-account-result").textContent = result.status === 400 && result.data && str(result.data.error)
            ? TEXT.accounts.refused(str(result.data.error)) : errorText(result);
          return;
        }
        await done(form);
      });
      li.append(form);
      inputs[0].focus();
    });
    return button;
  }

  /** A new API token (asked twice: tools using the old one stop working), shown once. */
  tokenButton(account) {
    const button = el("button", { type: "button", class: "ib-button",
      "data-testid": "inbox-account-token-new" }, [TEXT.accounts.newToken]);
    button.addEventListener("click", async () => {
      if (button.getAttribute("data-confirm") !== "true") {
        button.setAttribute("data-confirm", "true");
        button.textContent = TEXT.accounts.newTokenSure;
        return;
      }
      button.disabled = true;
      const result = await this.api.post(`${WORKERS}/${encodeURIComponent(account.id)}/token`, {});
      if (!result.ok) {
        button.disabled = false;
        this.showError(errorText(result));
        return;
      }
      this.showToken(TEXT.accounts.tokenReplaced(str(account.name)), str(result.data.api_token));
      await this.load();
    });
    return button;
  }

  /** The message with the token after it: shown here once, it is stored only as a hash. */
  showToken(message, token) {
    byId("ib-account-result").replaceChildren(message, " ",
      el("code", { "data-testid": "inbox-account-token" }, [token]));
  }

  /** Deactivate (asked twice: it locks someone out at once) or activate. */
  switchButton(account) {
    const active = account.active !== false;
    const button = el("button", { type: "button", class: active ? "ib-button ib-button--danger" : "ib-button",
      "data-testid": active ? "inbox-account-deactivate" : "inbox-account-activate" },
      [active ? TEXT.accounts.deactivate : TEXT.accounts.activate]);
    button.addEventListener("click", async () => {
      if (active && button.getAttribute("data-confirm") !== "true") {
        button.setAttribute("data-confirm", "true");
        button.textContent = TEXT.accounts.deactivateSure(str(account.name));
        return;
      }
      button.disabled = true;
      const verb = active ? "deactivate" : "activate";
      const result = await this.api.post(`${WORKERS}/${encodeURIComponent(account.id)}/${verb}`, {});
      if (!result.ok) {
        button.disabled = false;
        this.showError(errorText(result));
        return;
      }
      const released = result.data && Number.isInteger(result.data.released) ? result.data.released : 0;
      byId("ib-account-result").textContent = active
        ? TEXT.accounts.deactivated(str(account.name), released)
        : TEXT.accounts.activated(str(account.name));
      await this.load();
    });
    return button;
  }

  async add() {
    const form = byId("ib-account-form");
    const status = byId("ib-account-result");
    const name = byId("ib-account-name").value.trim();
    const password = byId("ib-account-password").value;
    if (!name || !password) {
      status.textContent = TEXT.accounts.missing;
      return;
    }
    setFormDisabled(form, true);
    const result = await this.api.post(WORKERS, {
      name, password, role: byId("ib-account-role").value, team: byId("ib-account-team").value.trim(),
    });
    setFormDisabled(form, false);
    if (!result.ok) {
      status.textContent = result.status === 409 ? TEXT.accounts.taken
        : result.status === 400 && result.data && str(result.data.error)
          ? TEXT.accounts.refused(str(result.data.error)) : errorText(result);
      return;
    }
    form.reset();
    this.showToken(TEXT.accounts.added(str(result.data.name)), str(result.data.api_token));
    await this.load();
  }
}
