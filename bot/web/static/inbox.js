/**
 * broekzak worker inbox: log in, go online, see the queue live, claim a conversation,
 * reply into the young person's own chat app, keep internal notes, transfer, close.
 *
 * Talks to the worker API (/api/v1, see /api/v1/openapi.json) with the session cookie and
 * sends the CSRF token on every POST; live events come over the /api/v1/live websocket.
 *
 * Safety rule of this file: text from the API (messages, summaries, notes, pseudonyms,
 * topics, names) only ever reaches the page through text nodes (textContent / append of a
 * string), never as markup. There is no innerHTML, insertAdjacentHTML or outerHTML here.
 */
(() => {
  "use strict";

  const API = "/api/v1";
  const LOGIN_PATH = "/inbox/login";
  const LOGOUT_PATH = "/inbox/logout";
  const LIVE_PATH = `${API}/live`;
  const REQUEST_TIMEOUT_MS = 15000;
  const TICK_MS = 30000; // waiting times are minutes: every 30 s is precise enough
  const BACKOFF_START_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const BASE_TITLE = "Inbox";
  const CONVERSATION_HASH = /^#gesprek=([A-Za-z0-9_-]{1,64})$/;
  const SENDERS = ["user", "bot", "worker", "system"];
  const HANDOFF_EVENTS = ["handoff_new", "handoff_updated", "crisis_alert"];

  const TEXT = {
    senders: { user: "Jongere", bot: "Bot", worker: "Hulpverlener", system: "Systeem" },
    you: "Jij",
    urgent: "URGENT",
    urgentLabel: "Urgent gesprek: ",
    fresh: "Nieuw",
    queued: "in de rij",
    withWorker: (name) => `bij ${name}`,
    withYou: "bij jou",
    waits: (d) => `wacht ${d}`,
    reported: (d) => `${d} geleden gemeld`,
    announceNew: (urgent, name) => (urgent
      ? `Nieuw urgent gesprek in de wachtrij: ${name}` : `Nieuw gesprek in de wachtrij: ${name}`),
    announceCrisis: (name) => `Crisissignaal in het gesprek met ${name}`,
    crisis: "Crisissignaal in dit gesprek: de jongere kan in gevaar zijn. Lees het laatste bericht en handel met voorrang.",
    unread: (n) => (n === 1 ? "1 nieuw bericht" : `${n} nieuwe berichten`),
    queueCount: (queued, assigned) => {
      const parts = [`${queued} in de rij`];
      if (assigned > 0) parts.push(`${assigned} in gesprek`);
      return parts.join(" · ");
    },
    online: "Online",
    offline: "Offline",
    presenceHint: {
      true: "Je staat online: jongeren horen dat er iemand is.",
      false: "Je staat offline.",
    },
    statusQueued: "Wacht op een hulpverlener",
    statusMine: "Jij hebt dit gesprek",
    statusOther: (name) => `Bij ${name}`,
    statusClosed: "Afgesloten — de bot neemt het weer over",
    statusNoHandoff: "Geen open overdracht — de bot praat met de jongere",
    heldElsewhere: (name) => `${name} heeft dit gesprek. Alleen ${name} kan de jongere antwoorden.`,
    heldClosed: "Dit gesprek is afgesloten. Je kunt de jongere hier niet meer antwoorden.",
    buttonsShown: "Knoppen:",
    noSummary: "Geen samenvatting.",
    noNotes: "Nog geen notities.",
    anonymous: "Anonieme jongere",
    facts: { channel: "Kanaal", topic: "Onderwerp", reason: "Reden", priority: "Prioriteit" },
    priority: { urgent: "Urgent", normal: "Normaal" },
    transferLabel: { worker: "Naam van de collega", team: "Naam van het team" },
    live: { closed: "Live-verbinding kwijt — opnieuw verbinden… Nieuwe gesprekken en berichten verschijnen weer zodra de verbinding terug is." },
    errors: {
      network: "Geen verbinding met de server. Controleer je internet en probeer het opnieuw.",
      server: "Er ging iets mis op de server. Probeer het zo nog eens.",
      forbidden: "Dat mag je niet, of je sessie is verlopen. Herlaad de pagina.",
      loginFailed: "Naam of wachtwoord klopt niet.",
      loginMissing: "Vul je naam en je wachtwoord in.",
      loginTooMany: "Te vaak geprobeerd. Wacht even en probeer het dan opnieuw.",
      sessionExpired: "Je sessie is verlopen. Log opnieuw in.",
      claimLost: "Te laat: iemand anders heeft dit gesprek al.",
      closedAlready: "Dit gesprek is al afgesloten.",
      notFound: "Dit gesprek bestaat niet (meer).",
      notYours: "Pak het gesprek eerst op; alleen wie het gesprek heeft kan dit doen.",
      emptyOrLong: "Het bericht is leeg of te lang.",
      noOutcome: "Kies eerst een uitkomst.",
      noTransferTarget: "Vul in aan wie je het gesprek overdraagt.",
      noSuchColleague: "Er is geen collega met die naam.",
      goodbyeFailed: "Het gesprek is afgesloten, maar de bot kon de jongere nu geen afscheid sturen.",
      logoutFailed: "Uitloggen lukte niet helemaal. Sluit je browser als je een gedeelde computer gebruikt.",
    },
  };

  const CHANNELS = { whatsapp: "WhatsApp", telegram: "Telegram", webchat: "Webchat", rest: "REST" };
  // Topic (domain.yml topic_* without the prefix, or crisis_*) and reason codes; an
  // unknown code is shown as it is, underscores as spaces.
  const LABELS = {
    bullying: "pesten",
    mood: "somber of gestrest",
    home: "thuis",
    school_work: "school of werk",
    money: "geld",
    substance: "alcohol of drugs",
    relationships_sex: "relaties en seks",
    justice: "politie of justitie",
    crisis_suicide_selfharm: "crisis: suïcide of zelfbeschadiging",
    crisis_unsafe: "crisis: niet veilig",
    request_human: "vroeg om een hulpverlener",
    offer_accepted: "nam het aanbod van een hulpverlener aan",
  };

  // ---------------------------------------------------------------- small helpers

  /** Creates an element; string children become text nodes, never markup. */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    if (children) node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  /** A string from the API, or "" for anything else (null, numbers, objects). */
  function str(value) {
    return typeof value === "string" ? value : "";
  }

  /** ISO-8601 → Date; a timestamp without an offset is UTC (JS would read it as local time). */
  function parseTimestamp(value) {
    if (typeof value !== "string" || value === "") return null;
    const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(value) || !value.includes("T");
    const date = new Date(hasOffset ? value : `${value}Z`);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function formatDuration(seconds) {
    const minutes = Math.floor(Math.max(0, seconds) / 60);
    if (minutes < 1) return "< 1 min";
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) {
      const rest = minutes % 60;
      return rest ? `${hours} u ${rest} min` : `${hours} u`;
    }
    const days = Math.floor(hours / 24);
    return days === 1 ? "1 dag" : `${days} dagen`;
  }

  function formatTime(date) {
    if (!date) return "";
    const today = new Date().toDateString() === date.toDateString();
    return today
      ? date.toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" })
      : date.toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" });
  }

  function channelLabel(channel) {
    const name = str(channel);
    return CHANNELS[name] || name || "onbekend kanaal";
  }

  /** A readable label for a topic or reason code ("school_pesten" → "school pesten"). */
  function codeLabel(code) {
    const name = str(code);
    return LABELS[name] || name.replace(/_/g, " ");
  }

  /**
   * A handoff from a live event, completed from what we knew: some events carry
   * "worker": null for a handoff that is still assigned (see the report on
   * HandoffService.raise_urgent); the holder must not lose the reply box over that.
   */
  function deliveryProblemText(reason) {
    const reasons = {
      window_closed: "Niet afgeleverd: de jongere heeft 24 uur niets gestuurd, dus WhatsApp " +
        "laat alleen goedgekeurde sjablonen toe. Wacht tot de jongere weer iets stuurt.",
      blocked: "Niet afgeleverd: de jongere heeft de chat geblokkeerd.",
      undeliverable: "Niet afgeleverd: het platform kon het bericht niet bezorgen.",
    };
    return reasons[reason] || "Niet afgeleverd (" + (reason || "onbekende reden") + ").";
  }

  function mergeHandoff(previous, next) {
    if (previous && next.status === "assigned" && !str(next.worker)
      && previous.status === "assigned" && previous.handoff_id === next.handoff_id) {
      return { ...next, worker: previous.worker };
    }
    return next;
  }

  function setFormDisabled(form, disabled) {
    for (const control of form.elements) control.disabled = disabled;
  }

  // ---------------------------------------------------------------- API

  /** JSON over fetch with the session cookie; POSTs carry the CSRF token. */
  class Api {
    constructor() {
      this.csrf = "";
      this.onUnauthorized = () => {};
    }

    get(path) {
      return this.request("GET", path);
    }

    post(path, body) {
      return this.request("POST", path, body);
    }

    /** Resolves to {ok, status, data}; status 0 means the server was not reached. */
    async request(method, path, body) {
      const headers = { Accept: "application/json" };
      const init = { method, headers, credentials: "same-origin", cache: "no-store" };
      if (method !== "GET") {
        headers["Content-Type"] = "application/json";
        if (this.csrf) headers["X-CSRF-Token"] = this.csrf;
        init.body = JSON.stringify(body || {});
      }
      const controller = typeof AbortController === "function" ? new AbortController() : null;
      if (controller) init.signal = controller.signal;
      const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : null;
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
  function errorText(result, specific) {
    if (specific && specific[result.status]) return specific[result.status];
    if (result.status === 0) return TEXT.errors.network;
    if (result.status === 403) return TEXT.errors.forbidden;
    if (result.status === 404) return TEXT.errors.notFound;
    if (result.status === 409) return TEXT.errors.notYours;
    if (result.status === 400) return TEXT.errors.emptyOrLong;
    return TEXT.errors.server;
  }

  // ---------------------------------------------------------------- live events

  /** The /api/v1/live websocket; reconnects with back-off while the worker is logged in. */
  class Live {
    constructor(handlers) {
      this.handlers = handlers;
      this.socket = null;
      this.retryTimer = null;
      this.attempt = 0;
      this.running = false;
    }

    start() {
      this.running = true;
      if (!this.socket && !this.retryTimer) this.connect();
    }

    stop() {
      this.running = false;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.close();
    }

    /** Skips the back-off wait (the device is back online, the tab is visible again). */
    retryNow() {
      if (this.running && this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.retry();
      }
    }

    connect() {
      const url = new URL(LIVE_PATH, window.location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      let socket;
      try {
        socket = new WebSocket(url.href);
      } catch (_) {
        this.scheduleRetry();
        return;
      }
      this.socket = socket;
      socket.addEventListener("open", () => {
        if (this.socket !== socket) return;
        this.attempt = 0;
        this.handlers.open();
      });
      socket.addEventListener("message", (event) => {
        if (this.socket !== socket) return;
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (_) {
          return;
        }
        if (frame && typeof frame === "object") this.handlers.event(frame);
      });
      socket.addEventListener("close", () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.handlers.closed();
        this.scheduleRetry();
      });
    }

    scheduleRetry() {
      if (!this.running) return;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(this.attempt, 10));
      this.attempt += 1;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.retry();
      }, delay);
    }

    /** A dropped socket may mean an expired session: ask first, so we do not loop on 401. */
    async retry() {
      if (!this.running) return;
      const stillLoggedIn = await this.handlers.beforeRetry();
      if (!this.running) return;
      if (stillLoggedIn) this.connect();
      else this.scheduleRetry();
    }
  }

  // ---------------------------------------------------------------- the queue

  /** The queue list, keyed by conversation id; DOM nodes are kept and moved, not rebuilt. */
  class QueueView {
    constructor(onChange) {
      this.list = byId("ib-queue");
      this.empty = byId("ib-queue-empty");
      this.count = byId("ib-queue-count");
      // conversation id → {handoff, receivedAt, node, unread, fresh (new, not yet opened),
      // alert (became urgent or a crisis signal, not yet opened)}
      this.items = new Map();
      this.openId = null;
      this.me = "";
      this.onChange = onChange;
    }

    clear() {
      this.items.clear();
      this.list.replaceChildren();
      this.render();
    }

    /** Replaces the whole queue (page load, reconnect); keeps per-item local state. */
    load(handoffs) {
      const seen = new Set();
      for (const handoff of handoffs) {
        if (!handoff || typeof handoff.conversation_id !== "string") continue;
        seen.add(handoff.conversation_id);
        this.upsert(handoff, false);
      }
      for (const id of Array.from(this.items.keys())) {
        if (!seen.has(id)) this.items.delete(id);
      }
      this.render();
    }

    /**
     * A new or changed handoff from a live event: `live` marks a new arrival, `crisis` a
     * crisis signal in the conversation (highlighted until someone opens it here).
     */
    update(handoff, live, crisis) {
      if (!handoff || typeof handoff.conversation_id !== "string") return;
      if (handoff.status === "closed") this.items.delete(handoff.conversation_id);
      else this.upsert(handoff, live, crisis);
      this.render();
    }

    upsert(handoff, live, crisis) {
      const id = handoff.conversation_id;
      const item = this.items.get(id) || { unread: 0, fresh: false, alert: false, node: null };
      const previous = item.handoff;
      item.handoff = mergeHandoff(previous, handoff);
      item.receivedAt = Date.now();
      const notOpen = id !== this.openId;
      if (live && notOpen && handoff.status === "queued") item.fresh = true;
      if (handoff.status !== "queued") item.fresh = false;
      const becameUrgent = Boolean(previous) && previous.priority !== "urgent"
        && handoff.priority === "urgent";
      if (notOpen && (crisis || becameUrgent)) item.alert = true;
      this.items.set(id, item);
    }

    /** A young person wrote in a conversation that is not on screen. */
    noteUnread(conversationId) {
      const item = this.items.get(conversationId);
      if (!item || conversationId === this.openId) return;
      item.unread += 1;
      this.render();
    }

    setOpen(conversationId) {
      this.openId = conversationId;
      const item = conversationId ? this.items.get(conversationId) : null;
      if (item) {
        item.unread = 0;
        item.fresh = false;
        item.alert = false;
      }
      this.render();
    }

    get(conversationId) {
      const item = this.items.get(conversationId);
      return item ? item.handoff : null;
    }

    waitingSeconds(item) {
      const base = Number.isFinite(item.handoff.waiting_seconds) ? item.handoff.waiting_seconds : 0;
      return base + (Date.now() - item.receivedAt) / 1000;
    }

    /** Same order as the server: urgent first, then longest waiting. */
    sorted() {
      const rank = (item) => (item.handoff.priority === "urgent" ? 0 : 1);
      const created = (item) => {
        const date = parseTimestamp(item.handoff.created_at);
        return date ? date.getTime() : 0;
      };
      return Array.from(this.items.values()).sort((a, b) => rank(a) - rank(b)
        || created(a) - created(b)
        || (a.handoff.handoff_id || 0) - (b.handoff.handoff_id || 0));
    }

    render() {
      const ordered = this.sorted();
      let cursor = this.list.firstElementChild;
      for (const item of ordered) {
        if (!item.node) item.node = this.createNode();
        this.fill(item);
        if (item.node === cursor) cursor = cursor.nextElementSibling;
        else this.list.insertBefore(item.node, cursor);
      }
      while (cursor) {
        const next = cursor.nextElementSibling;
        cursor.remove();
        cursor = next;
      }
      const queued = ordered.filter((i) => i.handoff.status === "queued").length;
      this.empty.hidden = ordered.length > 0;
      this.count.textContent = ordered.length ? TEXT.queueCount(queued, ordered.length - queued) : "";
      this.onChange(ordered.filter((i) => i.handoff.status === "queued"
        && i.handoff.priority === "urgent").length);
    }

    createNode() {
      const parts = {
        badge: el("span", { class: "ib-badge ib-badge--urgent" }, [
          el("span", { class: "ib-visually-hidden" }, [TEXT.urgentLabel]),
          el("span", { "aria-hidden": "true" }, [TEXT.urgent]),
        ]),
        fresh: el("span", { class: "ib-badge ib-badge--fresh" }, [TEXT.fresh]),
        name: el("span", { class: "ib-item-name" }),
        wait: el("span", { class: "ib-item-wait" }),
        channel: el("span", { class: "ib-item-channel" }),
        topic: el("span", { class: "ib-item-topic" }),
        team: el("span", { class: "ib-item-team" }),
        status: el("span", { class: "ib-item-status" }),
        summary: el("span", { class: "ib-item-summary" }),
        unread: el("span", { class: "ib-item-unread" }),
      };
      const link = el("a", { class: "ib-item-link" }, [
        el("span", { class: "ib-item-top" }, [parts.badge, parts.fresh, parts.name, parts.wait]),
        el("span", { class: "ib-item-meta" }, [parts.channel, parts.topic, parts.team, parts.status]),
        parts.summary,
        parts.unread,
      ]);
      const node = el("li", { class: "ib-item", "data-testid": "inbox-queue-item" }, [link]);
      node.parts = parts;
      node.link = link;
      return node;
    }

    fill(item) {
      const { handoff, node } = item;
      const { parts, link } = node;
      const urgent = handoff.priority === "urgent";
      const queued = handoff.status === "queued";
      node.dataset.conversationId = handoff.conversation_id;
      node.dataset.priority = urgent ? "urgent" : "normal";
      node.dataset.status = str(handoff.status);
      node.classList.toggle("ib-item--urgent", urgent);
      node.classList.toggle("ib-item--assigned", !queued);
      node.classList.toggle("ib-item--alert", urgent && (item.fresh || item.alert));
      node.classList.toggle("ib-item--fresh", !urgent && item.fresh);
      node.classList.toggle("ib-item--open", handoff.conversation_id === this.openId);
      link.href = `#gesprek=${encodeURIComponent(handoff.conversation_id)}`;
      if (handoff.conversation_id === this.openId) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
      parts.badge.hidden = !urgent;
      parts.fresh.hidden = !(item.fresh && !urgent);
      parts.name.textContent = str(handoff.pseudonym) || TEXT.anonymous;
      parts.channel.textContent = channelLabel(handoff.channel);
      parts.topic.textContent = codeLabel(handoff.topic);
      parts.topic.hidden = !str(handoff.topic);
      parts.team.textContent = str(handoff.team) ? `team ${str(handoff.team)}` : "";
      parts.team.hidden = !str(handoff.team);
      const worker = str(handoff.worker);
      parts.status.textContent = queued ? TEXT.queued
        : worker === this.me ? TEXT.withYou : TEXT.withWorker(worker || "een collega");
      parts.status.dataset.state = queued ? "queued" : "assigned";
      parts.summary.textContent = str(handoff.summary);
      parts.summary.hidden = !str(handoff.summary);
      parts.unread.textContent = item.unread ? TEXT.unread(item.unread) : "";
      parts.unread.hidden = item.unread === 0;
      this.fillWait(item);
    }

    fillWait(item) {
      const duration = formatDuration(this.waitingSeconds(item));
      item.node.parts.wait.textContent = item.handoff.status === "queued"
        ? TEXT.waits(duration) : TEXT.reported(duration);
    }

    tick() {
      for (const item of this.items.values()) if (item.node) this.fillWait(item);
    }
  }

  // ---------------------------------------------------------------- one conversation

  /** The open conversation: transcript, state, notes and the worker's actions. */
  class ConversationView {
    constructor(actions) {
      this.actions = actions;
      this.root = byId("ib-conv");
      this.empty = byId("ib-conv-empty");
      this.title = byId("ib-conv-title");
      this.meta = byId("ib-conv-meta");
      this.status = byId("ib-conv-status");
      this.crisis = byId("ib-crisis");
      this.transcript = byId("ib-transcript");
      this.claimBox = byId("ib-claim-box");
      this.claimButton = byId("ib-claim");
      this.held = byId("ib-held-elsewhere");
      this.replyForm = byId("ib-reply-form");
      this.reply = byId("ib-reply");
      this.facts = byId("ib-facts");
      this.summary = byId("ib-summary");
      this.notes = byId("ib-notes");
      this.noteForm = byId("ib-note-form");
      this.note = byId("ib-note");
      this.transferForm = byId("ib-transfer-form");
      this.transferTarget = byId("ib-transfer-target");
      this.transferLabel = byId("ib-transfer-label");
      this.closeForm = byId("ib-close-form");
      this.outcome = byId("ib-close-outcome");
      this.id = null;
      this.data = null;
      this.me = "";
      this.receivedAt = Date.now();
      this.rows = new Map(); // message id → row

      byId("ib-back").addEventListener("click", () => actions.back());
      this.claimButton.addEventListener("click", () => actions.claim());
      this.replyForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = this.reply.value.trim();
        if (text) actions.reply(text);
      });
      this.reply.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (typeof this.replyForm.requestSubmit === "function") this.replyForm.requestSubmit();
          else this.replyForm.dispatchEvent(new Event("submit", { cancelable: true }));
        }
      });
      this.noteForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = this.note.value.trim();
        if (text) actions.note(text);
      });
      this.transferForm.addEventListener("change", () => {
        this.transferLabel.textContent = TEXT.transferLabel[this.transferKind()];
      });
      this.transferForm.addEventListener("submit", (event) => {
        event.preventDefault();
        actions.transfer(this.transferKind(), this.transferTarget.value.trim());
      });
      this.closeForm.addEventListener("submit", (event) => {
        event.preventDefault();
        actions.close(this.outcome.value);
      });
    }

    transferKind() {
      const checked = this.transferForm.querySelector('input[name="transfer-kind"]:checked');
      return checked && checked.value === "team" ? "team" : "worker";
    }

    /** Shows an empty "pick a conversation" pane. */
    hide() {
      this.id = null;
      this.data = null;
      this.rows.clear();
      this.transcript.replaceChildren();
      this.root.hidden = true;
      this.empty.hidden = false;
    }

    /** Starts showing a conversation (before its data arrives). */
    begin(conversationId) {
      if (this.id !== conversationId) {
        this.id = conversationId;
        this.data = null;
        this.rows.clear();
        this.transcript.replaceChildren();
        this.notes.replaceChildren();
        this.reply.value = "";
        this.note.value = "";
        this.transferTarget.value = "";
        this.outcome.value = "";
        this.title.textContent = "";
        this.crisis.hidden = true;
        this.meta.textContent = "";
        this.status.textContent = "";
        this.summary.textContent = "";
        this.facts.replaceChildren();
      }
      if (!this.data) this.root.dataset.state = "loading"; // no actions before we know
      this.root.hidden = false;
      this.empty.hidden = true;
    }

    /** Fills the view from GET /api/v1/conversations/{id}. */
    show(data) {
      this.data = data;
      this.receivedAt = Date.now();
      this.title.textContent = str(data.pseudonym) || TEXT.anonymous;
      const messages = Array.isArray(data.messages) ? data.messages : [];
      this.mergeMessages(messages);
      this.notes.replaceChildren();
      for (const note of Array.isArray(data.notes) ? data.notes : []) this.addNote(note);
      this.renderState();
    }

    /** A crisis signal arrived live for the open conversation. */
    showCrisis() {
      this.crisis.textContent = TEXT.crisis;
      this.crisis.hidden = false;
    }

    /** A handoff from a live event for this conversation. */
    setHandoff(handoff) {
      if (!this.data) return;
      this.data.handoff = mergeHandoff(this.handoff(), handoff);
      this.receivedAt = Date.now();
      this.renderState();
    }

    handoff() {
      return this.data && this.data.handoff && typeof this.data.handoff === "object"
        ? this.data.handoff : null;
    }

    /** queued | mine | other | closed | none */
    ownership() {
      const handoff = this.handoff();
      if (!handoff) return "none";
      if (handoff.status === "queued") return "queued";
      if (handoff.status === "assigned") return str(handoff.worker) === this.me ? "mine" : "other";
      return "closed";
    }

    renderState() {
      const data = this.data;
      if (!data) return;
      const handoff = this.handoff();
      const state = this.ownership();
      this.root.dataset.state = state;

      const metaParts = [channelLabel(data.channel)];
      if (handoff && str(handoff.topic)) metaParts.push(codeLabel(handoff.topic));
      this.meta.textContent = metaParts.join(" · ");

      const urgent = Boolean(handoff && handoff.priority === "urgent" && state !== "closed");
      this.status.replaceChildren();
      if (urgent) {
        this.status.append(el("span", { class: "ib-badge ib-badge--urgent" }, [
          el("span", { class: "ib-visually-hidden" }, [TEXT.urgentLabel]),
          el("span", { "aria-hidden": "true" }, [TEXT.urgent]),
        ]), " ");
      }
      this.status.append(this.statusText(state));
      this.status.dataset.state = state;

      this.claimBox.hidden = state !== "queued";
      this.replyForm.hidden = state !== "mine";
      this.held.hidden = !(state === "other" || state === "closed" || state === "none");
      this.held.textContent = state === "other"
        ? TEXT.heldElsewhere(str(handoff.worker) || "Een collega")
        : TEXT.heldClosed;
      const open = state === "queued" || state === "mine" || state === "other";
      setFormDisabled(this.noteForm, !open);
      setFormDisabled(this.transferForm, state !== "mine");
      setFormDisabled(this.closeForm, !(state === "queued" || state === "mine"));

      this.facts.replaceChildren();
      const fact = (term, value) => {
        if (value) this.facts.append(el("dt", {}, [term]), el("dd", {}, [value]));
      };
      fact(TEXT.facts.channel, channelLabel(data.channel));
      if (handoff) {
        fact(TEXT.facts.topic, codeLabel(handoff.topic));
        if (str(handoff.reason) !== str(handoff.topic)) {
          fact(TEXT.facts.reason, codeLabel(handoff.reason));
        }
        fact(TEXT.facts.priority, TEXT.priority[handoff.priority] || str(handoff.priority));
      }
      const summary = handoff ? str(handoff.summary) : "";
      this.summary.textContent = summary || TEXT.noSummary;
      this.summary.classList.toggle("ib-muted", !summary);
    }

    statusText(state) {
      const handoff = this.handoff();
      if (state === "queued") {
        const base = Number.isFinite(handoff.waiting_seconds) ? handoff.waiting_seconds : 0;
        const waited = base + (Date.now() - this.receivedAt) / 1000;
        return `${TEXT.statusQueued} · ${TEXT.waits(formatDuration(waited))}`;
      }
      if (state === "mine") return TEXT.statusMine;
      if (state === "other") return TEXT.statusOther(str(handoff.worker) || "een collega");
      if (state === "closed") return TEXT.statusClosed;
      return TEXT.statusNoHandoff;
    }

    tick() {
      if (this.data && this.ownership() === "queued") this.renderState();
    }

    /**
     * Shows the transcript in the server's order, adding what is missing. Rows are never
     * removed: a live message may have arrived after the transcript was read.
     */
    mergeMessages(messages) {
      const atEnd = this.rows.size === 0 || this.isScrolledToEnd();
      let cursor = this.transcript.firstElementChild;
      for (const message of messages) {
        if (!message || typeof message !== "object") continue;
        const id = str(message.id);
        let row = id ? this.rows.get(id) : null;
        if (!row) {
          row = this.createRow(message);
          if (id) this.rows.set(id, row);
        }
        // Live messages are shown in arrival order; the server's order is the truth.
        if (row === cursor) cursor = cursor.nextElementSibling;
        else this.transcript.insertBefore(row, cursor);
      }
      if (atEnd) this.scrollToEnd();
    }

    /** One live message; ignored when already shown (the socket echoes our own replies). */
    addMessage(message) {
      if (!message || typeof message !== "object") return;
      const id = str(message.id);
      if (id && this.rows.has(id)) return;
      const atEnd = this.isScrolledToEnd();
      const row = this.createRow(message);
      if (id) this.rows.set(id, row);
      this.transcript.append(row);
      if (atEnd || message.sender === "worker") this.scrollToEnd();
    }

    createRow(message) {
      const sender = SENDERS.includes(message.sender) ? message.sender : "system";
      let label = TEXT.senders[sender];
      // Forward-compatible: label a worker reply with its author when the API names one.
      const author = str(message.worker);
      if (sender === "worker" && author) label = author === this.me ? TEXT.you : author;
      const created = parseTimestamp(message.created_at);
      const head = el("div", { class: "ib-msg-head" }, [
        el("span", { class: "ib-msg-sender" }, [label]),
        created ? el("time", { class: "ib-msg-time", datetime: created.toISOString() },
          [formatTime(created)]) : null,
      ]);
      const body = el("div", {
        class: "ib-msg-text", "data-testid": "inbox-message", "data-sender": sender,
      }, [str(message.text)]); // a text node: newlines kept by white-space: pre-wrap
      const row = el("div", { class: `ib-msg ib-msg--${sender}` }, [head, body]);
      const buttons = Array.isArray(message.buttons)
        ? message.buttons.filter((b) => b && typeof b.title === "string" && b.title.trim())
        : [];
      if (message.delivery_status === "failed") {
        // The platform refused it (e.g. WhatsApp's 24-hour window closed, or the young
        // person blocked the bot): say so, so the worker does not wait for an answer.
        row.append(el("div", { class: "ib-msg-undelivered", "data-testid": "inbox-undelivered" },
          [deliveryProblemText(str(message.delivery_error))]));
      }
      if (buttons.length) {
        row.append(el("div", { class: "ib-msg-buttons" }, [
          el("span", { class: "ib-msg-buttons-label" }, [TEXT.buttonsShown]),
          ...buttons.map((b) => el("span", { class: "ib-chip" }, [b.title])),
        ]));
      }
      return row;
    }

    addNote(note) {
      if (!note || typeof note !== "object") return;
      const created = parseTimestamp(note.created_at);
      const who = str(note.worker);
      this.notes.append(el("li", { class: "ib-note" }, [
        el("p", { class: "ib-note-text" }, [str(note.text)]),
        el("p", { class: "ib-note-meta" }, [
          who === this.me ? TEXT.you : who || TEXT.senders.worker,
          created ? ` · ${formatTime(created)}` : "",
        ]),
      ]));
    }

    isScrolledToEnd() {
      const t = this.transcript;
      return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
    }

    scrollToEnd() {
      this.transcript.scrollTop = this.transcript.scrollHeight;
    }
  }

  // ---------------------------------------------------------------- the page

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
      byId("ib-account").hidden = view !== "workspace";
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
})();
