/**
 * The open conversation: transcript, state, notes and the worker's actions.
 * API text only as text nodes (the safety rule is in app.js).
 */

import {
  el, byId, str, parseTimestamp, formatDuration, formatTime, setFormDisabled,
} from "./dom.js";
import { TEXT, SENDERS, channelLabel, codeLabel, deliveryProblemText } from "./text.js";
import { mergeHandoff } from "./queue.js";

/** What a message's row shows of its delivery: "failed" (the platform refused it) or "". */
function deliveryState(message) {
  return message.delivery_status === "failed" ? "failed" : "";
}

/** The open conversation: transcript, state, notes and the worker's actions. */
export class ConversationView {
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
   * Shows the transcript in the server's order, adding what is missing and redrawing a
   * message the platform has refused since. Rows are never removed: a live message may
   * have arrived after the transcript was read.
   */
  mergeMessages(messages) {
    const atEnd = this.rows.size === 0 || this.isScrolledToEnd();
    let cursor = this.transcript.firstElementChild;
    for (const message of messages) {
      if (!message || typeof message !== "object") continue;
      const id = str(message.id);
      let row = id ? this.rows.get(id) : null;
      // Redrawn when refused since it was shown: the worker must not wait for an answer.
      if (!row || row.dataset.delivery !== deliveryState(message)) {
        const fresh = this.createRow(message);
        if (row) {
          if (row === cursor) cursor = fresh;
          row.replaceWith(fresh);
        }
        row = fresh;
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
    const delivery = deliveryState(message);
    const row = el("div", {
      class: `ib-msg ib-msg--${sender}`, "data-delivery": delivery,
    }, [head, body]);
    const buttons = Array.isArray(message.buttons)
      ? message.buttons.filter((b) => b && typeof b.title === "string" && b.title.trim())
      : [];
    if (delivery === "failed") {
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
