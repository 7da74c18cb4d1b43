/**
 * broekzak web chat widget (docs/webchat-protocol.md).
 *
 * Embed with one tag; everything else (stylesheet, launcher, panel, websocket) is derived
 * from it:
 *   <script src="https://chat.example.org/widget.js" data-title="Jongerenwerk X" defer></script>
 *
 * Safety rule of this file: text that anyone typed (young person, bot, worker) only ever
 * reaches the page through text nodes (textContent / append(string)), never as markup.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  // A page that includes the tag twice must not get two launchers and two sockets.
  if (!script || window.broekzakWidgetLoaded) return;
  window.broekzakWidgetLoaded = true;

  const STORAGE_SESSION = "broekzak.session";
  const STORAGE_PENDING = "broekzak.pending";
  const SOCKET_PATH = "webhooks/webchat/ws"; // relative to the directory of widget.js
  const BACKOFF_START_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const MAX_CHARS = 4096; // the gateway's default MAX_MESSAGE_CHARS; it re-checks anyway
  const SENDERS = ["user", "bot", "worker", "system"];
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  const TEXT = {
    defaultTitle: "Chat met ons",
    open: "Chat openen",
    close: "Chat sluiten",
    unread: (n) => (n === 1 ? "1 nieuw bericht" : `${n} nieuwe berichten`),
    transcript: "Gesprek",
    intro: "Hoi! Typ hieronder je vraag of vertel wat er speelt. Je hoeft je naam niet te geven.",
    input: "Typ je bericht",
    placeholder: "Typ je bericht…",
    send: "Versturen",
    choices: "Kies een antwoord",
    connecting: "Verbinden…",
    offline: "Geen verbinding – opnieuw proberen…",
    failed: "Niet verstuurd",
    genericError: "Er ging iets mis. Probeer het nog een keer.",
    senders: { user: "Jij", bot: "Chatbot", worker: "Hulpverlener", system: "Melding" },
  };

  // ---------------------------------------------------------------- small helpers

  /** A random RFC 4122 v4 id; randomUUID only exists on https and localhost. */
  function newId() {
    const cryptoApi = window.crypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
    const bytes = new Uint8Array(16);
    if (cryptoApi && typeof cryptoApi.getRandomValues === "function") {
      cryptoApi.getRandomValues(bytes);
    } else {
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Web storage, or a page-lifetime stand-in when the browser blocks it (private mode). */
  function openStorage(name) {
    try {
      const storage = window[name];
      storage.setItem("broekzak.probe", "1");
      storage.removeItem("broekzak.probe");
      return storage;
    } catch (_) {
      const memory = new Map();
      return {
        getItem: (key) => (memory.has(key) ? memory.get(key) : null),
        setItem: (key, value) => memory.set(key, String(value)),
        removeItem: (key) => memory.delete(key),
      };
    }
  }

  /** Creates an element; string children become text nodes, never markup. */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    if (children) node.append(...children);
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: ["M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-8l-5 4v-4H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
      "M8 10.5h.01M12 10.5h.01M16 10.5h.01"],
    close: ["M6 6l12 12M18 6L6 18"],
    down: ["M6 9l6 6 6-6"],
    send: ["M22 2L11 13", "M22 2l-7 20-4-9-9-4 20-7z"],
  };

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `bz-icon bz-icon--${name}`);
    for (const d of ICONS[name]) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  function isMessage(value) {
    return Boolean(value) && typeof value === "object" && typeof value.text === "string";
  }

  function validButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    return buttons.filter((b) => b && typeof b.title === "string" && b.title.trim() !== ""
      && typeof b.payload === "string");
  }

  /** ISO-8601 → Date; a timestamp without an offset is UTC (JS would read it as local time). */
  function parseTimestamp(value) {
    if (typeof value !== "string" || value === "") return null;
    const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(value) || !value.includes("T");
    const date = new Date(hasOffset ? value : `${value}Z`);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  // ---------------------------------------------------------------- outbox

  /** Frames sent but not yet acknowledged, kept across reloads for this session. */
  class Outbox {
    constructor(storage, sessionId) {
      this.storage = storage;
      this.sessionId = sessionId;
      this.frames = [];
      try {
        const saved = JSON.parse(storage.getItem(STORAGE_PENDING) || "null");
        if (saved && saved.session_id === sessionId && Array.isArray(saved.frames)) {
          this.frames = saved.frames.filter((f) => f && typeof f.id === "string"
            && (f.type === "message" || f.type === "button"));
        }
      } catch (_) {
        // A corrupt entry is not worth failing the widget for.
      }
    }

    add(frame) {
      this.frames.push(frame);
      this.save();
    }

    /** Drops the frame; returns whether it was still pending. */
    remove(id) {
      const before = this.frames.length;
      this.frames = this.frames.filter((f) => f.id !== id);
      if (this.frames.length !== before) this.save();
      return this.frames.length !== before;
    }

    has(id) {
      return this.frames.some((f) => f.id === id);
    }

    save() {
      if (this.frames.length === 0) {
        this.storage.removeItem(STORAGE_PENDING);
      } else {
        this.storage.setItem(STORAGE_PENDING,
          JSON.stringify({ session_id: this.sessionId, frames: this.frames }));
      }
    }
  }

  // ---------------------------------------------------------------- connection

  /**
   * The websocket of docs/webchat-protocol.md: hello → history, then frames; reconnects
   * with back-off and re-sends unacknowledged frames (same id, so the gateway answers once).
   */
  class Connection {
    constructor(url, sessionId, outbox, events) {
      this.url = url;
      this.sessionId = sessionId;
      this.outbox = outbox;
      this.events = events;
      this.socket = null;
      this.ready = false; // history received: frames may be sent
      this.attempt = 0;
      this.retryTimer = null;
    }

    /** Connects unless a socket is open, opening or waiting to retry. */
    start() {
      if (!this.socket && !this.retryTimer) this.connect();
    }

    /** Skips the back-off wait, e.g. when the device comes back online. */
    retryNow() {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.connect();
      }
    }

    /** Queues the frame until acknowledged; sends it now when the session is ready. */
    send(frame) {
      this.outbox.add(frame);
      if (this.ready) this.transmit(frame);
      else if (this.retryTimer) this.retryNow(); // the young person is waiting: try now
      else this.start();
    }

    connect() {
      if (this.attempt === 0) this.events.status("connecting");
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch (_) {
        this.scheduleRetry(); // e.g. blocked by the page's Content-Security-Policy
        return;
      }
      this.socket = socket;
      socket.addEventListener("open", () => {
        socket.send(JSON.stringify({ type: "hello", session_id: this.sessionId }));
      });
      socket.addEventListener("message", (event) => this.receive(event.data));
      socket.addEventListener("close", () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.ready = false;
        this.scheduleRetry();
      });
    }

    scheduleRetry() {
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(this.attempt, 10));
      this.attempt += 1;
      this.events.status("offline");
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, delay);
    }

    transmit(frame) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(frame));
      }
    }

    receive(data) {
      let frame;
      try {
        frame = JSON.parse(data);
      } catch (_) {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      if (frame.type === "history") {
        this.ready = true;
        this.attempt = 0;
        this.events.status("online");
        this.events.history(Array.isArray(frame.messages) ? frame.messages.filter(isMessage) : [],
          this.outbox.frames.slice());
        // Re-sending a stored message is harmless: the gateway de-duplicates on the id.
        for (const pending of this.outbox.frames) this.transmit(pending);
      } else if (frame.type === "ack" && typeof frame.id === "string") {
        this.outbox.remove(frame.id);
        this.events.ack(frame.id);
      } else if (frame.type === "message" && isMessage(frame.message)) {
        this.events.message(frame.message);
      } else if (frame.type === "error") {
        const id = typeof frame.id === "string" ? frame.id : null;
        // An error for a frame not yet acknowledged is a refusal (too long, invalid):
        // re-sending would fail again. After the ack it is only news (e.g. bot is down).
        const refused = id !== null && this.outbox.remove(id);
        const text = typeof frame.error === "string" && frame.error.trim() ? frame.error : TEXT.genericError;
        this.events.error(text, refused ? id : null);
      }
    }
  }

  // ---------------------------------------------------------------- view

  /** The launcher and the chat panel; knows the DOM, nothing about the protocol. */
  class ChatView {
    constructor(title, actions) {
      this.actions = actions;
      this.unread = 0;
      const panelId = `bz-panel-${newId().slice(0, 8)}`;
      const titleId = `${panelId}-title`;

      this.badge = el("span", { class: "bz-badge", "aria-hidden": "true", hidden: true });
      this.launcher = el("button", {
        type: "button",
        class: "bz-launcher",
        "data-testid": "broekzak-launcher",
        "aria-controls": panelId,
        "aria-expanded": "false",
        "aria-label": TEXT.open,
      }, [icon("chat"), icon("down"), this.badge]);

      this.status = el("div", { class: "bz-status", role: "status" });
      const closeButton = el("button", {
        type: "button", class: "bz-close", "aria-label": TEXT.close,
      }, [icon("close")]);

      this.messages = el("div", { class: "bz-messages" });
      this.log = el("div", {
        class: "bz-log",
        role: "log",
        "aria-live": "polite",
        "aria-label": TEXT.transcript,
        tabindex: "0", // scrollable with the keyboard
      }, [el("p", { class: "bz-intro" }, [TEXT.intro]), this.messages]);

      this.input = el("input", {
        type: "text",
        class: "bz-input",
        "data-testid": "broekzak-input",
        "aria-label": TEXT.input,
        placeholder: TEXT.placeholder,
        autocomplete: "off",
        enterkeyhint: "send",
        maxlength: String(MAX_CHARS),
      });
      this.form = el("form", { class: "bz-composer", novalidate: true }, [
        this.input,
        el("button", {
          type: "submit", class: "bz-send", "data-testid": "broekzak-send", "aria-label": TEXT.send,
        }, [icon("send")]),
      ]);

      this.panel = el("section", {
        id: panelId,
        class: "bz-panel",
        "data-testid": "broekzak-panel",
        role: "dialog",
        "aria-labelledby": titleId,
        hidden: true,
      }, [
        el("header", { class: "bz-header" }, [
          el("div", { class: "bz-heading" }, [
            el("div", { id: titleId, class: "bz-title", role: "heading", "aria-level": "2" }, [title]),
            this.status,
          ]),
          closeButton,
        ]),
        this.log,
        this.form,
      ]);

      this.root = el("div", { class: "bz-root", "data-broekzak": "" }, [this.panel, this.launcher]);

      this.launcher.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
      closeButton.addEventListener("click", () => this.close());
      this.panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") this.close();
      });
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = this.input.value.trim();
        if (!text) return;
        this.input.value = "";
        this.actions.sendText(text);
      });
    }

    mount() {
      document.body.append(this.root);
    }

    isOpen() {
      return !this.panel.hidden;
    }

    /** Shows the panel; focus moves to the input unless the page opened it on load. */
    open(moveFocus = true) {
      this.panel.hidden = false;
      this.root.classList.add("bz-is-open");
      document.documentElement.classList.add("bz-chat-open"); // mobile: stop the page scrolling
      this.launcher.setAttribute("aria-expanded", "true");
      this.unread = 0;
      this.updateLauncher();
      this.scrollToEnd();
      if (moveFocus) this.input.focus();
      this.actions.opened();
    }

    close() {
      this.panel.hidden = true;
      this.root.classList.remove("bz-is-open");
      document.documentElement.classList.remove("bz-chat-open");
      this.launcher.setAttribute("aria-expanded", "false");
      this.updateLauncher();
      this.launcher.focus();
    }

    updateLauncher() {
      const label = this.isOpen() ? TEXT.close : TEXT.open;
      this.launcher.setAttribute("aria-label",
        this.unread > 0 ? `${label} (${TEXT.unread(this.unread)})` : label);
      this.badge.hidden = this.unread === 0;
      this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
    }

    setStatus(state) {
      this.status.textContent = state === "connecting" ? TEXT.connecting
        : state === "offline" ? TEXT.offline : "";
      this.status.dataset.state = state;
    }

    /** Appends a message from the gateway, unless it is already shown. */
    showMessage(message) {
      const shown = this.findRow((row) => (message.id && row.dataset.id === message.id)
        || (message.client_id && row.dataset.clientId === message.client_id));
      if (shown) return;
      this.append(this.createRow(message));
      if (!this.isOpen() && message.sender !== "user") {
        this.unread += 1;
        this.updateLauncher();
      }
    }

    /** Shows what the young person just sent (text or a button's title) as pending. */
    showOwn(clientId, text) {
      const row = this.createRow({ sender: "user", text }, clientId);
      this.append(row, true);
    }

    showSystemLine(text) {
      const row = this.createRow({ sender: "system", text });
      row.dataset.local = "";
      this.append(row);
    }

    markSent(clientId) {
      const row = this.findRow((r) => r.dataset.clientId === clientId);
      if (row) this.bubble(row).dataset.status = "sent";
    }

    markFailed(clientId) {
      const row = this.findRow((r) => r.dataset.clientId === clientId);
      if (!row) return;
      this.bubble(row).dataset.status = "failed";
      row.append(el("div", { class: "bz-note" }, [TEXT.failed]));
    }

    /**
     * Makes the transcript equal to the gateway's history, followed by what is still
     * pending. Rows already on screen are kept (matched by id, or by sender and text at
     * the same place: the gateway gives the young person's messages ids of its own), so a
     * reconnect does not make screen readers read the whole conversation again.
     */
    replaceTranscript(history, pending) {
      const stillPending = new Set(pending.map((f) => f.id));
      const historyIds = new Set(history.map((m) => m.id).filter(Boolean));
      let cursor = this.messages.firstElementChild;
      const place = (row) => {
        if (row === cursor) cursor = cursor.nextElementSibling;
        else this.messages.insertBefore(row, cursor);
      };
      const placed = new Set();
      for (const message of history) {
        let row = message.id ? this.findRow((r) => r.dataset.id === message.id
          || (message.client_id && r.dataset.clientId === message.client_id)) : null;
        if (!row && cursor && !("local" in cursor.dataset)
          && !(cursor.dataset.id && historyIds.has(cursor.dataset.id))
          && this.sameMessage(cursor, message)) {
          row = cursor;
        }
        if (!row || placed.has(row)) row = this.createRow(message);
        if (message.id) row.dataset.id = message.id;
        if (row.dataset.clientId && !stillPending.has(row.dataset.clientId)) {
          this.bubble(row).dataset.status = "sent";
        }
        placed.add(row);
        place(row);
      }
      for (const frame of pending) {
        let row = this.findRow((r) => r.dataset.clientId === frame.id);
        if (row && placed.has(row)) continue; // shown as part of the history already
        if (!row) row = this.createRow({ sender: "user", text: frame.text || frame.title || "" }, frame.id);
        placed.add(row);
        place(row);
      }
      while (cursor) {
        const next = cursor.nextElementSibling;
        cursor.remove();
        cursor = next;
      }
      this.refreshChoices();
      this.scrollToEnd();
    }

    createRow(message, clientId) {
      const sender = SENDERS.includes(message.sender) ? message.sender : "system";
      const row = el("div", { class: `bz-row bz-row--${sender}` });
      if (message.id) row.dataset.id = message.id;
      if (clientId) row.dataset.clientId = clientId;
      if (sender === "worker") {
        row.append(el("div", { class: "bz-label" }, [TEXT.senders.worker]));
      } else {
        row.append(el("span", { class: "bz-visually-hidden" }, [`${TEXT.senders[sender]}: `]));
      }
      const bubble = el("div", {
        class: "bz-bubble", "data-testid": "broekzak-message", "data-sender": sender,
      }, [message.text]); // a text node: newlines are kept by white-space: pre-wrap
      if (clientId) bubble.dataset.status = "pending";
      const created = parseTimestamp(message.created_at);
      if (created) {
        bubble.title = created.toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" });
      }
      row.append(bubble);
      const buttons = validButtons(message.buttons);
      if (buttons.length > 0) {
        const group = el("div", { class: "bz-choices", role: "group", "aria-label": TEXT.choices });
        for (const button of buttons) {
          const node = el("button", {
            type: "button", class: "bz-choice", "data-testid": "broekzak-button",
          }, [button.title]);
          node.addEventListener("click", () => {
            if (node.disabled) return;
            node.classList.add("bz-choice--chosen");
            this.actions.choose(button);
            this.input.focus(); // the pressed button is disabled now and loses focus
          });
          group.append(node);
        }
        row.append(group);
      }
      return row;
    }

    append(row, own) {
      const atEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
      this.messages.append(row);
      this.refreshChoices();
      if (own || atEnd) this.scrollToEnd();
    }

    /** Only buttons offered after the young person's last message can be pressed. */
    refreshChoices() {
      let answered = false;
      const rows = Array.from(this.messages.children).reverse();
      for (const row of rows) {
        if (row.classList.contains("bz-row--user")) answered = true;
        for (const button of row.querySelectorAll(".bz-choice")) button.disabled = answered;
      }
    }

    sameMessage(row, message) {
      const bubble = this.bubble(row);
      return bubble.dataset.sender === message.sender && bubble.textContent === message.text;
    }

    bubble(row) {
      return row.querySelector(".bz-bubble");
    }

    findRow(predicate) {
      return Array.from(this.messages.children).find(predicate) || null;
    }

    scrollToEnd() {
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  // ---------------------------------------------------------------- wiring

  function loadSessionId(storage) {
    let id = storage.getItem(STORAGE_SESSION);
    if (!id || !UUID.test(id)) {
      id = newId();
      storage.setItem(STORAGE_SESSION, id);
    }
    return id;
  }

  function injectStylesheet(href) {
    const present = Array.from(document.querySelectorAll('link[rel="stylesheet"]'))
      .some((link) => link.href === href);
    if (!present) document.head.append(el("link", { rel: "stylesheet", href }));
  }

  function socketUrl(base) {
    const url = new URL(SOCKET_PATH, base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  function start() {
    const base = script.src;
    injectStylesheet(new URL("widget.css", base).href);
    const local = openStorage("localStorage");
    const sessionId = loadSessionId(local);
    const outbox = new Outbox(local, sessionId);

    let connection = null;
    const view = new ChatView(script.dataset.title || TEXT.defaultTitle, {
      sendText(text) {
        const id = newId();
        view.showOwn(id, text);
        connection.send({ type: "message", id, text });
      },
      choose(button) {
        const id = newId();
        view.showOwn(id, button.title);
        connection.send({ type: "button", id, payload: button.payload, title: button.title });
      },
      opened() {
        connection.start();
      },
    });
    connection = new Connection(socketUrl(base), sessionId, outbox, {
      status: (state) => view.setStatus(state),
      history: (messages, pending) => view.replaceTranscript(messages, pending),
      ack: (id) => view.markSent(id),
      message: (message) => view.showMessage(message),
      error: (text, refusedId) => {
        if (refusedId) view.markFailed(refusedId);
        view.showSystemLine(text);
      },
    });

    view.mount();
    window.addEventListener("online", () => connection.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") connection.retryNow();
    });

    if (new URLSearchParams(window.location.search).get("open") === "1") {
      view.open(false);
    } else if (outbox.frames.length > 0) {
      connection.start(); // deliver what was typed before a reload
    }
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
