/**
 * broekzak worker inbox: log in, go online, see the queue live, claim a conversation,
 * reply into the young person's own chat app, keep internal notes, transfer, close.
 *
 * Talks to the worker API (/api/v1, see /api/v1/openapi.json) with the session cookie and
 * sends the CSRF token on every POST; live events come over the /api/v1/live websocket.
 *
 * The page's entry point (an ES module: deferred, strict). The parts live beside it:
 * api.js, live.js, queue.js, conversation.js, admin.js (#beheer, admins only), and text.js
 * and dom.js for wording and helpers.
 *
 * Safety rule of the inbox scripts: text from the API (messages, summaries, notes,
 * pseudonyms, topics, names) only ever reaches the page through text nodes (textContent /
 * append of a string), never as markup. There is no innerHTML, insertAdjacentHTML or
 * outerHTML here (tests/test_gateway_input.py checks).
 */

import { byId, str } from "./dom.js";
import { TEXT, deliveryProblemText } from "./text.js";
import { Api, API, LOGIN_PATH, LOGOUT_PATH, errorText } from "./api.js";
import { Live } from "./live.js";
import { QueueView } from "./queue.js";
import { ConversationView } from "./conversation.js";
import { AdminView } from "./admin.js";

const TICK_MS = 30000; // waiting times are minutes: every 30 s is precise enough
const BASE_TITLE = "Inbox";
const CONVERSATION_HASH = /^#gesprek=([A-Za-z0-9_-]{1,64})$/;
const ADMIN_HASH = "#beheer";
const HANDOFF_EVENTS = ["handoff_new", "handoff_updated", "crisis_alert"];

class InboxApp {
  constructor() {
    this.api = new Api();
    this.api.onUnauthorized = () => this.sessionExpired();
    this.me = null;
    this.loadToken = 0; // ignores a conversation response that arrives after a switch
    this.refreshTimer = null;
    this.queue = new QueueView((urgentWaiting) => this.updateTitle(urgentWaiting));
    this.conversation = new ConversationView({
      back: () => this.navigate(null),
      claim: () => this.claim(),
      reply: (text) => this.reply(text),
      note: (text) => this.addNote(text),
      transfer: (kind, target) => this.transfer(kind, target),
      close: (outcome) => this.close(outcome),
    });
    this.admin = new AdminView(this.api, (message) => this.showError(message), () => this.me);
    this.live = new Live({
      open: () => this.liveOpened(),
      closed: () => this.setLive("closed"),
      event: (frame) => this.liveEvent(frame),
      beforeRetry: () => this.checkSession(),
    });

    byId("ib-login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.login();
    });
    byId("ib-presence").addEventListener("click", () => this.togglePresence());
    byId("ib-logout").addEventListener("click", () => this.logout());
    byId("ib-error-close").addEventListener("click", () => this.clearError());
    window.addEventListener("hashchange", () => this.openFromHash(true));
    window.addEventListener("online", () => this.live.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.live.retryNow();
    });
    setInterval(() => {
      this.queue.tick();
      this.conversation.tick();
    }, TICK_MS);
  }

  async boot() {
    const result = await this.api.get(`${API}/me`);
    if (result.ok && result.data) this.enter(result.data);
    else this.showLogin(result.status === 401 ? "" : errorText(result));
  }

  // --- views --------------------------------------------------------------------

  setView(view) {
    document.body.dataset.view = view;
    byId("ib-loading").hidden = view !== "loading";
    byId("ib-login").hidden = view !== "login";
    byId("ib-workspace").hidden = view !== "workspace";
    byId("ib-admin").hidden = view !== "admin";
    byId("ib-account").hidden = view !== "workspace" && view !== "admin";
  }

  showLogin(message) {
    this.setView("login");
    this.updateTitle(0);
    const error = byId("ib-login-error");
    error.textContent = message || "";
    error.hidden = !message;
    const name = byId("ib-login-name");
    (name.value ? byId("ib-login-password") : name).focus();
  }

  showError(message) {
    byId("ib-error-text").textContent = message;
    byId("ib-error").hidden = false;
  }

  clearError() {
    byId("ib-error").hidden = true;
    byId("ib-error-text").textContent = "";
  }

  setLive(state) {
    document.body.dataset.live = state;
    const line = byId("ib-live");
    // Only a lost connection is worth a line on screen; connecting takes a moment.
    line.hidden = state !== "closed";
    line.textContent = state === "closed" ? TEXT.live.closed : "";
  }

  updateTitle(urgentWaiting) {
    document.title = urgentWaiting > 0 ? `(${urgentWaiting}) ${BASE_TITLE}` : BASE_TITLE;
  }

  // --- session ------------------------------------------------------------------

  async login() {
    const name = byId("ib-login-name").value.trim();
    const password = byId("ib-login-password").value;
    const error = byId("ib-login-error");
    if (!name || !password) {
      error.textContent = TEXT.errors.loginMissing;
      error.hidden = false;
      return;
    }
    const submit = byId("ib-login-submit");
    submit.disabled = true;
    const result = await this.api.post(LOGIN_PATH, { name, password });
    submit.disabled = false;
    if (!result.ok || !result.data) {
      error.textContent = errorText(result, {
        401: TEXT.errors.loginFailed, 400: TEXT.errors.loginMissing, 429: TEXT.errors.loginTooMany,
      });
      error.hidden = false;
      byId("ib-login-password").value = "";
      byId("ib-login-password").focus();
      return;
    }
    byId("ib-login-password").value = "";
    this.api.csrf = str(result.data.csrf_token);
    const me = await this.api.get(`${API}/me`);
    if (me.ok && me.data) this.enter(me.data);
    else if (me.status !== 401) this.showLogin(errorText(me));
  }

  /** Logged in: header, queue, live events, and the conversation in the address bar. */
  enter(me) {
    this.me = { name: str(me.name), role: str(me.role), online: me.online === true };
    this.api.csrf = str(me.csrf_token) || this.api.csrf;
    this.queue.me = this.me.name;
    this.conversation.me = this.me.name;
    byId("ib-worker-name").textContent = this.me.name;
    byId("ib-admin-link").hidden = this.me.role !== "admin";
    byId("ib-login-error").hidden = true;
    this.renderPresence();
    this.setView("workspace");
    this.setLive("connecting");
    this.loadQueue();
    this.live.start();
    this.openFromHash(false);
  }

  /** Forgets everything of the session on this page. */
  reset() {
    this.live.stop();
    this.me = null;
    this.api.csrf = "";
    this.queue.clear();
    this.conversation.hide();
    this.clearError();
    byId("ib-admin-link").hidden = true;
    document.body.dataset.open = "queue";
    document.body.removeAttribute("data-live");
  }

  sessionExpired() {
    if (!this.me) return;
    this.reset();
    this.showLogin(TEXT.errors.sessionExpired);
  }

  /** Before a reconnect: false when the session ended (then we show the login form). */
  async checkSession() {
    const result = await this.api.get(`${API}/me`);
    if (result.ok && result.data) {
      this.api.csrf = str(result.data.csrf_token) || this.api.csrf;
      return true;
    }
    return false; // 401 has already shown the login form; otherwise try again later
  }

  async logout() {
    const button = byId("ib-logout");
    button.disabled = true;
    // Young people must not hear "someone is available" after the worker has gone.
    if (this.me && this.me.online) await this.api.post(`${API}/presence`, { online: false });
    const result = await this.api.post(LOGOUT_PATH, {});
    button.disabled = false;
    this.reset();
    history.replaceState(null, "", window.location.pathname + window.location.search);
    this.showLogin(result.ok || result.status === 401 ? "" : TEXT.errors.logoutFailed);
  }

  async togglePresence() {
    if (!this.me) return;
    const button = byId("ib-presence");
    button.disabled = true;
    const wanted = !this.me.online;
    const result = await this.api.post(`${API}/presence`, { online: wanted });
    button.disabled = false;
    if (!result.ok) {
      this.showError(errorText(result));
      return;
    }
    this.me.online = result.data && typeof result.data.online === "boolean"
      ? result.data.online : wanted;
    this.renderPresence();
  }

  renderPresence() {
    const online = Boolean(this.me && this.me.online);
    const button = byId("ib-presence");
    button.setAttribute("aria-checked", String(online));
    button.dataset.online = String(online);
    button.title = TEXT.presenceHint[online];
    byId("ib-presence-label").textContent = online ? TEXT.online : TEXT.offline;
  }

  // --- queue and live events ----------------------------------------------------

  async loadQueue() {
    const result = await this.api.get(`${API}/queue`);
    if (!this.me) return;
    if (!result.ok || !result.data || !Array.isArray(result.data.queue)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    this.queue.load(result.data.queue);
  }

  liveOpened() {
    this.setLive("open");
    // Events sent while we were away are gone: read the current state again.
    this.loadQueue();
    if (this.conversation.id) this.loadConversation(this.conversation.id, false);
  }

  liveEvent(frame) {
    if (HANDOFF_EVENTS.includes(frame.type)) {
      const handoff = frame.handoff;
      if (!handoff || typeof handoff !== "object") return;
      const crisis = frame.type === "crisis_alert";
      this.queue.update(handoff, frame.type === "handoff_new", crisis);
      const name = str(handoff.pseudonym) || TEXT.anonymous;
      if (frame.type === "handoff_new") {
        byId("ib-announce").textContent = TEXT.announceNew(handoff.priority === "urgent", name);
      } else if (crisis) {
        byId("ib-announce").textContent = TEXT.announceCrisis(name);
      }
      if (handoff.conversation_id === this.conversation.id) {
        if (crisis) this.conversation.showCrisis();
        this.conversation.setHandoff(handoff);
        // Bot turns are not pushed live; read the transcript again (debounced).
        this.scheduleRefresh();
      }
    } else if (frame.type === "delivery_failed" && typeof frame.conversation_id === "string") {
      if (frame.conversation_id === this.conversation.id) {
        this.showError(deliveryProblemText(str(frame.reason)));
        this.scheduleRefresh();
      }
    } else if (frame.type === "message" && typeof frame.conversation_id === "string") {
      if (frame.conversation_id === this.conversation.id) {
        this.conversation.addMessage(frame.message);
      } else if (frame.message && frame.message.sender === "user") {
        this.queue.noteUnread(frame.conversation_id);
      }
    }
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const id = this.conversation.id;
    this.refreshTimer = setTimeout(() => {
      if (id && id === this.conversation.id) this.loadConversation(id, false);
    }, 800);
  }

  // --- conversation -------------------------------------------------------------

  /** Opens a conversation through the address bar, so Back returns to the queue. */
  navigate(conversationId) {
    if (conversationId) {
      window.location.hash = `gesprek=${encodeURIComponent(conversationId)}`;
    } else if (window.location.hash) {
      history.pushState(null, "", window.location.pathname + window.location.search);
      this.openFromHash(true);
    }
  }

  openFromHash(moveFocus) {
    if (!this.me) return;
    // The admin view for admins; the server refuses its calls to anyone else anyway.
    const admin = window.location.hash === ADMIN_HASH && this.me.role === "admin";
    this.setView(admin ? "admin" : "workspace");
    if (admin) {
      this.admin.open();
      return;
    }
    const match = CONVERSATION_HASH.exec(window.location.hash);
    const id = match ? match[1] : null;
    if (!id) {
      this.conversation.hide();
      this.queue.setOpen(null);
      document.body.dataset.open = "queue";
      if (moveFocus) byId("ib-queue-heading").focus();
      return;
    }
    if (id === this.conversation.id) return;
    this.clearError();
    this.conversation.begin(id);
    this.queue.setOpen(id);
    document.body.dataset.open = "conversation";
    this.loadConversation(id, moveFocus);
  }

  async loadConversation(id, moveFocus) {
    const token = ++this.loadToken;
    const result = await this.api.get(`${API}/conversations/${encodeURIComponent(id)}`);
    if (token !== this.loadToken || id !== this.conversation.id) return;
    if (!result.ok || !result.data) {
      if (result.status === 401) return;
      this.showError(errorText(result));
      if (result.status === 404) this.forget(id);
      return;
    }
    this.conversation.show(result.data);
    if (moveFocus) {
      this.conversation.title.focus();
      if (window.matchMedia("(max-width: 699px)").matches) window.scrollTo(0, 0);
    }
  }

  /** Leaves a conversation that no longer exists (erased, or a stale address). */
  forget(id) {
    if (id !== this.conversation.id) return;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    this.openFromHash(false);
  }

  /** Runs a POST for the open conversation; returns the result, or null when it failed. */
  async act(path, body, button, specific) {
    const id = this.conversation.id;
    if (!id || (button && button.disabled)) return null; // in flight already (Enter twice)
    if (button) button.disabled = true;
    const result = await this.api.post(
      `${API}/conversations/${encodeURIComponent(id)}/${path}`, body);
    if (button) button.disabled = false;
    if (id !== this.conversation.id) return null;
    if (!result.ok) {
      if (result.status !== 401) this.showError(errorText(result, specific));
      return null;
    }
    this.clearError();
    return result;
  }

  async claim() {
    const id = this.conversation.id;
    const result = await this.act("claim", {}, this.conversation.claimButton, {
      409: TEXT.errors.claimLost,
    });
    if (id !== this.conversation.id) return;
    // Won or lost, show who has the conversation now.
    await this.loadConversation(id, false);
    const state = this.conversation.ownership();
    if (result && state === "mine") this.conversation.reply.focus();
    else if (!result && (state === "closed" || state === "none")) {
      this.showError(TEXT.errors.closedAlready);
    }
  }

  async reply(text) {
    const view = this.conversation;
    const result = await this.act("messages", { text }, byId("ib-reply-send"), {
      400: TEXT.errors.emptyOrLong,
    });
    if (!result) return;
    if (view.reply.value.trim() === text) view.reply.value = "";
    view.addMessage(result.data);
    view.reply.focus();
  }

  async addNote(text) {
    const view = this.conversation;
    const result = await this.act("notes", { text }, byId("ib-note-send"), {
      400: TEXT.errors.emptyOrLong, 409: TEXT.errors.closedAlready,
    });
    if (!result) return;
    if (view.note.value.trim() === text) view.note.value = "";
    view.addNote(result.data);
  }

  async transfer(kind, target) {
    if (!target) {
      this.showError(TEXT.errors.noTransferTarget);
      return;
    }
    const result = await this.act("transfer", { [kind]: target }, byId("ib-transfer"), {
      404: kind === "worker" ? TEXT.errors.noSuchColleague : TEXT.errors.notFound,
    });
    if (!result) return;
    this.conversation.transferTarget.value = "";
    await this.loadConversation(this.conversation.id, false);
  }

  async close(outcome) {
    if (!outcome) {
      this.showError(TEXT.errors.noOutcome);
      this.conversation.outcome.focus();
      return;
    }
    const id = this.conversation.id;
    const result = await this.act("close", { outcome }, byId("ib-close"), {
      409: TEXT.errors.notYours,
    });
    if (!result) return;
    const handoff = this.queue.get(id) || this.conversation.handoff();
    if (handoff) this.queue.update({ ...handoff, status: "closed" }, false);
    if (result.data && result.data.bot_goodbye === false) this.showError(TEXT.errors.goodbyeFailed);
    await this.loadConversation(id, false);
  }
}

function start() {
  const app = new InboxApp();
  app.boot();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
