/**
 * The queue of escalated conversations, as the worker sees it.
 * API text only as text nodes (the safety rule is in app.js).
 */

import { el, byId, str, parseTimestamp, formatDuration } from "./dom.js";
import { TEXT, channelLabel, codeLabel } from "./text.js";

/**
 * A handoff from a live event, completed from what we knew: some events carry
 * "worker": null for a handoff that is still assigned (see the report on
 * HandoffService.raise_urgent); the holder must not lose the reply box over that.
 */
export function mergeHandoff(previous, next) {
  if (previous && next.status === "assigned" && !str(next.worker)
    && previous.status === "assigned" && previous.handoff_id === next.handoff_id) {
    return { ...next, worker: previous.worker };
  }
  return next;
}

/** The queue list, keyed by conversation id; DOM nodes are kept and moved, not rebuilt. */
export class QueueView {
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
