/** Live events of the worker API: the /api/v1/live websocket. */

import { API } from "./api.js";

const LIVE_PATH = `${API}/live`;
const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30000;

/** The /api/v1/live websocket; reconnects with back-off while the worker is logged in. */
export class Live {
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
